import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refreshDueAt } from "~/modules/requests/sla/sla.server.ts";
import type { Database } from "~/platform/db.server.ts";
import { launchChromium, screenshot, ukContext } from "../support/browser.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";
import { pageChecker, signIn as signInAt } from "../support/e2e-steps.ts";

/**
 * The request worklist in Chromium against the built portal: a lead filters, saves the filter,
 * bulk-assigns three requests to a handler and exports the view; a handler selects and claims
 * requests with the keyboard alone; the home pages show each role its work. Requests are seeded
 * straight into the portal's database (the sync and routing have their own browser tests), with
 * deadlines from the SLA module.
 */
let portal: RunningPortal;
let browser: Browser;
const DAY = 86_400_000;
/** This machine is shared and busy: an action plus the page's reload can take seconds. */
const SLOW = { timeout: 30_000, interval: 250 };

const PATIENTS = [
  { name: "Amara Okafor", action: "CHANGE", inDays: 2, receivedHoursAgo: 30 },
  { name: "Brian Walsh", action: "CHANGE", inDays: 3, receivedHoursAgo: 5 },
  { name: "Chloe Bennett", action: "CHANGE", inDays: 12, receivedHoursAgo: 60 },
  { name: "Dev Patel", action: "CHANGE", inDays: 20, receivedHoursAgo: 2 },
  { name: "Erin Hughes", action: "CANCEL", inDays: 1, receivedHoursAgo: 50 },
  { name: "=SUM(1+1)", action: "CANCEL", inDays: 9, receivedHoursAgo: 1 },
  { name: "Gwen Price", action: "CANCEL", inDays: 30, receivedHoursAgo: 3 },
] as const;

async function seed(database: Database) {
  const db = database.prisma;
  const team = await db.team.findUniqueOrThrow({ where: { name: "Cardiology appointments" } });
  const other = await db.team.create({ data: { name: "Dermatology appointments" } });
  const ids: string[] = [];
  for (const [index, patient] of PATIENTS.entries()) {
    const row = await db.appointmentRequest.create({
      data: {
        grantId: randomUUID(),
        pkbMessageId: randomUUID(),
        patientPublicId: randomUUID(),
        identifierSystem: "https://fhir.nhs.uk/Id/nhs-number",
        identifierValue: String(9_434_765_910 + index),
        patientDisplayName: patient.name,
        action: patient.action,
        rawSubject: "Request to change appointment",
        patientNote: "",
        receivedAt: new Date(Date.now() - patient.receivedHoursAgo * 3_600_000),
        matchState: index === 3 ? "NEEDS_MATCHING" : "MATCHED",
        matchReason: "seeded",
        matchedStart: new Date(Date.now() + patient.inDays * DAY),
        matchedSpecialtyCode: "320",
        matchedSpecialtyDisplay: "Cardiology",
        matchedLocation: "Outpatients 2",
        teamId: team.id,
      },
    });
    ids.push(row.id);
  }
  const elsewhere = await db.appointmentRequest.create({
    data: {
      grantId: randomUUID(),
      pkbMessageId: randomUUID(),
      patientPublicId: randomUUID(),
      patientDisplayName: "Ivy Elsewhere",
      action: "CHANGE",
      rawSubject: "Request to change appointment",
      patientNote: "",
      receivedAt: new Date(),
      matchState: "MATCHED",
      matchReason: "seeded",
      matchedSpecialtyCode: "330",
      matchedSpecialtyDisplay: "Dermatology",
      teamId: other.id,
    },
  });
  await refreshDueAt(db, [...ids, elsewhere.id]);
}

