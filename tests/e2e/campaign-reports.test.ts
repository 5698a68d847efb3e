import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticNhsNumber } from "~/modules/campaigns/test-support.ts";
import { offlineConnection } from "~/modules/campaigns/testing.server.ts";
import {
  REPORT_FIXTURE,
  SECOND_FIXTURE,
  seedReportCampaign,
} from "~/modules/reports/campaigns/testing.server.ts";
import { setDatabase } from "~/platform/db.server.ts";
import { launchChromium, screenshot, ukContext } from "../support/browser.ts";
import { pageChecker, signIn as signInAt } from "../support/e2e-steps.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";

/**
 * The campaign reports in Chromium against the production build. Two campaigns are seeded
 * straight into the recipient, dispatch and hybrid-mail tables (the numbers are worked out by
 * hand in app/modules/reports/campaigns/campaign-reports.server.test.ts). A campaign manager opens
 * one campaign's report from its page; a viewer opens the report across campaigns from Reports.
 * Each chart draws, its table holds the numbers, its CSV holds exactly the table; the patient-level
 * CSV is formula-safe; the page without JavaScript (server rendering) already names each chart
 * and shows each table. Screenshots under test-results/e2e/, axe on every page.
 */
let portal: RunningPortal;
let browser: Browser;
let campaignId: string;
const PORTAL_KEYS = `e2e1:${Buffer.alloc(32, 7).toString("base64")}`;

