import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type RunningSandbox } from "../../sandbox/src/server.ts";
import { launchChromium, screenshot, ukContext } from "../support/browser.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";
import { allowAtPkb as allowAt, pageChecker, signIn as signInAt } from "../support/e2e-steps.ts";

/**
 * The clinician grant in Chromium against the built portal and the sandbox: an administrator sets
 * up the PKB connection, grants access through the sandbox's sign-in and consent pages and sees the
 * grant page; PKB then ends the session (sandbox control) and the next refresh puts the banner on
 * every page for administrators and team leads; granting again clears it.
 */
let portal: RunningPortal;
let sandbox: RunningSandbox;
let browser: Browser;

beforeAll(async () => {
  portal = await startPortal();
  sandbox = await startSandbox({
    port: 0,
    patients: 50,
    frozenClock: true,
    extraRedirectUris: [`${portal.url}/pkb/oauth/callback`],
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  await portal?.stop();
});

const signIn = (page: Page, email: string) => signInAt(page, portal.url, email);
const checkPage = pageChecker("pkb-grant");
/** On PKB's page: the clinician signs in and allows access; back on the portal's grant page. */
const allowAtPkb = (page: Page, screenshotName?: string) =>
  allowAt(
    page,
    sandbox,
    screenshotName ? (atPkb) => screenshot(atPkb, `pkb-grant-${screenshotName}`) : undefined,
  );

const banner = (page: Page) => page.getByTestId("grant-banner");

describe("the clinician grant", () => {
  it("is set up, granted through PKB, lost when PKB ends it, and granted again", async () => {
    const adminContext = await ukContext(browser);
    const admin = await adminContext.newPage();
    await signIn(admin, STAFF_BY_ROLE.ADMIN.email);

    // Settings: the "fill from one address" helper, client credentials, the trust's public id.
    await admin.getByRole("link", { name: "PKB connection" }).click();
    await admin.waitForURL(`${portal.url}/admin/pkb`);
    await checkPage(admin, "admin-list-empty");
    await admin.getByRole("link", { name: "Add a PKB organisation" }).click();
    await admin.getByLabel("Name for this PKB organisation").fill("Riverside (sandbox)");
    await admin.getByLabel("Organisation public id").fill(sandbox.organisations[0]!.publicId);
    await admin.getByLabel("Nominated team").fill("Appointments team");
    await admin.getByLabel("Fill from one address (optional)").fill(sandbox.url);
    await admin.getByRole("button", { name: "Fill the six addresses" }).click();
    expect(await admin.getByLabel("Custom REST address").inputValue()).toBe(`${sandbox.url}/json`);
    expect(await admin.getByLabel("Redirect address").inputValue()).toBe(
      `${portal.url}/pkb/oauth/callback`,
    );
    await admin.getByLabel("User client id").fill("pkb-desk");
    await admin.getByLabel("User client secret").fill("pkb-desk-sandbox-secret");
    await admin.getByLabel("System client id").fill("pkb-desk-system");
    await admin.getByLabel("System client secret").fill("pkb-desk-system-secret");
    await admin.getByLabel("Aggregated client id").fill("pkb-desk-aggregated");
    // A mistake first: the page names the field and keeps what was typed.
    await admin.getByRole("button", { name: "Save PKB organisation" }).click();
    await expect
      .poll(() => admin.getByRole("alert").textContent())
      .toContain("Enter the Aggregated client secret");
    expect(await admin.getByLabel("Nominated team").inputValue()).toBe("Appointments team");
    await checkPage(admin, "settings-error");
    await admin.getByLabel("User client secret").fill("pkb-desk-sandbox-secret");
    await admin.getByLabel("System client secret").fill("pkb-desk-system-secret");
    await admin.getByLabel("Aggregated client secret").fill("pkb-desk-aggregated-secret");
    await admin.getByRole("button", { name: "Save PKB organisation" }).click();
    await admin.waitForURL(/\/admin\/pkb\/[0-9a-f-]{36}$/);
    expect(await admin.content()).not.toContain("pkb-desk-sandbox-secret");
    await expect.poll(() => admin.getByText("No clinician has granted access yet").count()).toBe(1);
    await checkPage(admin, "connection-not-granted");

    // Grant through PKB's own sign-in and consent page.
    await admin.getByRole("button", { name: "Grant access" }).click();
    await allowAtPkb(admin, "sandbox-consent");
    await expect
      .poll(() =>
        admin
          .getByRole("status")
          .allTextContents()
          .then((texts) => texts.join(" ")),
      )
      .toContain("Access granted");
    await expect.poll(() => admin.getByText("Active", { exact: true }).count()).toBe(1);
    expect(await admin.locator("dd").allTextContents()).toContain(STAFF_BY_ROLE.ADMIN.email);
    await checkPage(admin, "granted");
    const grantPage = admin.url();

    // PKB ends the session (its control), and the next refresh finds out.
    const revoke = await fetch(`${sandbox.url}/_sandbox/reset`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Sandbox-Admin-Key": sandbox.adminKey },
      body: JSON.stringify({ clock: false, sessions: true }),
    });
    expect(revoke.status).toBe(200);
    await admin.getByRole("button", { name: "Check the grant with PKB" }).click();
    await expect
      .poll(() => admin.getByText("Needs re-authorisation", { exact: true }).count())
      .toBe(1);
    await expect.poll(() => admin.getByText(/API_SESSION_INVALID/).count()).toBeGreaterThan(0);
    await checkPage(admin, "needs-reauthorisation");

    // The banner on every page: administrators get the link.
    for (const path of ["/", "/account", "/admin/users", "/admin/audit"]) {
      await admin.goto(`${portal.url}${path}`);
      await expect.poll(() => banner(admin).count(), { message: path }).toBe(1);
      expect(await banner(admin).getByRole("link").getAttribute("href")).toBe(
        new URL(grantPage).pathname,
      );
    }
    await checkPage(admin, "banner-admin");

    // Team leads see it too, without a link: they are told to ask an administrator.
    const leadContext = await ukContext(browser);
    const lead = await leadContext.newPage();
    await signIn(lead, STAFF_BY_ROLE.TEAM_LEAD.email);
    for (const path of ["/", "/account", "/admin/teams"]) {
      await lead.goto(`${portal.url}${path}`);
      await expect.poll(() => banner(lead).count(), { message: path }).toBe(1);
      expect(await banner(lead).textContent()).toContain("Ask an administrator");
      expect(await banner(lead).getByRole("link").count()).toBe(0);
    }
    await checkPage(lead, "banner-team-lead");
    // …and cannot open the grant page.
    expect((await lead.goto(grantPage))?.status()).toBe(403);

    // A request handler does not see it.
    const handlerContext = await ukContext(browser);
    const handler = await handlerContext.newPage();
    await signIn(handler, STAFF_BY_ROLE.REQUEST_HANDLER.email);
    expect(await banner(handler).count()).toBe(0);

    // Re-grant from the banner's link: the banner goes for everyone.
    await admin.getByTestId("grant-banner").getByRole("link").click();
    await admin.getByRole("button", { name: "Grant access again" }).click();
    await allowAtPkb(admin);
    await expect
      .poll(() =>
        admin
          .getByRole("status")
          .allTextContents()
          .then((texts) => texts.join(" ")),
      )
      .toContain("Access granted again");
    await expect.poll(() => admin.getByText("Active", { exact: true }).count()).toBe(1);
    expect(await banner(admin).count()).toBe(0);
    await checkPage(admin, "regranted");
    await lead.reload();
    expect(await banner(lead).count()).toBe(0);

    // Nothing secret reached the portal's logs.
    const logs = portal.logs();
    for (const secret of [
      "pkb-desk-sandbox-secret",
      "pkb-desk-system-secret",
      "pkb-desk-aggregated-secret",
    ]) {
      expect(logs).not.toContain(secret);
    }
    await Promise.all([adminContext.close(), leadContext.close(), handlerContext.close()]);
  });

  it("says so plainly when the clinician declines", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, STAFF_BY_ROLE.ADMIN.email);
    await page.goto(`${portal.url}/admin/pkb`);
    await page.getByRole("link", { name: "Riverside (sandbox)" }).click();
    await page.getByRole("button", { name: "Grant access again" }).click();
    await page.waitForURL((url) => url.href.startsWith(`${sandbox.url}/apiAuthorize.action`));
    await page.getByRole("button", { name: "Deny access" }).click();
    await page.waitForURL((url) => url.pathname === "/pkb/oauth/callback");
    await expect.poll(() => page.locator("h1").textContent()).toBe("The clinician declined");
    await checkPage(page, "declined");
    // The grant that was there is untouched.
    await page.getByRole("link", { name: "Back to the PKB connection page" }).click();
    await expect.poll(() => page.getByText("Active", { exact: true }).count()).toBe(1);
    await context.close();
  });
});