beforeAll(async () => {
  portal = await startPortal({}, seed);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

const signIn = (page: Page, email: string) => signInAt(page, portal.url, email);
const checkPage = pageChecker("request-worklist");

const patientLinks = (page: Page) => page.locator("tbody tr td:nth-child(2) a").allTextContents();

describe("the request worklist", () => {
  it("lets a lead filter, save the filter, bulk-assign three requests and export the view", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE.TEAM_LEAD.email);
    await checkPage(page, "lead-home");
    expect(await page.getByText(/overdue now/).count()).toBe(1);

    await page.goto(`${portal.url}/requests`);
    expect(await patientLinks(page)).not.toContain("Ivy Elsewhere");
    expect((await patientLinks(page)).length).toBe(7);
    // Urgent first: appointments within 7 days lead, each marked in words.
    expect((await patientLinks(page)).slice(0, 3).sort()).toEqual(
      ["Amara Okafor", "Brian Walsh", "Erin Hughes"].sort(),
    );
    expect(await page.getByText("Urgent", { exact: true }).count()).toBe(3);
    await checkPage(page, "team-view");

    await page.getByLabel("Asks to").selectOption("CHANGE");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/type=CHANGE/);
    await expect.poll(async () => (await patientLinks(page)).length, SLOW).toBe(4);
    expect((await patientLinks(page)).sort()).toEqual(
      ["Amara Okafor", "Brian Walsh", "Chloe Bennett", "Dev Patel"].sort(),
    );
    await page.getByLabel("Save these filters as").fill("Changes");
    await page.getByRole("button", { name: "Save view" }).click();
    await expect
      .poll(() => page.getByRole("link", { name: "Changes", exact: true }).count(), SLOW)
      .toBe(1);
    await checkPage(page, "filtered-and-saved");

    for (const name of ["Amara Okafor", "Brian Walsh", "Chloe Bennett"]) {
      await page
        .getByRole("checkbox", { name: new RegExp(`^Select request from ${name}`) })
        .check();
    }
    expect(await page.getByRole("status").filter({ hasText: "3 requests selected." }).count()).toBe(
      1,
    );
    await page
      .getByLabel("Assign to")
      .selectOption({ label: STAFF_BY_ROLE.REQUEST_HANDLER.displayName });
    await page.getByRole("button", { name: "Assign", exact: true }).click();
    const assigneeCells = page.locator("tbody tr td:nth-child(5)");
    await expect
      .poll(
        async () =>
          (await assigneeCells.allTextContents()).filter((text) =>
            text.includes(STAFF_BY_ROLE.REQUEST_HANDLER.displayName),
          ),
        SLOW,
      )
      .toHaveLength(3);
    expect(await page.getByText("3 requests assigned.").count()).toBe(1);
    await checkPage(page, "bulk-assigned");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export this view (CSV)" }).click(),
    ]);
    const csv = await readFile((await download.path())!, "utf8");
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toContain("request_id,received_utc,patient,identifier");
    expect(lines).toHaveLength(5);
    expect(csv).not.toContain("Ivy Elsewhere");

    await page.goto(`${portal.url}/requests/settings`);
    await checkPage(page, "service-levels");
    await context.close();
  });

  it("lets a handler select and claim requests with the keyboard alone", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE.REQUEST_HANDLER.email);
    await checkPage(page, "handler-home");
    expect(await page.getByRole("link", { name: "Open, assigned to you" }).textContent()).toContain(
      "3",
    );

    await page.goto(`${portal.url}/requests?view=unassigned`);
    await page.waitForLoadState("networkidle");
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        return element
          ? `${element.tagName}#${element.id}|${element.textContent?.trim() ?? ""}`
          : "";
      });
    // Tab from the top of the page to "select all on this page", Space ticks it.
    let steps = 0;
    while (!(await focused()).startsWith("INPUT#select-all")) {
      await page.keyboard.press("Tab");
      if ((steps += 1) > 120) throw new Error(`select-all never focused; last ${await focused()}`);
    }
    await screenshot(page, "request-worklist-keyboard-focus");
    await page.keyboard.press("Space");
    expect(await page.getByRole("status").filter({ hasText: "4 requests selected." }).count()).toBe(
      1,
    );
    // Back up (Shift+Tab) to the Claim button and press Enter.
    steps = 0;
    while (!(await focused()).endsWith("|Claim")) {
      await page.keyboard.press("Shift+Tab");
      if ((steps += 1) > 40) throw new Error(`Claim never focused; last ${await focused()}`);
    }
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByText("4 requests claimed.").count(), SLOW).toBe(1);
    await checkPage(page, "keyboard-claimed");

    await page.goto(`${portal.url}/requests?view=mine`);
    expect((await patientLinks(page)).length).toBe(7);
    await context.close();
  });
});
