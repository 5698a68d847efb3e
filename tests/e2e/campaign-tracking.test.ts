import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse/sync";
import type { Browser, Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetCampaignFacades } from "~/modules/campaigns/batches/facade-factory.server.ts";
import { startEligibilityCheck } from "~/modules/campaigns/eligibility/eligibility.server.ts";
import { HYBRID_MAIL_TITLE } from "~/modules/campaigns/hybrid-mail/send.server.ts";
import { importedCampaign, sandboxConnection } from "~/modules/campaigns/testing.server.ts";
import { startTokenGeneration } from "~/modules/campaigns/tokens/tokens.server.ts";
import { CONTEXT, drive, sandboxCsv } from "~/modules/campaigns/tracking/testing.server.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { setDatabase } from "~/platform/db.server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import { pageChecker, signIn, statusText, ukWall } from "../support/e2e-steps.ts";
import { STAFF_BY_ROLE } from "../support/portal-process.ts";
import { startRestartablePortal, type RestartablePortal } from "../support/restartable-portal.ts";

/**
 * Registration and read-receipt tracking in Chromium against the production build and the PKB
 * sandbox over HTTP (issue 9 §3 and §4). A campaign of sandbox patients holds real invitation codes
 * (issued by the sandbox's $generate-invitation-tokens). The campaign manager exports the e-mail
 * invitations, one patient opens their Join link (t1, t2, e) and registers on the sandbox's Join
 * PKB pages; "Check registrations now" then finds them registered, with the date, and the report's
 * funnel moves from 0 to 1 registered. Then hybrid mail: the letters go to the sandbox's HL7
 * intake as MDM^T02, the sandbox (the patient) opens some of them, the read-receipt poll finds
 * those, the hours pass (the letters' stored times are moved back while the portal is stopped),
 * and the "post these" list holds exactly the unread letters, matched row for row against the
 * sandbox's own record of documents and patients. Screenshots under test-results/e2e/, axe on
 * every page.
 */
let portal: RestartablePortal;
let pkb: TestSandbox;
let browser: Browser;
let campaignId: string;
const PORTAL_KEYS = `e2e1:${Buffer.alloc(32, 7).toString("base64")}`;
const checkPage = pageChecker("campaign-tracking");
const OUT = path.resolve("test-results/e2e");
const LIST_SIZE = 10;
const POST_AFTER_HOURS = 72;

interface SandboxPatient {
  nationalId: string;
  given: string;
  family: string;
  birthDate: string;
  email: string;
}
let patients: SandboxPatient[] = [];

beforeAll(async () => {
  pkb = await startTestSandbox({
    patients: 200,
    now: new Date().toISOString(),
    frozenClock: false,
  });
  const csv = await sandboxCsv(pkb, "eligible", LIST_SIZE);
  const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
  patients = rows.map((row) => ({
    nationalId: row.nhs_number!,
    given: row.given_name!,
    family: row.family_name!,
    birthDate: row.date_of_birth!,
    email: row.email!,
  }));
  expect(patients).toHaveLength(LIST_SIZE);
  expect(patients.every((p) => p.email && p.birthDate)).toBe(true);
  process.env.ENCRYPTION_KEYS = PORTAL_KEYS;
  portal = await startRestartablePortal({ ENCRYPTION_KEYS: PORTAL_KEYS }, async (database) => {
    setDatabase(database);
    forgetCampaignFacades();
    const connectionId = await sandboxConnection(
      pkb.sandbox.url,
      pkb.trustPublicId,
      "Riverside University Hospitals",
    );
    // The list as the trust uploads it; eligibility and codes come from the sandbox over HTTP.
    campaignId = await importedCampaign(connectionId, csv, {
      identifier: "nhs_number",
      givenName: "given_name",
      familyName: "family_name",
      dateOfBirth: "date_of_birth",
      email: "email",
      postcode: "postcode",
    });
    await database.prisma.campaign.update({
      where: { id: campaignId },
      data: { name: "Winter registrations" },
    });
    await startEligibilityCheck(campaignId, CONTEXT);
    await drive(campaignId, "STATUS_QUERY");
    await startTokenGeneration(campaignId, CONTEXT);
    await drive(campaignId, "GENERATE_TOKENS");
    // Not every patient of the sandbox's sample comes through the status check and code
    // generation: the test follows those who hold codes.
    const issued = await database.prisma.recipient.findMany({
      where: { campaignId, state: "TOKEN_ISSUED" },
      select: { nationalId: true },
    });
    const holding = new Set(issued.map((r) => r.nationalId));
    patients = patients.filter((p) => holding.has(p.nationalId));
    expect(patients.length).toBeGreaterThanOrEqual(5);
    forgetCampaignFacades();
    setDatabase(undefined);
  });
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
  await pkb?.close();
});

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

