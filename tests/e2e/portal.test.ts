import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "~/generated/prisma/enums.ts";
import { launchChromium, screenshot, seriousAxeViolations, ukContext } from "../support/browser.ts";
import {
  startPortal,
  STAFF_BY_ROLE,
  TEST_PASSWORD,
  type RunningPortal,
} from "../support/portal-process.ts";

/**
 * Every role signs in through the real sign-in page of the production build, visits every page
 * it can reach, and each page is screenshotted (test-results/e2e) and checked with axe-core.
 */
let portal: RunningPortal;
let browser: Browser;
/** Secrets and personal data the flows below put through the portal; none may reach its logs. */
const seeded: string[] = [
  TEST_PASSWORD,
  "a long enough password",
  "Nia New",
  "nia.new@e2e.test",
  "e2e-session-secret-that-is-long-enough-123",
  ...Object.values(STAFF_BY_ROLE).flatMap((staff) => [staff.email, staff.displayName]),
];

beforeAll(async () => {
  portal = await startPortal();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

async function signIn(page: Page, email: string, password = TEST_PASSWORD) {
  await page.goto(`${portal.url}/login`);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

async function checkPage(page: Page, name: string) {
  await page.waitForLoadState("networkidle");
  await screenshot(page, name);
  expect(await seriousAxeViolations(page), `axe violations on ${name}`).toEqual([]);
  const errors = await page.locator("text=Sorry, there is a problem").count();
  expect(errors, `${name} shows the error page`).toBe(0);
}

/** Pages each role can open from the navigation, discovered by following links. */
const REACHABLE: Record<Exclude<Role, "KIOSK">, string[]> = {
  ADMIN: [
    "/",
    "/account",
    "/admin/users",
    "/admin/users/new",
    "/admin/teams",
    "/admin/audit",
    "/admin/jobs",
  ],
  CAMPAIGN_MANAGER: ["/", "/account", "/campaigns"],
  TEAM_LEAD: ["/", "/account", "/admin/teams"],
  REQUEST_HANDLER: ["/", "/account"],
  VIEWER: ["/", "/account"],
};
const FORBIDDEN_FOR_NON_ADMINS = ["/admin/users", "/admin/audit", "/admin/jobs"];

describe("signed-out pages", () => {
  it("sign-in page is accessible and a wrong password gets a generic message", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await page.goto(`${portal.url}/admin/users`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await checkPage(page, "public-login");
    await page.getByLabel("E-mail address").fill(STAFF_BY_ROLE.ADMIN.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toContain("The e-mail address or password is not right");
    await checkPage(page, "public-login-error");
    await context.close();
  });
});

// The kiosk role has its own screens and browser test (tests/e2e/kiosk.test.ts).
const STAFF_ROLES = Object.keys(REACHABLE) as Array<keyof typeof REACHABLE>;

describe.each(STAFF_ROLES)("signed in as %s", (role) => {
  it("visits every page the role can reach, each accessible, and is refused the rest", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE[role].email);
    // The session and CSRF cookie values are secrets too: none may be logged.
    seeded.push(
      ...(await context.cookies())
        .map((cookie) => cookie.value)
        .filter((value) => value.length > 16),
    );
    for (const path of REACHABLE[role]) {
      const response = await page.goto(`${portal.url}${path}`);
      expect(response?.status(), `${role} ${path}`).toBe(200);
      await checkPage(
        page,
        `${role.toLowerCase()}${path === "/" ? "-home" : path.replaceAll("/", "-")}`,
      );
    }
    // Detail pages, reached by following the first link in each list.
    if (role === "ADMIN" || role === "TEAM_LEAD") {
      await page.goto(`${portal.url}/admin/teams`);
      await page.locator("table a").first().click();
      await page.waitForURL(/\/admin\/teams\/[0-9a-f-]{36}$/);
      await checkPage(page, `${role.toLowerCase()}-team-detail`);
    }
    if (role === "ADMIN") {
      await page.goto(`${portal.url}/admin/users`);
      await page.getByRole("link", { name: STAFF_BY_ROLE.REQUEST_HANDLER.displayName }).click();
      await page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/);
      await checkPage(page, "admin-user-detail");
    } else {
      for (const path of FORBIDDEN_FOR_NON_ADMINS) {
        const response = await page.goto(`${portal.url}${path}`);
        expect(response?.status(), `${role} ${path}`).toBe(403);
      }
      await checkPage(page, `${role.toLowerCase()}-forbidden`);
    }
    const missing = await page.goto(`${portal.url}/no/such/page`);
    expect(missing?.status()).toBe(404);
    await checkPage(page, `${role.toLowerCase()}-not-found`);
    await context.close();
  });
});

describe("an admin adds a user who sets a password and signs in", () => {
  it("works end to end, and the set-password link is single-use", async () => {
    const admin = await ukContext(browser);
    const page = await admin.newPage();
    await signIn(page, STAFF_BY_ROLE.ADMIN.email);
    await page.goto(`${portal.url}/admin/users/new`);
    await page.getByLabel("Full name").fill("Nia New");
    await page.getByLabel("E-mail address").fill("nia.new@e2e.test");
    await page.getByLabel("Role").selectOption("REQUEST_HANDLER");
    await page.getByLabel("Cardiology appointments").check();
    await page.getByRole("button", { name: "Add user" }).click();
    const link = await page.getByLabel("Link").inputValue();
    expect(link).toMatch(/\/set-password\/[A-Za-z0-9_-]{43}$/);
    seeded.push(link.split("/").pop()!);
    await checkPage(page, "admin-user-created");

    const newcomer = await ukContext(browser);
    const newPage = await newcomer.newPage();
    await newPage.goto(link.replace(/^https?:\/\/[^/]+/, portal.url));
    await checkPage(newPage, "public-set-password");
    await newPage.getByLabel("New password").fill("a long enough password");
    await newPage.getByLabel("Type the password again").fill("a long enough password");
    await newPage.getByRole("button", { name: "Set password" }).click();
    await newPage.waitForURL(/\/login$/);
    await expect
      .poll(() => newPage.getByRole("status").textContent())
      .toContain("Your password is set");
    await signIn(newPage, "nia.new@e2e.test", "a long enough password");
    await expect.poll(() => newPage.locator("h1").textContent()).toContain("Hello, Nia New");

    await newPage.goto(link.replace(/^https?:\/\/[^/]+/, portal.url));
    await expect
      .poll(() => newPage.locator("h1").textContent())
      .toContain("This link cannot be used");
    await checkPage(newPage, "public-set-password-spent");

    // The admin disables the newcomer (asked twice), and the newcomer's session ends at once.
    await page.goto(`${portal.url}/admin/users`);
    await page.getByRole("link", { name: "Nia New" }).click();
    await page.getByRole("button", { name: "Disable account" }).click();
    await page.getByRole("button", { name: "Yes, disable Nia New" }).click();
    await expect.poll(() => page.getByText("The account is disabled").count()).toBe(1);
    await checkPage(page, "admin-user-disabled");
    await newPage.goto(`${portal.url}/account`);
    expect(new URL(newPage.url()).pathname).toBe("/login");
    await newcomer.close();
    await admin.close();
  });
});

describe("transport", () => {
  it("sends security headers, no-store pages and health endpoints", async () => {
    const page = await fetch(`${portal.url}/login`);
    const csp = page.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(page.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(page.headers.get("Referrer-Policy")).toBe("same-origin");
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    const html = await page.text();
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(html).toContain(`nonce="${nonce}"`);
    // A fresh nonce each response.
    const again = await fetch(`${portal.url}/login`);
    expect(again.headers.get("Content-Security-Policy")).not.toBe(csp);

    expect(await (await fetch(`${portal.url}/healthz`)).text()).toBe("ok\n");
    const ready = await fetch(`${portal.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      database: true,
      migrations: true,
      workers: true,
    });
  });

  it("refuses a cross-site sign-in post", async () => {
    const response = await fetch(`${portal.url}/login`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://evil.example",
      },
      body: "email=a%40b.c&password=x",
      redirect: "manual",
    });
    expect(response.status).toBe(403);
  });
});

describe("server logs", () => {
  it("hold request records but none of the secrets or personal data the flows used", () => {
    const logs = portal.logs();
    expect(logs).toContain('"msg":"request"');
    expect(logs).toContain("/set-password/:redacted");
    for (const value of seeded) expect(logs, `logs contain ${value}`).not.toContain(value);
  });
});
