import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertStaffAccount } from "~/modules/auth/staff-seed.server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import { pageChecker, signIn as signInAt } from "../support/e2e-steps.ts";
import {
  startPortal,
  STAFF_BY_ROLE,
  TEST_PASSWORD,
  type RunningPortal,
} from "../support/portal-process.ts";

/**
 * Passwords and sign-in throttles in Chromium against the built portal (ADR 0016): a weak new
 * password is refused with the reason shown; a user whose existing password is weak is sent to
 * change it before anything else; repeated wrong passwords block that browser's address for that
 * account only, and an administrator sees the throttle and clears it.
 */
let portal: RunningPortal;
let browser: Browser;

const WEAK_USER = { email: "weak@e2e.test", password: "aaaaaaaaaaaa" };
const NEW_PASSWORD = "ladder orbit plum seventy";

beforeAll(async () => {
  portal = await startPortal({}, async (database) => {
    // A password set before the strength check existed (the seed writes the hash directly).
    await upsertStaffAccount(database.prisma, {
      email: WEAK_USER.email,
      displayName: "Wes Weak",
      role: "VIEWER",
      password: WEAK_USER.password,
    });
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

const checkPage = pageChecker("passwords");

async function typeSignIn(page: Page, email: string, password: string) {
  await page.goto(`${portal.url}/login`);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("password strength in the browser", () => {
  it("refuses a weak new password with the reason and what to do instead", async () => {
    const page = await (await ukContext(browser)).newPage();
    await signInAt(page, portal.url, STAFF_BY_ROLE.VIEWER.email);
    await page.goto(`${portal.url}/account/password`);
    await page.getByLabel("Current password").fill(TEST_PASSWORD);
    await page.getByLabel("New password", { exact: true }).fill("Password1234!");
    await page.getByLabel("Type the new password again").fill("Password1234!");
    await page.getByRole("button", { name: "Change password" }).click();
    const fieldError = page.getByText(/This password is too easy to guess/).last();
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/similar to a commonly used password/);
    expect(await fieldError.textContent()).not.toMatch(/must contain|symbol|capital letter/i);
    await checkPage(page, "weak-refused");
  });

  it("sends a user whose existing password is weak to change it before anything else", async () => {
    const page = await (await ukContext(browser)).newPage();
    await typeSignIn(page, WEAK_USER.email, WEAK_USER.password);
    await page.waitForURL(/\/account\/password$/);
    await page.goto(`${portal.url}/reports`);
    await page.waitForURL(/\/account\/password$/);
    await expect.poll(() => page.getByText(/must be changed before you carry on/).count()).toBe(1);
    await checkPage(page, "change-required");
    await page.getByLabel("Current password").fill(WEAK_USER.password);
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Type the new password again").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.waitForURL(/\/account$/);
    await page.goto(`${portal.url}/reports`);
    await page.waitForURL(/\/reports$/);
  });
});

describe("sign-in throttles in the browser", () => {
  it("blocks this address for one account after repeated failures; an admin sees and clears it", async () => {
    const page = await (await ukContext(browser)).newPage();
    const target = STAFF_BY_ROLE.CAMPAIGN_MANAGER.email;
    for (let attempt = 0; attempt < 6; attempt += 1) {
      await typeSignIn(page, target, `wrong password ${attempt}`);
      await page.getByRole("alert").first().waitFor();
    }
    expect(await page.getByText(/Too many failed attempts from here/).count()).toBeGreaterThan(0);
    await checkPage(page, "login-throttled");

    const admin = await (await ukContext(browser)).newPage();
    await signInAt(admin, portal.url, STAFF_BY_ROLE.ADMIN.email);
    await admin.goto(`${portal.url}/admin/users`);
    await admin.getByRole("link", { name: "Sign-in throttles" }).click();
    await admin.waitForURL(/\/admin\/sign-in-throttles$/);
    const blocked = admin.getByRole("row").filter({ hasText: "One account from one address" });
    expect(await blocked.textContent()).toContain(target);
    expect(await blocked.textContent()).toMatch(/Blocked until/);
    const slowed = admin.getByRole("row").filter({ hasText: "One account from anywhere" });
    expect(await slowed.textContent()).toMatch(/Slowed: the next attempt waits/);
    await checkPage(admin, "throttles");
    await blocked.getByRole("button", { name: /Clear/ }).click();
    await admin.getByText("The throttle was cleared.").waitFor();
    expect(
      await admin.getByRole("row").filter({ hasText: "One account from one address" }).count(),
    ).toBe(0);
    await checkPage(admin, "throttle-cleared");

    // Cleared: the campaign manager signs in from the same browser.
    await signInAt(page, portal.url, target);
  });
});
