import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { screenshot, seriousAxeViolations } from "./browser.ts";
import { TEST_PASSWORD } from "./portal-process.ts";

/** Steps the browser tests share: signing in, checking a page, the sandbox's controls, a grant. */

interface SandboxAddress {
  url: string;
  adminKey: string;
}

interface SandboxWithLogin extends SandboxAddress {
  organisations: ReadonlyArray<{ publicId: string }>;
  demoLogin: { username: string; password: string };
}

export async function signIn(page: Page, portalUrl: string, email: string) {
  await page.goto(`${portalUrl}/login`);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

/** Waits for the page to settle, saves `<prefix>-<name>.png` and asserts no serious axe finding. */
export function pageChecker(prefix: string) {
  return async (page: Page, name: string) => {
    await page.waitForLoadState("networkidle");
    await screenshot(page, prefix ? `${prefix}-${name}` : name);
    expect(await seriousAxeViolations(page), `axe violations on ${name}`).toEqual([]);
  };
}

/** Calls one of the sandbox's `/_sandbox` controls and returns its JSON answer. */
export function sandboxControl(sandbox: () => SandboxAddress) {
  return async (method: string, path: string, body?: unknown) => {
    const { url, adminKey } = sandbox();
    const response = await fetch(`${url}/_sandbox${path}`, {
      method,
      headers: {
        "X-Sandbox-Admin-Key": adminKey,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.ok, `${method} ${path}`).toBe(true);
    return (await response.json()) as Record<string, unknown>;
  };
}

export const statusText = (page: Page) =>
  page
    .getByRole("status")
    .allTextContents()
    .then((texts) => texts.join(" "));

/** On PKB's page: the clinician signs in and allows access; back on the portal's grant page. */
export async function allowAtPkb(
  page: Page,
  sandbox: SandboxWithLogin,
  beforeAllowing?: (page: Page) => Promise<unknown>,
) {
  await page.waitForURL((url) => url.href.startsWith(`${sandbox.url}/apiAuthorize.action`));
  await page.getByLabel("Email address").fill(sandbox.demoLogin.username);
  await page.getByLabel("Password").fill(sandbox.demoLogin.password);
  if (beforeAllowing) await beforeAllowing(page);
  await page.getByRole("button", { name: "Sign in and allow access" }).click();
  await page.waitForURL(/\/admin\/pkb\/[0-9a-f-]{36}$/);
}

/**
 * The admin sets up the sandbox trust's connection and grants through PKB's consent page.
 * `afterSave` runs on the saved connection's page before the grant (e.g. "Test connection").
 */
export async function connectAndGrant(
  admin: Page,
  portalUrl: string,
  sandbox: SandboxWithLogin,
  afterSave?: (admin: Page) => Promise<unknown>,
) {
  await admin.goto(`${portalUrl}/admin/pkb/new`);
  await admin.getByLabel("Name for this PKB organisation").fill("Riverside (sandbox)");
  await admin.getByLabel("Organisation public id").fill(sandbox.organisations[0]!.publicId);
  await admin.getByLabel("Nominated team").fill("Appointments team");
  await admin.getByLabel("Fill from one address (optional)").fill(sandbox.url);
  await admin.getByRole("button", { name: "Fill the six addresses" }).click();
  await admin.getByLabel("User client id").fill("pkb-desk");
  await admin.getByLabel("User client secret").fill("pkb-desk-sandbox-secret");
  await admin.getByLabel("System client id").fill("pkb-desk-system");
  await admin.getByLabel("System client secret").fill("pkb-desk-system-secret");
  await admin.getByLabel("Aggregated client id").fill("pkb-desk-aggregated");
  await admin.getByLabel("Aggregated client secret").fill("pkb-desk-aggregated-secret");
  await admin.getByRole("button", { name: "Save PKB organisation" }).click();
  await admin.waitForURL(/\/admin\/pkb\/[0-9a-f-]{36}$/);
  if (afterSave) await afterSave(admin);
  await admin.getByRole("button", { name: "Grant access" }).click();
  await allowAtPkb(admin, sandbox);
  await expect.poll(() => admin.getByText("Active", { exact: true }).count()).toBe(1);
}

/**
 * Presses "Sync now" and waits for that run to finish; returns its row's text. The runs listed
 * before the press are counted from the page, not passed in: the five-minute schedule can add a
 * run of its own at any moment, and a count fixed in advance then mistook the scheduled run (which
 * may have started before the caller's change) for this one.
 */
export async function syncNow(page: Page, portalUrl: string): Promise<string> {
  await page.goto(`${portalUrl}/requests/sync`);
  const rows = page.locator("tbody tr");
  const before = await rows.count();
  await page.getByRole("button", { name: "Sync now" }).click();
  await expect.poll(() => statusText(page)).toContain("Sync queued");
  let finished = "";
  await expect
    .poll(
      async () => {
        await page.reload();
        // Newest first: the rows added since the press, of which this run is the one "Sync now"
        // started (a scheduled run may have been added too).
        const added = (await rows.allTextContents()).slice(0, (await rows.count()) - before);
        finished = added.find((text) => /Sync now/.test(text) && !text.includes("Running")) ?? "";
        return finished;
      },
      { timeout: 60_000, interval: 1000 },
    )
    .not.toBe("");
  return finished;
}

/** A UK wall-clock rendering of an instant, as the pages print it. */
export const ukWall = (ms: number, pattern: string) =>
  format(new TZDate(ms, "Europe/London"), pattern);