beforeAll(async () => {
  process.env.ENCRYPTION_KEYS = PORTAL_KEYS;
  portal = await startPortal({ ENCRYPTION_KEYS: PORTAL_KEYS }, async (database) => {
    setDatabase(database);
    const connection = await offlineConnection();
    campaignId = await seedReportCampaign(database.prisma, connection, REPORT_FIXTURE);
    await seedReportCampaign(database.prisma, connection, SECOND_FIXTURE);
    setDatabase(undefined);
  });
  browser = await launchChromium();
  // a loaded machine (several sessions share two cores) can take minutes to start the portal
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

const checkPage = pageChecker("campaign-reports");

function section(page: Page, heading: RegExp) {
  return page.locator("section").filter({ has: page.getByRole("heading", { name: heading }) });
}

async function tableRows(page: Page, heading: RegExp): Promise<string[][]> {
  return section(page, heading)
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((row) =>
        Array.from(row.querySelectorAll("th, td")).map((cell) => cell.textContent?.trim() ?? ""),
      ),
    );
}

async function download(page: Page, link: ReturnType<Page["getByRole"]>): Promise<string[][]> {
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  return parse(await readFile((await file.path())!, "utf8")) as string[][];
}

/** The section's CSV, with the columns the table does not show dropped and blanks as "—". */
async function sectionCsv(page: Page, heading: RegExp, hidden: number[] = []) {
  const rows = await download(
    page,
    section(page, heading).getByRole("link", { name: /Download CSV/ }),
  );
  return rows.map((row) =>
    row.filter((_, index) => !hidden.includes(index)).map((cell) => cell || "—"),
  );
}

async function chartDrawn(page: Page, heading: RegExp) {
  // the chart's wrapper (recharts' own svg and legend icons are images inside it)
  const chart = section(page, heading).locator('div[role="img"]');
  await chart.locator("svg.recharts-surface").first().waitFor({ state: "visible" });
  await expect.poll(() => chart.locator("path.recharts-rectangle").count()).toBeGreaterThan(0);
  return chart;
}

describe("campaign reports", () => {
  it("one campaign: chart, table and CSV agree; the patient CSV is formula-safe", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signInAt(page, portal.url, STAFF_BY_ROLE.CAMPAIGN_MANAGER.email);
    await page.goto(`${portal.url}/campaigns/${campaignId}`);
    await page.getByRole("link", { name: "Campaign report" }).click();
    await page.waitForURL(/\/report$/);

    const funnelChart = await chartDrawn(page, /^Funnel$/);
    expect(await funnelChart.getAttribute("aria-label")).toContain(
      "Uploaded 13, Valid 10, Eligible 8, Invitation code 7, Delivered 4, Registered 4",
    );
    await expect
      .poll(() => funnelChart.locator(".recharts-label-list text").allTextContents())
      .toEqual(["13", "10", "8", "7", "4", "4"]);
    const funnel = await tableRows(page, /^Funnel$/);
    expect(funnel).toEqual([
      ["Uploaded", "13", "—"],
      ["Valid", "10", "76.9"],
      ["Eligible", "8", "80"],
      ["Invitation code", "7", "87.5"],
      ["Delivered", "4", "57.1"],
      ["Registered", "4", "100"],
    ]);
    const funnelCsv = await sectionCsv(page, /^Funnel$/);
    expect(funnelCsv[0]).toEqual(["stage", "count", "percent_of_previous"]);
    expect(funnelCsv.slice(1)).toEqual(funnel);

    await chartDrawn(page, /^By channel$/);
    const channels = await tableRows(page, /^By channel$/);
    expect(channels).toEqual([
      ["Letter", "2", "2", "0", "2", "100"],
      ["SMS", "3", "1", "2", "1", "100"],
      ["E-mail", "1", "1", "0", "1", "100"],
      ["Kiosk", "1", "1", "0", "1", "100"],
      ["No invitation delivered", "—", "—", "—", "1", "—"],
    ]);
    expect((await sectionCsv(page, /^By channel$/)).slice(1)).toEqual(channels);

    await chartDrawn(page, /^Hybrid mail/);
    const letters = await tableRows(page, /^Hybrid mail/);
    expect(letters.map((row) => row[1])).toEqual(["2", "1", "1", "1", "2"]);
    expect((await sectionCsv(page, /^Hybrid mail/)).slice(1)).toEqual(letters);
    await expect.poll(() => section(page, /^Hybrid mail/).textContent()).toContain("50%");
    await checkPage(page, "campaign-default");

    // The clock-change weeks: 00:30 BST and 23:30 GMT on Sunday 25 October are one week.
    await page.getByLabel("From", { exact: true }).fill("2026-10-19");
    await page.getByLabel("To", { exact: true }).fill("2026-11-01");
    await page.getByLabel("Group by", { exact: true }).selectOption("week");
    await page.getByRole("button", { name: "Show report" }).click();
    await page.waitForURL(/from=2026-10-19/);
    await chartDrawn(page, /^Registrations over time$/);
    const weeks = [
      ["Week of 19 Oct 2026 (2026-W43)", "1", "1", "2"],
      ["Week of 26 Oct 2026 (2026-W44)", "1", "0", "1"],
    ];
    // the URL changes as the new data arrives; React draws it a moment later
    await expect.poll(() => tableRows(page, /^Registrations over time$/)).toEqual(weeks);
    const weeksCsv = await sectionCsv(page, /^Registrations over time$/, [0]);
    expect(weeksCsv.slice(1)).toEqual(weeks);
    await checkPage(page, "campaign-weeks");

    const patients = await download(
      page,
      page.getByRole("link", { name: "Download the patient-level CSV" }),
    );
    expect(patients).toHaveLength(11);
    const six = patients.find((row) => row[0] === syntheticNhsNumber(6))!;
    expect(six.slice(1, 3)).toEqual(['\'=HYPERLINK("http://evil.example")', "'+44 risky"]);
    await context.close();
  });

  it("across campaigns: a viewer reaches it from Reports, sees every campaign, no patient data", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signInAt(page, portal.url, STAFF_BY_ROLE.VIEWER.email);
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Reports" })
      .click();
    await page
      .getByRole("navigation", { name: "Reports" })
      .getByRole("link", { name: "Invitation campaigns" })
      .click();
    await page.waitForURL(/\/reports\/campaigns\?/);
    await chartDrawn(page, /^Funnel$/);
    expect((await tableRows(page, /^Funnel$/)).map((row) => row[1])).toEqual([
      "16",
      "12",
      "10",
      "9",
      "5",
      "5",
    ]);
    await chartDrawn(page, /^Each campaign$/);
    const campaigns = await tableRows(page, /^Each campaign$/);
    expect(campaigns).toEqual([
      ["Diabetes clinic SMS", "3", "2", "2", "2", "1", "1", "0", "0"],
      ["Flu clinic invitations", "13", "10", "8", "7", "4", "4", "2", "2"],
    ]);
    expect((await sectionCsv(page, /^Each campaign$/, [1])).slice(1)).toEqual(campaigns);
    expect(await page.getByText("Download the patient-level CSV").count()).toBe(0);
    await checkPage(page, "all-campaigns");

    // The campaign report as a viewer: numbers, but no patient-level export.
    await page.goto(`${portal.url}/campaigns/${campaignId}/report`);
    await chartDrawn(page, /^Funnel$/);
    expect(await page.getByText("Download the patient-level CSV").count()).toBe(0);
    const refused = await page.request.get(
      `${portal.url}/campaigns/${campaignId}/report/recipients.csv`,
    );
    expect(refused.status()).toBe(403);
    await context.close();
  });

  it("without JavaScript the server already names each chart and shows each table", async () => {
    const context = await browser.newContext({
      locale: "en-GB",
      timezoneId: "Europe/London",
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    await signInAt(page, portal.url, STAFF_BY_ROLE.VIEWER.email);
    await page.goto(`${portal.url}/reports/campaigns`);
    const charts = page.locator('div[role="img"]');
    expect(await charts.count()).toBe(5);
    expect(await page.locator("svg.recharts-surface").count()).toBe(0);
    for (const label of await charts.evaluateAll((nodes) =>
      nodes.map((node) => node.getAttribute("aria-label") ?? ""),
    )) {
      expect(label.length).toBeGreaterThan(40);
    }
    expect(await page.locator("table caption").count()).toBe(5);
    expect((await tableRows(page, /^Funnel$/)).map((row) => row[1])).toEqual([
      "16",
      "12",
      "10",
      "9",
      "5",
      "5",
    ]);
    // axe needs JavaScript: the same page with it was checked above
    await screenshot(page, "campaign-reports-all-campaigns-no-js");
    await context.close();
  });
});
