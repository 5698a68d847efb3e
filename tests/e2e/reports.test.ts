import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "~/platform/db.server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";
import { pageChecker, signIn as signInAt } from "../support/e2e-steps.ts";

/**
 * The request reports in Chromium against the built portal: requests seeded with known times,
 * a viewer opens Reports, the charts draw, and each chart's data (what the page hands recharts),
 * its table and its downloaded CSV hold the same numbers — the numbers worked out by hand below.
 * Then the range and the grouping change, and a bad range is refused with a message.
 */
let portal: RunningPortal;
let browser: Browser;
const HOUR = 3_600_000;

/**
 * UTC instants. The week of Monday 19 October includes 00:30 BST on Sunday 25 October
 * (23:30 UTC on the 24th); 00:10 UTC on Monday 26 October (GMT) is the next week.
 *
 *   week of      cancel  change  total
 *   5 Oct          3       1       4    (320 cancel ×3 on the 6th, 100 change on the 7th)
 *   12 Oct         1       2       3    (320 change ×2 on the 14th, unmatched cancel on the 15th)
 *   19 Oct         3       0       3    (100 cancel ×2 on the 20th, 320 cancel at 00:30 BST on the 25th)
 *   26 Oct         0       1       1    (320 change at 00:10 GMT on the 26th)
 */
const SEED: Array<{
  at: string;
  action: "CANCEL" | "CHANGE";
  specialty: "320" | "100" | null;
  actionedAfterHours?: number;
}> = [
  { at: "2026-10-06T09:00:00Z", action: "CANCEL", specialty: "320", actionedAfterHours: 2 },
  { at: "2026-10-06T10:00:00Z", action: "CANCEL", specialty: "320", actionedAfterHours: 4 },
  { at: "2026-10-06T11:00:00Z", action: "CANCEL", specialty: "320", actionedAfterHours: 6 },
  { at: "2026-10-07T09:00:00Z", action: "CHANGE", specialty: "100" },
  { at: "2026-10-14T09:00:00Z", action: "CHANGE", specialty: "320" },
  { at: "2026-10-14T10:00:00Z", action: "CHANGE", specialty: "320" },
  { at: "2026-10-15T09:00:00Z", action: "CANCEL", specialty: null },
  { at: "2026-10-20T09:00:00Z", action: "CANCEL", specialty: "100" },
  { at: "2026-10-20T10:00:00Z", action: "CANCEL", specialty: "100" },
  { at: "2026-10-24T23:30:00Z", action: "CANCEL", specialty: "320" },
  { at: "2026-10-26T00:10:00Z", action: "CHANGE", specialty: "320" },
];

async function seedRequests(database: Database) {
  const team = await database.prisma.team.findUniqueOrThrow({
    where: { name: "Cardiology appointments" },
  });
  for (const row of SEED) {
    const receivedAt = new Date(row.at);
    const actioned = row.actionedAfterHours !== undefined;
    await database.prisma.appointmentRequest.create({
      data: {
        grantId: randomUUID(),
        pkbMessageId: randomUUID(),
        patientPublicId: randomUUID(),
        action: row.action,
        rawSubject: "Request",
        patientNote: "",
        receivedAt,
        matchState: row.specialty ? "MATCHED" : "NEEDS_TRIAGE",
        matchReason: "seeded",
        matchedSpecialtyCode: row.specialty,
        matchedSpecialtyDisplay:
          row.specialty === "320" ? "Cardiology" : row.specialty ? "General Surgery" : null,
        teamId: row.specialty === "320" ? team.id : null,
        status: actioned ? "ACTIONED" : "NEW",
        closedAt: actioned ? new Date(receivedAt.getTime() + row.actionedAfterHours! * HOUR) : null,
        dueAt: actioned ? new Date(receivedAt.getTime() + 8 * HOUR) : null,
      },
    });
  }
}

