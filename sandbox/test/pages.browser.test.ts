import { mkdirSync } from "node:fs";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import {
  admin,
  facade,
  parametersOf,
  partsByName,
  startTestSandbox,
  type FhirPart,
  type Identifier,
} from "./support.ts";

const SHOTS = "test-results/sandbox";
let sb: RunningSandbox;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  sb = await startTestSandbox();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await sb?.close();
});

/** WCAG 2.2 AA via axe-core: no serious or critical violations allowed. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"])
    .analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    name,
  ).toEqual([]);
}

async function invitation(): Promise<{
  t1: string;
  t2: string;
  id: Identifier;
  birthDate: string;
}> {
  const listed = (await admin(sb, "GET", "/patients?category=eligible&limit=3")).body.patients as {
    identifier: Identifier;
    birthDate: string;
  }[];
  const p = listed[2] as { identifier: Identifier; birthDate: string };
  const res = await facade(
    sb,
    "Organization/$generate-invitation-tokens",
    parametersOf("patientIdentifier", [p.identifier]),
  );
  const parts = partsByName(res.body.parameter?.[0] as FhirPart);
  return {
    t1: parts.code?.valueString ?? "",
    t2: parts.token?.valueString ?? "",
    id: p.identifier,
    birthDate: p.birthDate,
  };
}

describe("sandbox pages in Chromium", () => {
  it("completes the Join PKB flow, and every step is accessible", async () => {
    const { t1, t2, id, birthDate } = await invitation();
    const page = await (await browser.newContext()).newPage();
    await page.goto(
      `${sb.url}/join?t1=${t1}&t2=${t2}&e=${encodeURIComponent("patient@example.com")}`,
    );
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "Confirm your date of birth",
    );
    await expectAccessible(page, "join-1-date-of-birth");

    await page.getByLabel("Day").fill("1");
    await page.getByLabel("Month").fill("1");
    await page.getByLabel("Year").fill("1901");
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain(
      "does not match our records",
    );
    await expectAccessible(page, "join-2-date-of-birth-error");

    const [year, month, day] = birthDate.split("-");
    await page.getByLabel("Day").fill(String(Number(day)));
    await page.getByLabel("Month").fill(String(Number(month)));
    await page.getByLabel("Year").fill(year ?? "");
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "Create your account",
    );
    await expect(page.getByLabel("Email address", { exact: true }).inputValue()).resolves.toBe(
      "patient@example.com",
    );
    await expectAccessible(page, "join-3-account");

    await page.getByLabel("Confirm email address").fill("patient@example.com");
    await page.getByLabel("Create a password").fill("short");
    await page.getByLabel("Confirm password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("at least 8 characters");
    await expectAccessible(page, "join-4-account-error");

    await page.getByLabel("Confirm email address").fill("patient@example.com");
    await page.getByLabel("Create a password").fill("correct-horse-7");
    await page.getByLabel("Confirm password").fill("correct-horse-7");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "You have joined Patients Know Best",
    );
    await expectAccessible(page, "join-5-done");

    const status = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [id]),
    );
    expect(partsByName(status.body.parameter?.[0] as FhirPart).registered?.valueBoolean).toBe(true);
    await page.goto(`${sb.url}/join?t1=${t1}&t2=${t2}`);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "This invitation has already been used",
    );
    await expectAccessible(page, "join-6-used");
    await page.context().close();
  });

  it("the code-entry, unknown and expired invitation pages are accessible", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${sb.url}/join`);
    await expectAccessible(page, "join-codes");
    await page.getByRole("button", { name: "Continue" }).click();
    await expectAccessible(page, "join-codes-error");
    await page.goto(`${sb.url}/join?t1=AAAAAAAAAA&t2=BBBBBBBBBB`);
    await expectAccessible(page, "join-unknown");
    const { t1, t2 } = await invitation();
    sb.clock.advance(31 * 86_400_000);
    await page.goto(`${sb.url}/join?t1=${t1}&t2=${t2}`);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "This invitation has expired",
    );
    await expectAccessible(page, "join-expired");
    sb.clock.advance(-31 * 86_400_000);
    await page.context().close();
  });

  it("signs a clinician in on the login + consent page and redirects with a code; the pages are accessible", async () => {
    const page = await (await browser.newContext()).newPage();
    // Stand in for the portal's callback so the redirect lands somewhere.
    await page.route("http://localhost:3000/**", (route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<title>callback</title>" }),
    );
    await page.goto(
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&scope=CLINICIAN&state=xyz&redirect_uri=${encodeURIComponent("http://localhost:3000/pkb/oauth/callback")}`,
    );
    await expectAccessible(page, "oauth-1-consent");
    await page.getByLabel("Email address").fill("clinician@sandbox.test");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Sign in and allow access" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("not right");
    await expectAccessible(page, "oauth-2-consent-error");
    await page.getByLabel("Password").fill("sandbox-clinician");
    await page.getByRole("button", { name: "Sign in and allow access" }).click();
    await page.waitForURL(/localhost:3000\/pkb\/oauth\/callback/);
    const url = new URL(page.url());
    expect(url.searchParams.get("state")).toBe("xyz");
    expect(url.searchParams.get("code")).toBeTruthy();
    await page.goto(`${sb.url}/apiAuthorize.action?response_type=code&client_id=unknown`);
    await expectAccessible(page, "oauth-3-unknown-client");
    await page.context().close();
  });

  it("has a front door listing surfaces, logins and clients, with read-only call log and population pages", async () => {
    // The sandbox is shared by this file's tests: count only this test's call.
    sb.app.calls.clear();
    await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [sb.summary().samples.eligible[0]!]),
    );
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${sb.url}/`);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("PKB sandbox");
    const text = await page.locator("main").innerText();
    expect(text).toContain("clinician@sandbox.test");
    expect(text).toContain("sandbox-clinician");
    expect(text).toContain(`${sb.url}/aggregated/fhir`);
    for (const client of sb.clients) {
      expect(text).toContain(client.id);
      expect(text).not.toContain(client.secret);
    }
    expect(text).toContain(sb.organisations[0]!.publicId);
    expect(text).not.toContain(sb.adminKey);
    await expectAccessible(page, "front-door");

    await page.getByRole("link", { name: "call log" }).first().click();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Call log");
    const row = page.getByRole("row", { name: /facade\.status-query/ }).first();
    expect(await row.innerText()).toContain("200: 1");
    await expectAccessible(page, "front-door-calls");

    await page
      .getByRole("navigation", { name: "Sandbox pages" })
      .getByRole("link", { name: "Population" })
      .click();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Population");
    expect(await page.getByRole("row", { name: /^patients \d/ }).innerText()).toContain("300");
    await expectAccessible(page, "front-door-population");
    await page.context().close();
  });

  it("lists what the Notify stand-in was asked to send, on an accessible page", async () => {
    const { NotifyClient } = await import("notifications-node-client");
    const { DEFAULT_NOTIFY_API_KEY, DEFAULT_NOTIFY_TEMPLATES } =
      await import("../src/notify/config.ts");
    const client = new NotifyClient(sb.url, DEFAULT_NOTIFY_API_KEY);
    await client.sendSms(DEFAULT_NOTIFY_TEMPLATES[0]!.id, "07700 900555", {
      personalisation: { body: "Your Patients Know Best invitation code is ABCDE23456" },
      reference: "campaign-1:recipient-7",
    });
    await client.sendEmail(DEFAULT_NOTIFY_TEMPLATES[1]!.id, "read.richards@example.com", {
      personalisation: { subject: "Join Patients Know Best", body: "Open the link to join." },
    });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${sb.url}/`);
    await page
      .getByRole("navigation", { name: "Sandbox pages" })
      .getByRole("link", { name: "Notify sends" })
      .click();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Notify sends");
    const row = page.getByRole("row", { name: /07700 900555/ });
    expect(await row.innerText()).toContain("campaign-1:recipient-7");
    await expectAccessible(page, "front-door-notify");
    await page.context().close();
  });

  it("shows a visible focus indicator", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${sb.url}/join`);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    const outline = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      return {
        id: el.id,
        outline: getComputedStyle(el).outlineStyle,
        width: getComputedStyle(el).outlineWidth,
      };
    });
    expect(outline.id).toBe("t1");
    expect(outline.outline).toBe("solid");
    expect(outline.width).toBe("4px");
    await page.screenshot({ path: `${SHOTS}/join-focus.png` });
    await page.context().close();
  });
});
