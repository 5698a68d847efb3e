import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_NOTIFY_API_KEY,
  DEFAULT_NOTIFY_TEMPLATES,
} from "../../sandbox/src/notify/config.ts";
import { startSandbox, type RunningSandbox } from "../../sandbox/src/server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import {
  pageChecker,
  sandboxControl,
  signIn as signInAt,
  statusText,
} from "../support/e2e-steps.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";

/**
 * GOV.UK Notify settings in Chromium against the built portal and the sandbox's Notify: an
 * administrator makes a mistake (named on the page), saves the sandbox's key and templates, runs
 * "Test connection" (nothing is sent), and the key never comes back to the browser. Other roles
 * cannot open the page.
 */
let portal: RunningPortal;
let sandbox: RunningSandbox;
let browser: Browser;

const SMS = DEFAULT_NOTIFY_TEMPLATES[0]!.id;
const EMAIL = DEFAULT_NOTIFY_TEMPLATES[1]!.id;
const KEY_SECRET = DEFAULT_NOTIFY_API_KEY.slice(-36);
const CALLBACK_TOKEN = "sandbox-callback-token-42";

beforeAll(async () => {
  portal = await startPortal();
  sandbox = await startSandbox({ port: 0, patients: 20, frozenClock: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  await portal?.stop();
});

const signIn = (page: Parameters<typeof signInAt>[0], email: string) =>
  signInAt(page, portal.url, email);
const checkPage = pageChecker("notify-settings");
const control = sandboxControl(() => sandbox);

describe("GOV.UK Notify settings", () => {
  it("are set up, tested against the sandbox's Notify and never echo the key", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE.ADMIN.email);
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "GOV.UK Notify" })
      .click();
    await page.waitForURL(/\/admin\/notify$/);
    // The URL changes when the navigation commits, before React renders the page: wait for it.
    await expect.poll(() => page.getByText(/\/notify\/callback$/).count()).toBe(1);
    await checkPage(page, "empty");

    // A mistake first: each bad field is named, and the secret must be typed again.
    await page.getByLabel("Notify API address").fill(sandbox.url);
    await page.getByLabel("API key").fill("not-a-key");
    await page.getByLabel("Text message template id").fill("template-one");
    await page.getByLabel("E-mail template id").fill(EMAIL);
    await page.getByLabel("Callback bearer token").fill(CALLBACK_TOKEN);
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toContain("The API key must be the whole key");
    expect(await page.getByRole("alert").textContent()).toContain("text message template id");
    expect(await page.getByLabel("Notify API address").inputValue()).toBe(sandbox.url);
    expect(await page.getByLabel("API key").inputValue()).toBe("");
    await checkPage(page, "error");

    await page.getByLabel("API key").fill(DEFAULT_NOTIFY_API_KEY);
    await page.getByLabel("Text message template id").fill(SMS);
    await page.getByLabel("Callback bearer token").fill(CALLBACK_TOKEN);
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect.poll(() => page.getByText("GOV.UK Notify settings saved.").count()).toBe(1);
    await expect.poll(() => page.getByText("pkb_desk_sandbox").count()).toBeGreaterThan(0);

    await page.getByRole("button", { name: "Test connection" }).click();
    await expect
      .poll(() => statusText(page))
      .toContain("Notify accepted the key and has both templates");
    const html = await page.content();
    expect(html).not.toContain(KEY_SECRET);
    expect(html).not.toContain(CALLBACK_TOKEN);
    await checkPage(page, "tested");

    expect((await control("GET", "/notify/sends")).total).toBe(0);
    await context.close();
  });

  it("are for administrators only", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE.CAMPAIGN_MANAGER.email);
    expect((await page.goto(`${portal.url}/admin/notify`))?.status()).toBe(403);
    await context.close();
  });
});
