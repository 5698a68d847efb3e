import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SPECIALTIES } from "../../sandbox/src/population/catalog.ts";
import { startSandbox, type RunningSandbox } from "../../sandbox/src/server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";
import {
  connectAndGrant as grantThroughPkb,
  pageChecker,
  sandboxControl,
  signIn as signInAt,
  statusText,
  syncNow as syncNowAt,
  ukWall,
} from "../support/e2e-steps.ts";

/**
 * Routing, the request lifecycle and auto-close in Chromium against the built portal and the
 * sandbox (issue 8's acceptance, routing half): a team lead writes a rule sending one specialty to
 * their team and previews it over the requests already synced; the next sync routes new requests
 * by it; a handler claims one, adds a note and marks it actioned with a PAS reference; the sandbox
 * reschedules the other request's appointment as a PAS update would, and the next sync closes that
 * request as "resolved in PAS". Each step screenshotted and checked with axe.
 */
let portal: RunningPortal;
let sandbox: RunningSandbox;
let browser: Browser;

beforeAll(async () => {
  portal = await startPortal();
  sandbox = await startSandbox({
    port: 0,
    patients: 300,
    seed: 31,
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
const checkPage = pageChecker("routing");
const connectAndGrant = (admin: Page) => grantThroughPkb(admin, portal.url, sandbox);
const syncNow = (page: Page) => syncNowAt(page, portal.url);

/**
 * Opens the request about the appointment at `start` (or `movedTo`, where PKB now has it) from
 * the worklist's `view`; open views are filtered to the appointment day (UK) so the row is on the
 * first page whatever else is open.
 */
async function openRequestQuoting(page: Page, start: number, view = "team", movedTo?: number) {
  const day = ukWall(start, "yyyy-MM-dd");
  await page.goto(
    view === "done"
      ? `${portal.url}/requests?view=done`
      : `${portal.url}/requests?view=${view}&from=${day}&to=${day}`,
  );
  const times = [start, ...(movedTo ? [movedTo] : [])].map((t) => ukWall(t, "d MMM yyyy, HH:mm"));
  const row = page.locator("tbody tr", { hasText: new RegExp(times.join("|")) });
  await expect.poll(() => row.count(), { timeout: 15_000 }).toBeGreaterThan(0);
  await row.first().getByRole("link").click();
  await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
}

describe("request routing, lifecycle and auto-close", () => {
  it("a lead's rule routes a specialty to their team; a handler actions one; a PAS reschedule closes the other", async () => {
    const cardiology = SPECIALTIES.findIndex((s) => s.code === "320");
    const state = sandbox.app.state;
    const now = sandbox.clock.now();
    // Two future cardiology appointments of the trust's patients, nobody asking about them yet,
    // different patients and different times (so each request is found by its quoted time).
    const picked: typeof state.population.appointments = [];
    for (const a of state.population.appointments) {
      const patient = state.population.patients[a.patientIndex]!;
      if (
        a.specialtyIndex === cardiology &&
        a.status === "booked" &&
        a.requestAt === null &&
        a.start > now + 10 * 86_400_000 &&
        state.canOrganisationSee(0, patient) &&
        picked.every((p) => p.patientIndex !== a.patientIndex && p.start !== a.start) &&
        // the patient has no other appointment at the same time (a clean match)
        patient.appointmentIndexes.every(
          (i) => i === a.index || state.population.appointments[i]!.start !== a.start,
        )
      ) {
        picked.push(a);
        if (picked.length === 2) break;
      }
    }
    expect(picked).toHaveLength(2);
    const [toAction, toMove] = picked as [(typeof picked)[0], (typeof picked)[0]];

    const adminContext = await ukContext(browser);
    const admin = await adminContext.newPage();
    await signIn(admin, STAFF_BY_ROLE.ADMIN.email);
    await connectAndGrant(admin);
    // A first sync brings the trust's existing requests in: no rule yet, all unrouted.
    expect(await syncNow(admin)).toContain("Finished");

    // The lead writes a rule for cardiology and previews it before saving.
    const leadContext = await ukContext(browser);
    const lead = await leadContext.newPage();
    await signIn(lead, STAFF_BY_ROLE.TEAM_LEAD.email);
    await lead.getByRole("link", { name: "Routing", exact: true }).click();
    await lead.waitForURL(`${portal.url}/requests/routing`);
    await expect.poll(() => lead.getByText("No rules yet").count()).toBe(1);
    await checkPage(lead, "1-rules-empty");
    await lead.getByRole("link", { name: "New rule" }).click();
    await lead.waitForURL(`${portal.url}/requests/routing/new`);
    // Saving with no name says what is missing.
    await lead.getByRole("button", { name: "Save rule" }).click();
    await expect
      .poll(() => lead.getByRole("alert").textContent())
      .toContain("Give the rule a name");
    await lead.getByLabel("Rule name").fill("Cardiology clinics");
    await lead.getByLabel("Specialty code (optional)").fill("320");
    await lead
      .getByLabel("Team", { exact: true })
      .selectOption({ label: "Cardiology appointments" });
    await lead.getByRole("button", { name: "Preview" }).click();
    await expect
      .poll(() =>
        lead.getByRole("heading", { name: /Preview over the latest \d+ requests/ }).count(),
      )
      .toBe(1);
    const takes = await statusText(lead);
    expect(takes).toMatch(/This rule would take \d+ requests?/);
    expect(await lead.getByRole("cell", { name: /Cardiology \(320\)/ }).count()).toBeGreaterThan(0);
    // The preview saved nothing.
    await checkPage(lead, "2-rule-preview");
    await lead.getByRole("button", { name: "Save rule" }).click();
    await lead.waitForURL(`${portal.url}/requests/routing`);
    await expect.poll(() => statusText(lead)).toContain("Rule added");
    await expect.poll(() => lead.getByRole("link", { name: "Cardiology clinics" }).count()).toBe(1);
    // Open requests move only when asked: the lead checks the count, then re-routes.
    await lead.getByRole("button", { name: "Check how many would move" }).click();
    await expect.poll(() => statusText(lead)).toMatch(/would move/);
    await checkPage(lead, "3-rules-reroute-count");
    if (/open requests? would move to another queue/.test(await statusText(lead))) {
      await lead.getByRole("button", { name: /^Re-route \d+ requests?$/ }).click();
      await expect.poll(() => statusText(lead)).toMatch(/re-routed/);
    }

    // Two new cardiology requests arrive; the next sync routes them by the rule.
    await control("POST", "/messages", {
      appointmentId: state.appointmentIdOf(toAction),
      kind: "cancel",
      content: "Feeling better, no longer need it.",
    });
    await control("POST", "/messages", {
      appointmentId: state.appointmentIdOf(toMove),
      kind: "change",
      content: "Could I come a week later?",
    });
    expect(await syncNow(admin)).toContain("Finished");

    // The handler (Cardiology) finds the first one in their queue, claims it, notes, actions.
    const handlerContext = await ukContext(browser);
    const handler = await handlerContext.newPage();
    await signIn(handler, STAFF_BY_ROLE.REQUEST_HANDLER.email);
    await openRequestQuoting(handler, toAction.start);
    await expect
      .poll(() =>
        handler.getByText("Cardiology appointments — by the rule “Cardiology clinics”").count(),
      )
      .toBe(1);
    expect(await handler.getByText("Feeling better, no longer need it.").count()).toBe(1);
    await expect.poll(() => handler.getByText(/^Routed/).count()).toBeGreaterThan(0);
    await checkPage(handler, "4-detail-routed");
    await handler.getByRole("button", { name: "Claim" }).click();
    await expect.poll(() => statusText(handler)).toContain("You have claimed this request");
    expect(
      await handler.getByText(`${STAFF_BY_ROLE.REQUEST_HANDLER.displayName} (you)`).count(),
    ).toBe(1);
    await handler.getByLabel("Add a note").fill("Rang the patient: confirmed they want to cancel.");
    await handler.getByRole("button", { name: "Add note" }).click();
    await expect.poll(() => statusText(handler)).toContain("Note added");
    expect(
      await handler.getByText("Rang the patient: confirmed they want to cancel.").count(),
    ).toBe(1);
    await checkPage(handler, "5-detail-claimed-noted");
    // Marking actioned needs the PAS reference.
    await handler.getByRole("button", { name: "Mark actioned" }).click();
    await expect
      .poll(() => handler.getByRole("alert").textContent())
      .toContain("Enter the PAS reference");
    await checkPage(handler, "6-detail-pas-reference-missing");
    await handler.getByLabel("PAS reference").fill("PAS-CX-20931");
    await handler.getByRole("button", { name: "Mark actioned" }).click();
    await expect.poll(() => statusText(handler)).toContain("Request marked actioned");
    await expect
      .poll(() => handler.getByText("Status: Actioned", { exact: false }).count())
      .toBeGreaterThan(0);
    expect(await handler.getByText("PAS-CX-20931").count()).toBeGreaterThan(0);
    // The history tells the whole story.
    const history = handler.locator("ol li");
    await expect.poll(() => history.count()).toBeGreaterThanOrEqual(4);
    const lines = await history.allTextContents();
    expect(lines.map((l) => l.split(" ")[0])).toEqual(
      expect.arrayContaining(["Routed", "Claimed", "Note", "Marked"]),
    );
    await checkPage(handler, "7-detail-actioned");

    // The trust's PAS moves the other appointment; PKB shows it; the next sync closes the request.
    // (The sandbox's appointment object is live: keep the time the patient quoted.)
    const quotedStart = toMove.start;
    const newStart = quotedStart + 7 * 86_400_000;
    await control("POST", `/appointments/${state.appointmentIdOf(toMove)}/reschedule`, {
      start: new Date(newStart).toISOString(),
    });
    expect(await syncNow(admin)).toContain("Finished");
    // Closed, it is in Done; the worklist shows the appointment where PKB now has it.
    await openRequestQuoting(handler, quotedStart, "done", newStart);
    await expect.poll(() => handler.getByText(/Status: Resolved in PAS/).count()).toBe(1);
    expect(
      await handler
        .getByText(`now ${ukWall(newStart, "d MMM yyyy, HH:mm")}`, { exact: false })
        .count(),
    ).toBeGreaterThan(0);
    expect(await handler.getByRole("button", { name: "Reopen" }).count()).toBe(1);
    await checkPage(handler, "8-detail-resolved-in-pas");

    // Patient data stays out of the portal's logs.
    const logs = portal.logs();
    expect(logs).not.toContain("Feeling better, no longer need it.");
    expect(logs).not.toContain("Rang the patient");
    await Promise.all([adminContext.close(), leadContext.close(), handlerContext.close()]);
  });
});
