import { readFile } from "node:fs/promises";
import iconv from "iconv-lite";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticNhsNumber } from "~/modules/campaigns/test-support.ts";
import { sandboxConnection } from "~/modules/campaigns/testing.server.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { setDatabase } from "~/platform/db.server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";
import { pageChecker, signIn as signInAt } from "../support/e2e-steps.ts";

/**
 * A campaign manager runs a campaign in Chromium against the production build: creates it,
 * uploads a Windows-1252 list with `;` delimiters and good and bad rows, maps the columns, watches
 * the import, and reads the error report. Every page is screenshotted and checked with axe.
 */
let portal: RunningPortal;
let browser: Browser;
let pkb: TestSandbox;

beforeAll(async () => {
  // Token generation is slowed so the progress bar, pause and resume can be seen.
  pkb = await startTestSandbox({
    patients: 4000,
    faults: { "facade.generate-invitation-tokens": { latencyMs: 1500 } },
  });
  // The connection's secrets are sealed here with the key the portal process will use.
  process.env.ENCRYPTION_KEYS = PORTAL_KEYS;
  portal = await startPortal({ ENCRYPTION_KEYS: PORTAL_KEYS }, async (database) => {
    setDatabase(database);
    await sandboxConnection(pkb.sandbox.url, pkb.trustPublicId, "Riverside (PKB sandbox)");
    setDatabase(undefined);
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
  await pkb?.close();
});

const signIn = (page: Page) => signInAt(page, portal.url, STAFF_BY_ROLE.CAMPAIGN_MANAGER.email);
const checkPage = pageChecker("");

const PORTAL_KEYS = `e2e1:${Buffer.alloc(32, 7).toString("base64")}`;
const good = Array.from({ length: 40 }, (_, index) => syntheticNhsNumber(100 + index));

describe("a campaign in the browser", () => {
  it("creates a campaign, imports a Windows-1252 ; list and reads the error report", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page);
    await page.getByRole("link", { name: "Campaigns" }).first().click();
    await checkPage(page, "campaigns-list-empty");

    await page.getByLabel("Campaign name").fill("Winter outpatients");
    await page.getByLabel("PKB organisation").selectOption({ label: "Riverside (PKB sandbox)" });
    await page.getByLabel("Which number do the lists carry?").selectOption("NHS");
    await page.getByLabel("How will invitations be sent?").selectOption("SMS");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => page.getByTestId("next-step").textContent())
      .toBe("Upload a patient list.");
    await checkPage(page, "campaign-new");

    // Upload refused with a clear message: an Excel workbook renamed to .csv.
    await page.getByLabel("Patient list (CSV)").setInputFiles({
      name: "list.csv",
      mimeType: "text/csv",
      buffer: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 1)]),
    });
    await page.getByRole("button", { name: "Upload" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toContain("This is a zip file or an Excel workbook (.xlsx) with a .csv name");
    await checkPage(page, "campaign-upload-refused");

    const rows = [
      "Surname;Forename;NHS No;Mobile;DOB",
      ...good.map(
        (nhs, index) =>
          `Müller-${index};Zoë;${nhs};07700 900${String(index).padStart(3, "0")};01/02/1980`,
      ),
      "Bad;Check;4857773456;;",
      "Damaged;Excel;9.43E+09;;",
      "Landline;Lee;" + syntheticNhsNumber(999) + ";0161 496 0000;",
    ];
    await page.getByLabel("Patient list (CSV)").setInputFiles({
      name: "pas-export.csv",
      mimeType: "text/csv",
      buffer: iconv.encode(rows.join("\r\n") + "\r\n", "win1252"),
    });
    await page.getByRole("button", { name: "Upload" }).click();
    await page.getByRole("heading", { name: "Choose the columns of pas-export.csv" }).waitFor();
    await page
      .getByText("Read as Windows-1252 (Western European), columns separated by semicolons")
      .waitFor();
    expect(await page.getByLabel("Patient identifier").inputValue()).toBe("NHS No");
    expect(await page.getByLabel("Date of birth").inputValue()).toBe("DOB");
    expect(await page.getByLabel("Family name").inputValue()).toBe("Surname");
    await checkPage(page, "campaign-map-columns");
    await page.getByLabel("Remember these columns as (optional)").fill("PAS export");
    await page.getByRole("button", { name: "Import the list" }).click();

    await expect
      .poll(() => page.getByTestId("next-step").textContent(), { timeout: 30_000 })
      .toBe("Upload another list, or check the patients' eligibility with PKB.");
    expect(await page.getByTestId("campaign-state").textContent()).toBe("Draft");
    const imported = page.getByRole("table", { name: "Uploaded lists, newest first" });
    await imported.getByRole("cell", { name: "Imported", exact: true }).waitFor();
    // 40 good rows kept; all share no contact, so none waits for review.
    expect(
      await page.getByRole("row", { name: /Imported, not checked yet/ }).textContent(),
    ).toContain("40");
    await checkPage(page, "campaign-imported");

    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: /Error report/ }).click();
    const report = await readFile((await (await download).path())!, "utf8");
    expect(report.split("\r\n")).toEqual([
      "Row,Field,Value (masked),Problem",
      `42,Patient identifier,******3456,"The NHS number’s check digit is wrong, so the number has been mistyped"`,
      `43,Patient identifier,*****+09,"A spreadsheet has turned this NHS number into scientific notation (like 9.43E+09), which loses digits. Format the column as text and export the list again."`,
      `44,Mobile number,********000,"This is a landline number, not a mobile: invitations by text need a mobile"`,
      "",
    ]);
    // No patient identifier reached the logs.
    for (const nhs of good) expect(portal.logs()).not.toContain(nhs);
    await context.close();
  });

  it("checks eligibility, opens a bucket, and generates codes with pause and resume", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${portal.url}/campaigns`);
    await page.getByLabel("Campaign name").fill("Spring registration");
    await page.getByLabel("PKB organisation").selectOption({ label: "Riverside (PKB sandbox)" });
    await page.getByLabel("Which number do the lists carry?").selectOption("NHS");
    await page.getByLabel("How will invitations be sent?").selectOption("LETTER");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);

    // The sandbox's own export of its patients: NHS, CHI and H&C numbers mixed (the last two
    // fail as NHS numbers and are reported), mobiles shared by many (flagged for review, H3).
    const csv = await (
      await fetch(`${pkb.sandbox.url}/_sandbox/patients?category=any&limit=4000&format=csv`, {
        headers: { "x-sandbox-admin-key": pkb.sandbox.adminKey },
      })
    ).text();
    await page.getByLabel("Patient list (CSV)").setInputFiles({
      name: "sandbox-patients.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(csv),
    });
    await page.getByRole("button", { name: "Upload" }).click();
    await page.getByRole("heading", { name: /Choose the columns of/ }).waitFor();
    // Leave contact details out so that shared mobiles do not hold patients for review here.
    await page.getByLabel("Mobile number").selectOption("");
    await page.getByLabel("E-mail address").selectOption("");
    await page.getByRole("button", { name: "Import the list" }).click();
    await page
      .getByRole("button", { name: "Check eligibility with PKB" })
      .waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: "Check eligibility with PKB" }).click();
    await page
      .getByRole("button", { name: "Generate invitation codes" })
      .waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("campaign-state").textContent()).toBe("Ready to generate");
    await checkPage(page, "campaign-ready");

    await page.getByRole("link", { name: "Under 16" }).click();
    await page.getByRole("heading", { name: "Under 16" }).waitFor();
    expect(await page.getByRole("row").count()).toBeGreaterThan(1);
    await checkPage(page, "campaign-bucket-under-16");
    await page.getByRole("link", { name: /Back to/ }).click();

    await page.getByRole("button", { name: "Generate invitation codes" }).click();
    await page.getByTestId("batch-progress-text").waitFor();
    const first = await page.getByTestId("batch-progress-text").textContent();
    await checkPage(page, "campaign-generating");
    await page.getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => page.getByTestId("campaign-state").textContent()).toBe("Paused");
    await checkPage(page, "campaign-paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await expect
      .poll(() => page.getByTestId("batch-progress-text").textContent(), { timeout: 30_000 })
      .not.toBe(first);
    await expect
      .poll(() => page.getByTestId("campaign-state").textContent(), { timeout: 90_000 })
      .toBe("Invitations generated");
    await checkPage(page, "campaign-generated");
    await context.close();
  });
});
