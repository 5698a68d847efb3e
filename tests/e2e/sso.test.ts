import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveSsoSettings } from "~/modules/auth/sso/settings.server.ts";
import { setDatabase } from "~/platform/db.server.ts";
import { startTrustIdp, type RunningTrustIdp } from "../../sandbox/src/idp/server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import { pageChecker, signIn } from "../support/e2e-steps.ts";
import {
  freePort,
  STAFF_BY_ROLE,
  startPortal,
  type RunningPortal,
} from "../support/portal-process.ts";

/**
 * Staff single sign-on in Chromium (ADR 0017): the built portal and the sandbox's trust identity
 * provider (oidc-provider) over real HTTP. A member of staff presses "Sign in with your trust
 * account", signs in and allows access on the provider's pages, and lands in the portal with the
 * role and team their directory groups map to; someone outside the trust's domain is refused.
 * Screenshots of every page and zero serious axe findings on the portal's and the provider's.
 */
const PORTAL_KEYS = `e2e1:${Buffer.alloc(32, 7).toString("base64")}`;

let idp: RunningTrustIdp;
let portal: RunningPortal;
let browser: Browser;

beforeAll(async () => {
  const port = await freePort();
  idp = await startTrustIdp({
    port: 0,
    extraRedirectUris: [`http://127.0.0.1:${port}/auth/sso/callback`],
  });
  // The client secret is sealed here with the key the portal process will use.
  process.env.ENCRYPTION_KEYS = PORTAL_KEYS;
  portal = await startPortal({ PORT: String(port), ENCRYPTION_KEYS: PORTAL_KEYS }, async (db) => {
    setDatabase(db);
    const mapping = idp.suggestedMapping;
    await saveSsoSettings(
      {
        enabled: true,
        issuer: idp.issuer,
        clientId: idp.client.id,
        clientSecret: idp.client.secret,
        allowedDomains: [...mapping.allowedDomains],
        unknownUsers: "CREATE",
        defaultRole: "VIEWER",
        groupRoles: mapping.groupRoles.map((line) => ({ ...line })),
        groupTeams: mapping.groupTeams.map((line) => ({ ...line })),
        ssoOnly: false,
        breakGlassEmails: [],
      },
      { actor: { id: null, label: "e2e" }, clientAddress: null },
    );
    setDatabase(undefined);
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
  await idp?.close();
});

const checkPage = pageChecker("sso");

function person(about: string) {
  const found = idp.identities.find((identity) => identity.about.startsWith(about));
  if (!found) throw new Error(`no sandbox identity: ${about}`);
  return found;
}

/** From the portal's sign-in page to the provider's sign-in page. */
async function pressTrustAccount(page: Page) {
  await page.goto(`${portal.url}/login`);
  await page.getByRole("button", { name: "Sign in with your trust account" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${idp.url}/interaction/`));
}

describe("sign in with your trust account", () => {
  it("a request handler in cardiology signs in at the trust's provider and lands with that role and team", async () => {
    const riya = person("request handler");
    const page = await (await ukContext(browser)).newPage();
    await page.goto(`${portal.url}/login`);
    await checkPage(page, "portal-sign-in");
    await pressTrustAccount(page);
    expect(await page.locator("h1").textContent()).toBe("Sign in with your trust account");
    await checkPage(page, "idp-sign-in");

    // A wrong password stays on the provider's page with the problem said and linked.
    await page.getByLabel("E-mail address").fill(riya.email);
    await page.getByLabel("Password").fill("not her password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("There is a problem");
    await checkPage(page, "idp-sign-in-error");

    await page.getByLabel("Password").fill(riya.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Allow PKB Desk to know who you are?" }).waitFor();
    expect(await page.locator("main").textContent()).toContain(`signed in as ${riya.name}`);
    await checkPage(page, "idp-consent");
    await page.getByRole("button", { name: "Allow", exact: true }).click();

    await page.waitForURL((url) => url.origin === portal.url && url.pathname === "/");
    await expect.poll(() => page.locator("h1").textContent()).toContain(`Hello, ${riya.name}`);
    await checkPage(page, "handler-home");

    await page.goto(`${portal.url}/account`);
    const details = (await page.locator("dl").first().textContent()) ?? "";
    expect(details).toContain(riya.email);
    expect(details).toContain("Request handler");
    expect(details).toContain("Cardiology appointments");
    await checkPage(page, "handler-account");

    // What the role reaches: the requests worklist, not the administration pages.
    const requests = await page.goto(`${portal.url}/requests`);
    expect(requests?.status()).toBe(200);
    await checkPage(page, "handler-requests");
    const users = await page.goto(`${portal.url}/admin/users`);
    expect(users?.status()).toBe(403);
  });

  it("a campaign manager's second visit in the same browser needs no password at the provider", async () => {
    const morgan = person("campaign manager");
    const context = await ukContext(browser);
    const page = await context.newPage();
    await pressTrustAccount(page);
    await page.getByLabel("E-mail address").fill(morgan.email);
    await page.getByLabel("Password").fill(morgan.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("button", { name: "Allow", exact: true }).click();
    await page.waitForURL((url) => url.origin === portal.url && url.pathname === "/");
    const campaigns = await page.goto(`${portal.url}/campaigns`);
    expect(campaigns?.status()).toBe(200);
    await page.goto(`${portal.url}/account`);
    expect(await page.locator("dl").first().textContent()).toContain("Campaign manager");

    await page.getByRole("button", { name: "Sign out" }).first().click();
    await page.waitForURL((url) => url.pathname === "/login");
    // The provider still knows this browser: straight back in, no page at the provider.
    await page.getByRole("button", { name: "Sign in with your trust account" }).click();
    await page.waitForURL((url) => url.origin === portal.url && url.pathname === "/");
    await expect.poll(() => page.locator("h1").textContent()).toContain(`Hello, ${morgan.name}`);
  });

  it("refuses someone whose e-mail is outside the trust's domain, and says why", async () => {
    const locum = person("agency locum");
    const page = await (await ukContext(browser)).newPage();
    await pressTrustAccount(page);
    await page.getByLabel("E-mail address").fill(locum.email);
    await page.getByLabel("Password").fill(locum.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("button", { name: "Allow", exact: true }).click();
    await page.waitForURL((url) => url.origin === portal.url && url.pathname === "/login");
    await page.getByText("not one PKB Desk accepts").waitFor();
    await checkPage(page, "refused-domain");
    const home = await page.goto(`${portal.url}/`);
    expect(new URL(home!.url()).pathname).toBe("/login");
  });

  it("under 'pending approval', a newcomer waits until an administrator approves them with a role", async () => {
    const tom = person("viewer");
    const admin = await (await ukContext(browser)).newPage();
    await signIn(admin, portal.url, STAFF_BY_ROLE.ADMIN.email);
    await admin.goto(`${portal.url}/admin/sso`);
    await admin
      .getByLabel("Someone signs in who has no PKB Desk account")
      .selectOption("PENDING_APPROVAL");
    await admin.getByRole("button", { name: "Save settings" }).click();
    await admin.getByText("Single sign-on settings saved.").waitFor();

    const signIntoPortal = async () => {
      const page = await (await ukContext(browser)).newPage();
      await pressTrustAccount(page);
      await page.getByLabel("E-mail address").fill(tom.email);
      await page.getByLabel("Password").fill(tom.password);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("button", { name: "Allow", exact: true }).click();
      await page.waitForURL((url) => url.origin === portal.url);
      return page;
    };
    const waiting = await signIntoPortal();
    expect(new URL(waiting.url()).pathname).toBe("/login");
    await waiting.getByText("waiting for an administrator to approve it").waitFor();
    await checkPage(waiting, "pending-approval");

    await admin.goto(`${portal.url}/admin/users`);
    const row = admin.getByRole("row").filter({ hasText: tom.email });
    expect(await row.textContent()).toContain("Waiting for approval");
    await row.getByRole("link", { name: tom.name }).click();
    await admin.getByRole("heading", { name: "Approve this account" }).waitFor();
    await checkPage(admin, "admin-approve");
    await admin.getByLabel("Role").selectOption({ label: "Team lead" });
    await admin.getByLabel("Cardiology appointments").check();
    await admin.getByRole("button", { name: "Approve with this role and teams" }).click();
    await admin.getByText("can sign in with their trust account now").waitFor();

    const approved = await signIntoPortal();
    await approved.waitForURL((url) => url.pathname === "/");
    await expect.poll(() => approved.locator("h1").textContent()).toContain(`Hello, ${tom.name}`);
    await approved.goto(`${portal.url}/account`);
    const details = (await approved.locator("dl").first().textContent()) ?? "";
    expect(details).toContain("Team lead");
    expect(details).toContain("Cardiology appointments");
  });
});
