import { generate } from "otplib";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, ukContext } from "../support/browser.ts";
import { pageChecker, signIn } from "../support/e2e-steps.ts";
import {
  startPortal,
  STAFF_BY_ROLE,
  TEST_PASSWORD,
  type RunningPortal,
} from "../support/portal-process.ts";

/**
 * Two-step sign-in in Chromium against the built portal (ADR 0017): an administrator sets up an
 * authenticator app from the manual key on the page (codes computed with otplib, as an app
 * would), signs out, signs in with a code, then with a recovery code, and that recovery code is
 * refused the second time. Screenshots of every step; zero serious axe findings.
 */
let portal: RunningPortal;
let browser: Browser;

beforeAll(async () => {
  portal = await startPortal();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

const checkPage = pageChecker("two-step");
const admin = STAFF_BY_ROLE.ADMIN;

/** What the authenticator app shows now for the key typed from the page. */
const appCode = (key: string) => generate({ secret: key });

/** A code is accepted once per 30-second step: wait for the next step, as a person would. */
async function nextTimeStep() {
  const wait = 30_000 - (Date.now() % 30_000) + 1_000;
  await new Promise((resolve) => setTimeout(resolve, wait));
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await page.waitForURL((url) => url.pathname === "/login");
}

async function password(page: Page) {
  await page.goto(`${portal.url}/login`);
  await page.getByLabel("E-mail address").fill(admin.email);
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/login/two-step");
}

async function useRecoveryCode(page: Page, code: string) {
  await page.getByRole("link", { name: "Lost your phone? Use a recovery code" }).click();
  await page.getByLabel("Recovery code").waitFor();
  await page.getByLabel("Recovery code").fill(code);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

describe("two-step sign-in for an administrator", () => {
  it("enrols with the manual key, then signs in with a code and with a recovery code, once", async () => {
    const page = await (await ukContext(browser)).newPage();
    await signIn(page, portal.url, admin.email);
    await page.goto(`${portal.url}/account/two-step`);
    await checkPage(page, "account-off");
    await page.getByRole("button", { name: "Set up two-step sign-in" }).click();
    const manualKey = page.getByTestId("manual-key");
    await manualKey.waitFor();
    const key = ((await manualKey.textContent()) ?? "").replace(/\s+/g, "");
    expect(key).toMatch(/^[A-Z2-7]{16,}$/);
    await checkPage(page, "enrol");

    // A wrong code is refused with the reason, then the app's code turns it on.
    await page.getByLabel("Code from your authenticator app").fill("000000");
    await page.getByRole("button", { name: "Confirm and turn on two-step sign-in" }).click();
    await page.getByText("The code is not right").first().waitFor();
    await checkPage(page, "enrol-wrong-code");
    await page.getByLabel("Code from your authenticator app").fill(await appCode(key));
    await page.getByRole("button", { name: "Confirm and turn on two-step sign-in" }).click();
    const codeItems = page.getByTestId("recovery-codes").locator("li");
    await codeItems.first().waitFor();
    const recovery = await codeItems.allTextContents();
    expect(recovery).toHaveLength(10);
    await checkPage(page, "recovery-codes");
    await page.getByRole("link", { name: "I have saved my recovery codes" }).click();
    await page.getByText("Two-step sign-in is on for your account").waitFor();

    // Signed out, back with the password: no session until the code.
    await signOut(page);
    await password(page);
    expect(await page.locator("h1").textContent()).toBe("Enter your sign-in code");
    await checkPage(page, "code-step");
    const home = await page.goto(`${portal.url}/`);
    expect(new URL(home!.url()).pathname).toBe("/login");
    await password(page);
    await nextTimeStep();
    await page.getByLabel("Code from your authenticator app").fill(await appCode(key));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await expect
      .poll(() => page.locator("h1").textContent())
      .toContain(`Hello, ${admin.displayName}`);
    await checkPage(page, "signed-in-with-code");

    // With a recovery code instead.
    await signOut(page);
    await password(page);
    await useRecoveryCode(page, recovery[0]!);
    await page.waitForURL((url) => url.pathname === "/");
    await expect
      .poll(() => page.locator("h1").textContent())
      .toContain(`Hello, ${admin.displayName}`);

    // The same recovery code a second time: refused, still not signed in.
    await signOut(page);
    await password(page);
    await checkPage(page, "recovery-step");
    await useRecoveryCode(page, recovery[0]!);
    // The label also says "Recovery code": wait for the error summary itself.
    await page
      .getByRole("alert")
      .filter({ hasText: /recovery code/i })
      .waitFor();
    expect(new URL(page.url()).pathname).toBe("/login/two-step");
    const summary = (await page.getByRole("alert").allTextContents()).join(" ");
    expect(summary).toMatch(/recovery code/i);
    await checkPage(page, "recovery-refused");
    const stillOut = await page.goto(`${portal.url}/`);
    expect(new URL(stillOut!.url()).pathname).toBe("/login");

    // Another unused one works, and the account page counts what is left.
    await password(page);
    await useRecoveryCode(page, recovery[1]!);
    await page.waitForURL((url) => url.pathname === "/");
    await page.goto(`${portal.url}/account/two-step`);
    expect(await page.locator("main").textContent()).toMatch(/Recovery codes left:\s*8\s*of 10/);
    await checkPage(page, "account-on");
  });
});