beforeAll(async () => {
  portal = await startPortal({}, seedRequests);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

const signIn = (page: Page, email: string) => signInAt(page, portal.url, email);
const checkPage = pageChecker("reports");

/** What the page handed recharts: the route's loader data in the hydrated router. */
async function loaderData<T>(page: Page, routeId: string): Promise<T> {
  return page.evaluate(
    (id) =>
      (
        window as unknown as {
          __remixRouter: { state: { loaderData: Record<string, unknown> } };
        }
      ).__remixRouter.state.loaderData[id],
    routeId,
  ) as Promise<T>;
}

/** The body rows of the table in a report section, as text cells (header cell first). */
async function tableRows(page: Page, sectionHeading: RegExp): Promise<string[][]> {
  const section = page
    .locator("section")
    .filter({ has: page.getByRole("heading", { name: sectionHeading }) });
  return section
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((row) =>
        Array.from(row.querySelectorAll("th, td")).map((cell) => cell.textContent?.trim() ?? ""),
      ),
    );
}

async function downloadCsv(page: Page, sectionHeading: RegExp): Promise<string[][]> {
  const section = page
    .locator("section")
    .filter({ has: page.getByRole("heading", { name: sectionHeading }) });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    section.getByRole("link", { name: /Download CSV/ }).click(),
  ]);
  const text = await readFile((await download.path())!, "utf8");
  return parse(text) as string[][];
}

async function chartDrawn(page: Page, sectionHeading: RegExp) {
  const section = page
    .locator("section")
    .filter({ has: page.getByRole("heading", { name: sectionHeading }) });
  await section.locator("svg.recharts-surface").first().waitFor({ state: "visible" });
  return section;
}

const VOLUME_ROUTE = "routes/_shell.reports._index/route";
type Volume = {
  overTime: Array<{ bucket: string; label: string; cancel: number; change: number; total: number }>;
  bySpecialty: Array<{
    specialty: string;
    label: string;
    cancel: number;
    change: number;
    total: number;
  }>;
};

