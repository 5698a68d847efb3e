import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { saveNotifySettings } from "~/modules/notify/settings.server.ts";
import { IDENTIFIER_SYSTEMS } from "~/modules/pkb/identifiers.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { sandboxConnection } from "~/modules/campaigns/testing.server.ts";
import { setDatabase } from "~/platform/db.server.ts";
import {
  DEFAULT_NOTIFY_API_KEY,
  DEFAULT_NOTIFY_TEMPLATES,
} from "../../sandbox/src/notify/config.ts";
import { launchChromium } from "../support/browser.ts";
import { pageChecker, signIn } from "../support/e2e-steps.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";

/**
 * The check-in kiosk in Chromium on a touch-sized screen: a kiosk device signs in and lands on its
 * campaign; a patient taps through NHS number and date of birth, then their e-mail address; the
 * portal's worker generates tokens at PKB and the sandbox's Notify receives one e-mail; the screen
 * then clears itself, leaving nothing of the patient on it.
 */
let portal: RunningPortal;
let pkb: TestSandbox;
let browser: Browser;

const PORTAL_KEYS = `e2e1:${Buffer.alloc(32, 7).toString("base64")}`;
const checkPage = pageChecker("kiosk");

beforeAll(async () => {
  // PKB's clock is today's, like the portal's (the age rules on both sides must agree).
  pkb = await startTestSandbox({ patients: 300, now: new Date().toISOString() });
  process.env.ENCRYPTION_KEYS = PORTAL_KEYS;
  portal = await startPortal({ ENCRYPTION_KEYS: PORTAL_KEYS }, async (database) => {
    setDatabase(database);
    const connectionId = await sandboxConnection(pkb.sandbox.url, pkb.trustPublicId, "Riverside");
    await database.prisma.campaign.create({
      data: {
        name: "Outpatients check-in",
        pkbConnectionId: connectionId,
        channel: "KIOSK",
        identifierKind: "NHS",
      },
    });
    await saveNotifySettings(
      {
        baseUrl: pkb.sandbox.url,
        apiKey: DEFAULT_NOTIFY_API_KEY,
        smsTemplateId: DEFAULT_NOTIFY_TEMPLATES[0]!.id,
        emailTemplateId: DEFAULT_NOTIFY_TEMPLATES[1]!.id,
        callbackBearerToken: "kiosk-e2e-callback-token",
      },
      { actor: SYSTEM_ACTOR, clientAddress: null },
    );
    setDatabase(undefined);
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
  await pkb?.close();
});

async function touchPage(): Promise<Page> {
  // A portrait tablet on a stand: touch events, no mouse hover.
  const context = await browser.newContext({
    locale: "en-GB",
    timezoneId: "Europe/London",
    viewport: { width: 800, height: 1280 },
    hasTouch: true,
  });
  return context.newPage();
}

async function eligiblePatient(): Promise<{ nhs: string; birthDate: string }> {
  const answer = await pkb.admin("GET", "/patients?category=eligible&limit=40");
  const patient = (
    answer.patients as Array<{ identifier: { system: string; value: string }; birthDate: string }>
  ).find((p) => p.identifier.system === IDENTIFIER_SYSTEMS.nhs && p.birthDate);
  return { nhs: patient!.identifier.value, birthDate: patient!.birthDate };
}

describe("the check-in kiosk", () => {
  it("signs a patient up on a touch screen and e-mails one invitation", async () => {
    const page = await touchPage();
    await page.clock.install();
    await signIn(page, portal.url, STAFF_BY_ROLE.KIOSK.email);
    // One kiosk campaign: the device goes straight to it.
    await page.waitForURL(/\/kiosk\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Join Patients Know Best");
    await checkPage(page, "start");
    // Staff pages stay closed to the kiosk.
    const staffPage = await page.request.get(`${portal.url}/campaigns`);
    expect(staffPage.status()).toBe(403);

    // Tapping on with nothing filled in names each field.
    await page.getByRole("button", { name: "Continue" }).tap();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toContain("Enter your NHS number");
    await checkPage(page, "errors");

    const patient = await eligiblePatient();
    const [year, month, day] = patient.birthDate.split("-");
    await page.getByLabel("NHS number").fill(patient.nhs);
    await page.getByLabel("Day").fill(String(Number(day)));
    await page.getByLabel("Month").fill(String(Number(month)));
    await page.getByLabel("Year").fill(year!);
    await page.getByRole("button", { name: "Continue" }).tap();
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Your e-mail address");
    await checkPage(page, "email");

    const email = "kiosk.e2e.patient@example.com";
    await page.getByLabel("E-mail address", { exact: true }).fill(email);
    await page.getByLabel("Type your e-mail address again").fill(email);
    await page.getByRole("button", { name: "Send my invitation" }).tap();
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Thank you. Check your e-mail");
    await checkPage(page, "done");

    // The portal's worker issues the tokens and sends the e-mail; the sandbox's Notify has it once.
    await expect
      .poll(
        async () =>
          (await pkb.admin("GET", `/notify/sends?recipient=${encodeURIComponent(email)}`)).total,
        { timeout: 60_000, interval: 500 },
      )
      .toBe(1);
    const sends = await pkb.admin("GET", `/notify/sends?recipient=${encodeURIComponent(email)}`);
    expect(sends.sends[0].personalisation.body).toMatch(/\/join\?t1=\w{10}&t2=\w{10}&e=/);

    // Left alone, the thank-you screen clears itself back to an empty start.
    await page.clock.runFor(21_000);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Join Patients Know Best");
    expect(await page.getByLabel("NHS number").inputValue()).toBe("");
    expect(await page.content()).not.toContain(email);
    await checkPage(page, "cleared");
  });

  it("clears a half-typed form after a minute without a touch", async () => {
    const page = await touchPage();
    await page.clock.install();
    await signIn(page, portal.url, STAFF_BY_ROLE.KIOSK.email);
    await page.waitForURL(/\/kiosk\/[0-9a-f-]{36}$/);
    await page.getByLabel("NHS number").fill("9434765919");
    await page.getByLabel("Year").fill("1980");
    await page.clock.runFor(61_000);
    await expect.poll(() => page.getByLabel("NHS number").inputValue()).toBe("");
    expect(await page.getByLabel("Year").inputValue()).toBe("");
  });
});