async function csvOf(download: Promise<Download>, click: Promise<unknown>): Promise<string[][]> {
  const [file] = await Promise.all([download, click]);
  return parse(await readFile((await file.path())!), { bom: true }) as string[][];
}

/** The funnel's count for one stage, from the report's table. */
async function funnelCount(page: Page, stage: string): Promise<string | undefined> {
  return (await tableRows(page, /^Funnel$/)).find((row) => row[0] === stage)?.[1];
}

async function openReport(page: Page) {
  await page.goto(`${portal.url}/campaigns/${campaignId}/report`);
  await section(page, /^Funnel$/)
    .locator("svg.recharts-surface")
    .first()
    .waitFor({ state: "visible" });
}

/** The Tracking section's count with this test id, after a reload (the page is the judge). */
async function trackingCount(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent())?.trim() ?? "";
}

async function screenshotTracking(page: Page, name: string) {
  await page
    .locator("section, div")
    .filter({ has: page.locator("h2#tracking") })
    .last()
    .screenshot({ path: path.join(OUT, `campaign-tracking-${name}-section.png`) });
}

describe("campaign tracking", () => {
  it("a patient joins PKB from their invitation; the tracking run finds them and the funnel moves", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, portal.url, STAFF_BY_ROLE.CAMPAIGN_MANAGER.email);

    // The e-mail invitations as a file: each body carries the patient's Join link.
    await page.goto(`${portal.url}/campaigns/${campaignId}/delivery`);
    await page.getByRole("button", { name: "Export e-mails to a file" }).click();
    await expect.poll(() => statusText(page)).toContain(`Made a batch of ${patients.length}`);
    const messages = await csvOf(
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Messages (CSV)" }).first().click(),
    );
    expect(messages[0]).toEqual(["reference", "email_address", "subject", "body"]);
    expect(messages.slice(1)).toHaveLength(patients.length);

    // Before: the report counts every patient delivered and none registered.
    await openReport(page);
    expect(await funnelCount(page, "Delivered")).toBe(String(patients.length));
    expect(await funnelCount(page, "Registered")).toBe("0");
    await page.goto(`${portal.url}/campaigns/${campaignId}`);
    expect(await trackingCount(page, "tracking-registered")).toBe("0");
    expect(await page.getByTestId("tracking-last-run").textContent()).toContain(
      "have not been checked with PKB yet",
    );

    // The patient: the second on the list opens the link in their e-mail.
    const joiner = patients[1]!;
    const row = messages.find((r) => r[1] === joiner.email);
    expect(row, "the joiner's e-mail").toBeDefined();
    const link = row![3]!.match(/https?:\/\/\S+\/join\?t1=\w+&t2=\w+&e=\S+/)?.[0];
    expect(link, "a Join link with t1, t2 and e").toBeDefined();
    const joinUrl = new URL(link!);
    expect(joinUrl.origin).toBe(pkb.sandbox.url);
    expect(joinUrl.searchParams.get("e")).toBe(joiner.email);

    const patientContext = await ukContext(browser);
    const patientPage = await patientContext.newPage();
    await patientPage.goto(link!);
    await expect
      .poll(() => patientPage.getByRole("heading", { level: 1 }).textContent())
      .toBe("Confirm your date of birth");
    const [year, month, day] = joiner.birthDate.split("-");
    await patientPage.getByLabel("Day").fill(String(Number(day)));
    await patientPage.getByLabel("Month").fill(String(Number(month)));
    await patientPage.getByLabel("Year").fill(year!);
    await patientPage.getByRole("button", { name: "Continue" }).click();
    await expect
      .poll(() => patientPage.getByRole("heading", { level: 1 }).textContent())
      .toBe("Create your account");
    // e= carried the address to the account form.
    expect(await patientPage.getByLabel("Email address", { exact: true }).inputValue()).toBe(
      joiner.email,
    );
    await patientPage.getByLabel("Confirm email address").fill(joiner.email);
    await patientPage.getByLabel("Create a password").fill("winter2026pkb");
    await patientPage.getByLabel("Confirm password").fill("winter2026pkb");
    await patientPage.getByRole("button", { name: "Create account" }).click();
    await expect
      .poll(() => patientPage.getByRole("heading", { level: 1 }).textContent())
      .toBe("You have joined Patients Know Best");
    await patientContext.close();
    expect((await pkb.admin("GET", `/patients/${joiner.nationalId}`)).registered).toBe(true);

    // Nothing changes in the portal until tracking asks PKB.
    await page.reload();
    expect(await trackingCount(page, "tracking-registered")).toBe("0");
    await page.getByRole("button", { name: "Check registrations now" }).click();
    await expect.poll(() => statusText(page)).toContain("Checking registrations with PKB");
    const today = ukWall(Date.now(), "d MMM yyyy");
    await expect
      .poll(
        async () => {
          await page.reload();
          return {
            registered: await trackingCount(page, "tracking-registered"),
            waiting: await trackingCount(page, "tracking-waiting"),
            lastRun: (await page.getByTestId("tracking-last-run").textContent()) ?? "",
          };
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toMatchObject({ registered: "1", waiting: String(patients.length - 1) });
    expect(await page.getByTestId("tracking-last-run").textContent()).toContain(
      `${patients.length} patients asked, 1 newly registered`,
    );
    expect(await page.getByTestId("tracking-last-run").textContent()).toContain(today);
    await checkPage(page, "campaign-registered");
    await screenshotTracking(page, "registered");

    // The report: the funnel moved from 0 to 1 registered, and the patient's row has the date.
    await openReport(page);
    expect(await funnelCount(page, "Delivered")).toBe(String(patients.length));
    expect(await funnelCount(page, "Registered")).toBe("1");
    expect(await section(page, /^Hybrid mail/).textContent()).toContain(
      "No invitation letter has been sent to PKB as hybrid mail",
    );
    await checkPage(page, "report-registered");
    const everyone = await csvOf(
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download the patient-level CSV" }).click(),
    );
    const registeredColumn = everyone[0]!.indexOf("Registered (UK time)");
    expect(registeredColumn).toBeGreaterThan(0);
    const byNumber = new Map(everyone.slice(1).map((r) => [r[0], r]));
    expect([...byNumber.keys()].sort()).toEqual(patients.map((p) => p.nationalId).sort());
    expect(byNumber.get(joiner.nationalId)![registeredColumn]).toMatch(
      new RegExp(`^${ukWall(Date.now(), "yyyy-MM-dd")} \\d\\d:\\d\\d$`),
    );
    for (const [nationalId, other] of byNumber) {
      if (nationalId !== joiner.nationalId) expect(other[registeredColumn]).toBe("");
    }
    await context.close();
  });

  it("hybrid mail: letters to PKB over HL7, some read, and the post list holds exactly the unread", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, portal.url, STAFF_BY_ROLE.CAMPAIGN_MANAGER.email);
    await page.goto(`${portal.url}/campaigns/${campaignId}`);
    await page.getByLabel("Hours before an unread letter is posted").fill(String(POST_AFTER_HOURS));
    await page.getByRole("button", { name: "Use hybrid mail" }).click();
    await expect
      .poll(() => statusText(page))
      .toContain(`letters unread after ${POST_AFTER_HOURS} hours are posted`);

    // Every invited patient not yet registered gets a letter (the one who joined does not).
    const startedAt = Date.now();
    await page.getByRole("button", { name: "Send letters to PKB" }).click();
    await expect.poll(() => statusText(page)).toContain("Sending the letters to PKB.");
    const letters = patients.length - 1;
    await expect
      .poll(
        async () => {
          await page.reload();
          return [
            await trackingCount(page, "hybrid-sent"),
            await trackingCount(page, "hybrid-pending"),
          ];
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toEqual([String(letters), "0"]);

    // The sandbox's own record: one document per letter, each for a patient on the list.
    const filed = (
      (await pkb.admin("GET", "/documents?limit=100000")).documents as Array<{
        identifier: string;
        patientPublicId: string;
        title: string;
        createdAt: string;
        readAt: string | null;
      }>
    ).filter((d) => d.title === HYBRID_MAIL_TITLE && Date.parse(d.createdAt) >= startedAt - 5_000);
    expect(filed).toHaveLength(letters);
    const documents = await Promise.all(
      filed.map(async (d) => {
        const patient = await pkb.admin("GET", `/patients/${d.patientPublicId}`);
        return {
          documentId: d.identifier,
          nationalId: patient.identifier.value as string,
          given: patient.given as string,
          family: patient.family as string,
          postcode: patient.postalCode as string,
        };
      }),
    );
    const joiner = patients[1]!;
    expect(documents.map((d) => d.nationalId).sort()).toEqual(
      patients
        .filter((p) => p !== joiner)
        .map((p) => p.nationalId)
        .sort(),
    );

    // Two patients open their letter in PKB; the others do not.
    documents.sort((a, b) => a.documentId.localeCompare(b.documentId));
    const read = [documents[1]!, documents[3]!];
    const unread = documents.filter((d) => !read.includes(d));
    const opened = await pkb.admin("POST", "/documents/read", {
      documentIdentifiers: read.map((d) => d.documentId),
    });
    expect(opened.unknown).toEqual([]);

    // The tracking run polls the read receipts.
    await page.getByRole("button", { name: "Check registrations now" }).click();
    await expect
      .poll(
        async () => {
          await page.reload();
          return trackingCount(page, "hybrid-read");
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(String(read.length));
    expect(await trackingCount(page, "hybrid-due")).toBe("0");
    expect(await page.getByRole("button", { name: /Download the post list/ }).count()).toBe(0);
    await checkPage(page, "hybrid-read");
    await screenshotTracking(page, "hybrid-read");

    // The hours pass: with the portal stopped, every stored time of these letters moves back
    // POST_AFTER_HOURS and a minute, as if they were sent (and read) that long ago.
    const shift = `${POST_AFTER_HOURS * 60 + 1} minutes`;
    await portal.restart(async (database) => {
      const moved = await database.prisma.$executeRaw`
        UPDATE "HybridMailDocument"
           SET "sentAt" = "sentAt" - ${shift}::interval,
               "readAt" = "readAt" - ${shift}::interval,
               "readCheckedAt" = "readCheckedAt" - ${shift}::interval,
               "createdAt" = "createdAt" - ${shift}::interval
         WHERE "campaignId" = ${campaignId}::uuid`;
      expect(moved).toBe(letters);
    });

    await page.goto(`${portal.url}/campaigns/${campaignId}`);
    if (page.url().includes("/login")) {
      await signIn(page, portal.url, STAFF_BY_ROLE.CAMPAIGN_MANAGER.email);
      await page.goto(`${portal.url}/campaigns/${campaignId}`);
    }
    expect(await trackingCount(page, "hybrid-due")).toBe(String(unread.length));
    expect(await trackingCount(page, "hybrid-avoided")).toBe(String(read.length));
    // The hourly run would have asked PKB again since: nobody else read theirs.
    await page.getByRole("button", { name: "Check registrations now" }).click();
    const today = ukWall(Date.now(), "d MMM yyyy");
    await expect
      .poll(
        async () => {
          await page.reload();
          return (await page.getByTestId("hybrid-intro").textContent()) ?? "";
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toContain(`Read receipts last checked ${today}`);
    expect(await trackingCount(page, "hybrid-read")).toBe(String(read.length));
    expect(await trackingCount(page, "hybrid-due")).toBe(String(unread.length));
    await checkPage(page, "post-list-due");
    await screenshotTracking(page, "post-list-due");

    const list = await csvOf(
      page.waitForEvent("download"),
      page
        .getByRole("button", { name: `Download the post list (${unread.length} letters)` })
        .click(),
    );
    // Row for row, by column name: the letter, the patient and where to post it.
    const columns = ["document_id", "national_id", "given_name", "family_name", "postcode"];
    const at = columns.map((name) => list[0]!.indexOf(name));
    expect(
      at.every((index) => index >= 0),
      list[0]!.join(","),
    ).toBe(true);
    expect(list.slice(1).map((r) => at.map((index) => r[index]))).toEqual(
      unread.map((d) => [d.documentId, d.nationalId, d.given, d.family, d.postcode]),
    );
    expect(list.slice(1).map((r) => r[list[0]!.indexOf("invite_round")])).toEqual(
      unread.map(() => "1"),
    );

    // Listed once: the page counts them posted, nothing is due, postage avoided stays the read.
    await page.reload();
    expect(await trackingCount(page, "hybrid-posted")).toBe(String(unread.length));
    expect(await trackingCount(page, "hybrid-due")).toBe("0");
    expect(await trackingCount(page, "hybrid-avoided")).toBe(String(read.length));
    await checkPage(page, "posted");
    await screenshotTracking(page, "posted");

    // The report: letters avoided are the read ones.
    await openReport(page);
    const outcomes = Object.fromEntries(
      (await tableRows(page, /^Hybrid mail/)).map((r) => [r[0], r[1]]),
    );
    expect(outcomes).toEqual({
      "Read online before posting (letter avoided)": String(read.length),
      "Posted, read online later": "0",
      "Posted, not read online": String(unread.length),
      "Not read yet, not posted yet": "0",
      "Not accepted by PKB (waiting or refused)": "0",
    });
    // one decimal place, as the report prints it (2 of 7: 28.6%)
    const percent = Math.round((read.length / letters) * 1000) / 10;
    expect(await section(page, /^Hybrid mail/).textContent()).toContain(
      `${percent}% of the letters read or posted so far were read online first`,
    );
    await checkPage(page, "report-hybrid-mail");
    await context.close();
  });
});