describe("request reports", () => {
  it("draws the volume chart, and its table and CSV hold the chart's numbers", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE.VIEWER.email);
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Reports" })
      .click();
    await page.waitForURL(/\/reports$/);
    await chartDrawn(page, /Requests over time/);
    await checkPage(page, "default-range");

    // The seeded month, by week.
    await page.getByLabel("From", { exact: true }).fill("2026-10-05");
    await page.getByLabel("To", { exact: true }).fill("2026-11-01");
    await page.getByLabel("Group by", { exact: true }).selectOption("week");
    await page.getByRole("button", { name: "Show report" }).click();
    await page.waitForURL(/from=2026-10-05/);
    const volume = await chartDrawn(page, /Requests over time/);
    const data = await loaderData<Volume>(page, VOLUME_ROUTE);
    const expected = [
      ["2026-10-05", 3, 1, 4],
      ["2026-10-12", 1, 2, 3],
      ["2026-10-19", 3, 0, 3],
      ["2026-10-26", 0, 1, 1],
    ];
    expect(data.overTime.map((r) => [r.bucket, r.cancel, r.change, r.total])).toEqual(expected);
    // One drawn bar segment per non-zero number in the chart's data.
    const nonZero = data.overTime.flatMap((r) => [r.cancel, r.change]).filter((n) => n > 0).length;
    await expect.poll(() => volume.locator("path.recharts-rectangle").count()).toBe(nonZero);
    expect(await tableRows(page, /Requests over time/)).toEqual(
      data.overTime.map((r) => [r.label, String(r.cancel), String(r.change), String(r.total)]),
    );
    const csv = await downloadCsv(page, /Requests over time/);
    expect(csv[0]).toEqual(["bucket_start", "period", "specialty", "cancel", "change", "total"]);
    expect(csv.slice(1)).toEqual(
      data.overTime.map((r) => [
        r.bucket,
        r.label,
        "All specialties",
        String(r.cancel),
        String(r.change),
        String(r.total),
      ]),
    );

    // Per specialty over the same range.
    await chartDrawn(page, /Requests per specialty/);
    expect(data.bySpecialty.map((r) => [r.label, r.cancel, r.change, r.total])).toEqual([
      ["Cardiology (320)", 4, 3, 7],
      ["General Surgery (100)", 2, 1, 3],
      ["No specialty (not matched)", 1, 0, 1],
    ]);
    expect(await tableRows(page, /Requests per specialty/)).toEqual(
      data.bySpecialty.map((r) => [r.label, String(r.cancel), String(r.change), String(r.total)]),
    );
    const specialtyCsv = await downloadCsv(page, /Requests per specialty/);
    expect(specialtyCsv.slice(1)).toEqual([
      ["320", "Cardiology (320)", "4", "3", "7"],
      ["100", "General Surgery (100)", "2", "1", "3"],
      ["", "No specialty (not matched)", "1", "0", "1"],
    ]);
    await checkPage(page, "volume-by-week");

    // By month, one specialty.
    await page.getByLabel("Group by", { exact: true }).selectOption("month");
    await page.getByLabel("Specialty", { exact: true }).selectOption("320");
    await page.getByRole("button", { name: "Show report" }).click();
    await page.waitForURL(/granularity=month/);
    await chartDrawn(page, /Requests over time, Cardiology/);
    const monthly = await loaderData<Volume>(page, VOLUME_ROUTE);
    expect(monthly.overTime.map((r) => [r.label, r.cancel, r.change, r.total])).toEqual([
      ["Oct 2026", 4, 3, 7],
      ["Nov 2026", 0, 0, 0],
    ]);
    expect(await tableRows(page, /Requests over time/)).toEqual([
      ["Oct 2026", "4", "3", "7"],
      ["Nov 2026", "0", "0", "0"],
    ]);
    const monthlyCsv = await downloadCsv(page, /Requests over time/);
    expect(monthlyCsv.slice(1)).toEqual([
      ["2026-10-01", "Oct 2026", "320", "4", "3", "7"],
      ["2026-11-01", "Nov 2026", "320", "0", "0", "0"],
    ]);
    await checkPage(page, "volume-by-month-cardiology");
    await context.close();
  });

  it("refuses a range that ends before it starts, with a message by the field", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE.VIEWER.email);
    await page.goto(`${portal.url}/reports?from=2026-11-01&to=2026-10-01&granularity=week`);
    await expect
      .poll(() => page.getByText("The end date must be on or after the start date").count())
      .toBe(2);
    expect(await page.locator("svg.recharts-surface").count()).toBe(0);
    // What was typed stays in the fields, beside the message.
    expect(await page.getByLabel("From", { exact: true }).inputValue()).toBe("2026-11-01");
    expect(await page.getByLabel("To", { exact: true }).inputValue()).toBe("2026-10-01");
    await checkPage(page, "bad-range");
    await context.close();
  });

  it("shows time to action, SLA met and unmatched share with labelled bars", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE.TEAM_LEAD.email);
    await page.goto(`${portal.url}/reports/teams?from=2026-10-05&to=2026-11-01&granularity=week`);
    const timing = await chartDrawn(page, /Time to action per team/);
    // 2, 4, 6 hours: p50 4, p90 5.6 (percentile_cont)
    expect(await tableRows(page, /Time to action per team/)).toEqual([
      ["Cardiology appointments", "3", "4", "5.6"],
    ]);
    await expect
      .poll(() => timing.locator(".recharts-label-list text").allTextContents())
      .toEqual(["4 h", "5.6 h"]);
    const timingCsv = await downloadCsv(page, /Time to action per team/);
    expect(timingCsv).toEqual([
      ["team", "actioned", "p50_hours", "p90_hours"],
      ["Cardiology appointments", "3", "4", "5.6"],
    ]);
    const sla = await chartDrawn(page, /SLA met per team/);
    expect(await tableRows(page, /SLA met per team/)).toEqual([
      ["Cardiology appointments", "3", "0", "0", "100"],
    ]);
    await expect
      .poll(() => sla.locator(".recharts-label-list text").allTextContents())
      .toEqual(["100%"]);
    await checkPage(page, "teams");

    await page
      .getByRole("navigation", { name: "Reports" })
      .getByRole("link", { name: "Unmatched requests" })
      .click();
    await page.waitForURL(/\/reports\/unmatched\?/);
    await chartDrawn(page, /Unmatched on receipt/);
    expect(await tableRows(page, /Unmatched on receipt/)).toEqual([
      ["Week of 5 Oct 2026 (2026-W41)", "4", "0", "0"],
      ["Week of 12 Oct 2026 (2026-W42)", "3", "1", "33.3"],
      ["Week of 19 Oct 2026 (2026-W43)", "3", "0", "0"],
      ["Week of 26 Oct 2026 (2026-W44)", "1", "0", "0"],
    ]);
    const unmatchedCsv = await downloadCsv(page, /Unmatched on receipt/);
    expect(unmatchedCsv.at(-1)).toEqual(["total", "Whole range", "11", "1", "9.1"]);
    await checkPage(page, "unmatched");
    await context.close();
  });
});
