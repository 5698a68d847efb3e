import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type RunningSandbox } from "../../sandbox/src/server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";
import {
  connectAndGrant as grantThroughPkb,
  pageChecker,
  sandboxControl,
  signIn as signInAt,
  syncNow as syncNowAt,
  ukWall,
} from "../support/e2e-steps.ts";

/**
 * Appointment requests in Chromium against the built portal and the sandbox. The grant's own
 * browser test (pkb-grant.test.ts) covers setting up the connection in detail, the banner on every
 * page after PKB ends the session, and re-granting; this one starts where a grant exists:
 * "sync now" brings the requests in; a matched request shows its appointment; an ambiguous one
 * waits in "Needs matching" and a request handler picks the right appointment; the sandbox's clock
 * passes the access token's lifetime and the next sync refreshes it without anyone noticing; and
 * when PKB ends the session, the sync stops with the banner up instead of retrying.
 */
let portal: RunningPortal;
let sandbox: RunningSandbox;
let browser: Browser;

beforeAll(async () => {
  portal = await startPortal();
  sandbox = await startSandbox({
    port: 0,
    patients: 300,
    seed: 9,
    frozenClock: true,
    extraRedirectUris: [`${portal.url}/pkb/oauth/callback`],
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  await portal?.stop();
});

const control = sandboxControl(() => sandbox);
const signIn = (page: Page, email: string) => signInAt(page, portal.url, email);
const checkPage = pageChecker("requests");
/** The admin sets up the connection, tests it (one harmless call per surface) and grants. */
const connectAndGrant = (admin: Page) =>
  grantThroughPkb(admin, portal.url, sandbox, async (page) => {
    await page.getByRole("button", { name: "Test connection" }).click();
    await expect
      .poll(() => page.getByRole("heading", { name: /Every PKB surface answered/ }).count())
      .toBe(1);
    expect(await page.getByText(/^Works: /).count()).toBe(6);
    await checkPage(page, "connection-tested");
  });
const syncNow = (page: Page) => syncNowAt(page, portal.url);

const calls = (endpoint: string) =>
  sandbox.app.calls.summary({ includeIdentifiers: false }).endpoints[endpoint]?.calls ?? 0;

describe("appointment requests", () => {
  it("are synced, matched, picked by a person when ambiguous, and survive token expiry", async () => {
    // An ambiguous request: a patient with two appointments at the very same time, quoting no subject.
    const state = sandbox.app.state;
    const trustPatients = new Set(
      state.population.patients.filter((p) => state.canOrganisationSee(0, p)).map((p) => p.index),
    );
    const pair = state.population.appointments.find((a) => {
      const patient = state.population.patients[a.patientIndex]!;
      return (
        trustPatients.has(patient.index) &&
        a.start > sandbox.clock.now() &&
        patient.appointmentIndexes.some(
          (i) => i !== a.index && state.population.appointments[i]!.start === a.start,
        )
      );
    })!;
    const pairPatient = state.population.patients[pair.patientIndex]!;
    const chosenId = state.appointmentIdOf(pair);
    await control("POST", "/messages", {
      patient: { publicId: pairPatient.publicId },
      subject: `Request to cancel appointment: ${ukWall(pair.start, "dd/MM/yyyy HH:mm")}`,
      content: "I cannot come that day.",
    });

    const adminContext = await ukContext(browser);
    const admin = await adminContext.newPage();
    await signIn(admin, STAFF_BY_ROLE.ADMIN.email);
    await connectAndGrant(admin);

    // Sync now: the history (in the admin's navigation) shows the run and what it brought in.
    await admin.getByRole("link", { name: "Request sync" }).click();
    await admin.waitForURL(`${portal.url}/requests/sync`);
    await expect.poll(() => admin.getByText("No sync has run yet.").count()).toBe(1);
    const firstRun = await syncNow(admin);
    expect(firstRun).toContain("Finished");
    expect(firstRun).toMatch(/Sync now/);
    await checkPage(admin, "sync-history");

    // A team lead sees the list (no routing rule yet: every request is in the unrouted queue,
    // which leads see and handlers do not); a matched request shows its appointment.
    const handlerContext = await ukContext(browser);
    const handler = await handlerContext.newPage();
    await signIn(handler, STAFF_BY_ROLE.TEAM_LEAD.email);
    await handler.getByRole("link", { name: "Requests", exact: true }).click();
    await handler.waitForURL(`${portal.url}/requests`);
    await expect.poll(() => handler.locator("tbody tr").count()).toBeGreaterThan(0);
    await checkPage(handler, "list-all");
    await handler.locator("tbody tr", { hasText: "Matched" }).first().getByRole("link").click();
    await handler.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => handler.getByRole("heading", { name: "Matched appointment" }).count())
      .toBe(1);
    expect(await handler.getByText("Same patient, same start and same subject").count()).toBe(1);
    await checkPage(handler, "detail-matched");

    // The ambiguous one waits in "Needs matching"; the handler picks the right appointment.
    await handler.goto(`${portal.url}/requests?view=needs-matching`);
    const quoted = ukWall(pair.start, "d MMM yyyy, HH:mm");
    const row = handler.locator("tbody tr", { hasText: quoted });
    await expect.poll(() => row.count()).toBeGreaterThan(0);
    await checkPage(handler, "list-needs-matching");
    await row.first().getByRole("link").click();
    await handler.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => handler.getByText(/fit the quoted time|quotes no subject/).count())
      .toBeGreaterThan(0);
    expect(
      await handler
        .getByText(pairPatient.nationalId.replace(/(\d{3})(\d{3})(\d{4})/, "$1 $2 $3"))
        .count(),
    ).toBe(1);
    // Nothing chosen yet: the page says what is missing.
    await handler.getByRole("button", { name: "Use this appointment" }).click();
    await expect.poll(() => handler.getByRole("alert").textContent()).toContain("Choose");
    await checkPage(handler, "detail-needs-matching");
    await handler.locator(`input[type=radio][value="${chosenId}"]`).check();
    await handler.getByRole("button", { name: "Use this appointment" }).click();
    await expect
      .poll(() =>
        handler
          .getByRole("status")
          .allTextContents()
          .then((t) => t.join(" ")),
      )
      .toContain("Appointment matched");
    await expect
      .poll(() => handler.getByRole("heading", { name: "Match: Matched by staff" }).count())
      .toBe(1);
    expect(await handler.getByText(STAFF_BY_ROLE.TEAM_LEAD.displayName).count()).toBeGreaterThan(0);
    await checkPage(handler, "detail-matched-by-staff");

    // The sandbox's clock passes the access token's lifetime: the next sync refreshes silently.
    const refreshesBefore = calls("oauth.token");
    await control("POST", "/clock", { advanceSeconds: 700 });
    const next = state.population.appointments.find(
      (a) =>
        a.status === "booked" &&
        a.requestAt === null &&
        a.start > sandbox.clock.now() + 7 * 86_400_000 &&
        trustPatients.has(a.patientIndex),
    )!;
    await control("POST", "/messages", {
      appointmentId: state.appointmentIdOf(next),
      kind: "cancel",
    });
    const secondRun = await syncNow(admin);
    expect(secondRun).toContain("Finished");
    expect(calls("oauth.token")).toBeGreaterThan(refreshesBefore);
    expect(await admin.getByTestId("grant-banner").count()).toBe(0);

    // PKB ends the session: the next sync stops, says why, and the banner goes up.
    await control("POST", "/reset", { clock: false, sessions: true });
    await control("POST", "/clock", { advanceSeconds: 700 });
    const stopped = await syncNow(admin);
    expect(stopped).toContain("PKB access must be granted again");
    await admin.reload();
    await expect.poll(() => admin.getByTestId("grant-banner").count()).toBe(1);
    await checkPage(admin, "sync-stopped-banner");

    // Patient data stays out of the portal's logs.
    const logs = portal.logs();
    expect(logs).not.toContain(pairPatient.nationalId);
    expect(logs).not.toContain(pairPatient.family);
    expect(logs).not.toContain("I cannot come that day.");
    await Promise.all([adminContext.close(), handlerContext.close()]);
  });
});
