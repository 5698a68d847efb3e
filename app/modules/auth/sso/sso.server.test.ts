import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { action as loginAction } from "~/routes/login/route.tsx";
import { action as startAction } from "~/routes/auth.sso.start/route.ts";
import { loader as callbackLoader } from "~/routes/auth.sso.callback/route.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import {
  startForgedIdp,
  type ForgedClaims,
  type ForgedIdp,
} from "../../../../tests/support/forged-idp.ts";
import { csrfCookie, get, post, settle } from "../../../../tests/support/requests.ts";
import { getActiveSession } from "../session.server.ts";
import { upsertStaffAccount } from "../staff-seed.server.ts";
import { updateUserAccess } from "../users.server.ts";
import { attemptLogin } from "../login.server.ts";
import { hashPassword } from "../password.server.ts";
import { saveTwoStepPolicy } from "../two-step/policy.server.ts";
import { emailDomainAllowed, roleForGroups, teamsForGroups } from "./mapping.ts";
import { saveSsoSettings, SsoSettingsError, type SsoSettingsInput } from "./settings.server.ts";

withTestDatabase();

let idp: ForgedIdp;
beforeAll(async () => {
  idp = await startForgedIdp();
});
afterAll(() => idp.close());

const admin = { actor: { id: null, label: "test" }, clientAddress: null };

function settings(overrides: Partial<SsoSettingsInput> = {}): SsoSettingsInput {
  return {
    enabled: true,
    issuer: idp.url,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    allowedDomains: ["trust.nhs.test"],
    unknownUsers: "CREATE",
    defaultRole: "VIEWER",
    groupRoles: [
      { group: "pkb-desk-leads", role: "TEAM_LEAD" },
      { group: "pkb-desk-handlers", role: "REQUEST_HANDLER" },
    ],
    groupTeams: [{ group: "cardiology", team: "Cardiology appointments" }],
    ssoOnly: false,
    breakGlassEmails: [],
    ...overrides,
  };
}

beforeEach(async () => {
  await saveSsoSettings(settings(), admin);
});

/** One browser's round trip: press the button, the IdP "signs the person in", back to the portal. */
async function roundTrip(claims: ForgedClaims = {}) {
  const { csrf, cookie } = await csrfCookie();
  const started = await settle(async () =>
    startAction({
      request: post("/auth/sso/start", { redirectTo: "/requests" }, { cookie, csrf }),
      params: {},
      context: {},
    }),
  );
  expect(started.status).toBe(302);
  const authorize = new URL(started.headers.get("Location")!);
  expect(authorize.origin).toBe(idp.url);
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorize.searchParams.get("state")).toBeTruthy();
  expect(authorize.searchParams.get("nonce")).toBeTruthy();
  const browserCookie = started.headers.getSetCookie()[0]!.split(";")[0]!;
  const code = idp.issueCode(authorize.href, claims);
  const query = new URLSearchParams({ code, state: authorize.searchParams.get("state")! });
  return {
    browserCookie,
    query,
    nonce: authorize.searchParams.get("nonce")!,
    callback: (q = query, cookieHeader = browserCookie) =>
      settle(async () =>
        callbackLoader({
          request: get(`/auth/sso/callback?${q}`, { cookie: cookieHeader }),
          params: {},
          context: {},
        }),
      ),
  };
}

async function lastFailure(): Promise<unknown> {
  const row = await (
    await prisma()
  ).auditEvent.findFirst({ where: { action: "auth.sso-failed" }, orderBy: { occurredAt: "desc" } });
  return (row?.details as { reason?: string } | undefined)?.reason;
}

function sessionCookieOf(response: Response): string | null {
  const line = response.headers
    .getSetCookie()
    .find((value) => value.startsWith("pkbdesk_session=") && !/Max-Age=0/i.test(value));
  return line ? line.split(";")[0]! : null;
}

describe("sign-in through the trust's identity provider", () => {
  it("creates a new member of staff with the role and team their groups map to, audited", async () => {
    const trip = await roundTrip({
      sub: "new-1",
      email: "Nia.New@trust.nhs.test",
      name: "Nia New",
      groups: ["other", "pkb-desk-handlers", "cardiology"],
    });
    const response = await trip.callback();
    expect(response.headers.get("Location")).toBe("/requests");
    const cookie = sessionCookieOf(response);
    const session = await getActiveSession(get("/", { cookie: cookie! }));
    expect(session?.user).toMatchObject({
      email: "nia.new@trust.nhs.test",
      displayName: "Nia New",
      role: "REQUEST_HANDLER",
    });
    const db = await prisma();
    const team = await db.team.findUniqueOrThrow({ where: { name: "Cardiology appointments" } });
    expect(session?.user.teamIds).toEqual([team.id]);
    const provision = await db.auditEvent.findFirstOrThrow({
      where: { action: "user.provision", entityId: session!.user.id },
    });
    expect(provision.details).toMatchObject({ via: "sso", role: "REQUEST_HANDLER", teams: 1 });
    const login = await db.auditEvent.findFirstOrThrow({
      where: { action: "auth.login", entityId: session!.user.id },
    });
    expect(login.details).toMatchObject({ method: "sso" });

    // Next time the same subject is the same user, whatever the groups say now.
    const again = await roundTrip({ sub: "new-1", email: "nia.new@trust.nhs.test", groups: [] });
    const second = await again.callback();
    const secondSession = await getActiveSession(get("/", { cookie: sessionCookieOf(second)! }));
    expect(secondSession?.user.id).toBe(session!.user.id);
    expect(secondSession?.user.role).toBe("REQUEST_HANDLER");
  });

  it("creates an unknown person as a viewer in no team who cannot sign in until an admin approves", async () => {
    await saveSsoSettings(settings({ unknownUsers: "PENDING_APPROVAL" }), admin);
    const claims = {
      sub: "pending-1",
      email: "pat.pending@trust.nhs.test",
      name: "Pat Pending",
      groups: ["pkb-desk-leads", "cardiology"],
    };
    const first = await (await roundTrip(claims)).callback();
    expect(sessionCookieOf(first)).toBeNull();
    expect(first.headers.get("Location")).toBe("/login");
    expect(await lastFailure()).toBe("pending-approval");
    const db = await prisma();
    const created = await db.user.findUniqueOrThrow({
      where: { email: "pat.pending@trust.nhs.test" },
      include: { memberships: true },
    });
    // The directory's groups would make a team lead in cardiology: not before an admin says so.
    expect(created).toMatchObject({ role: "VIEWER", memberships: [] });
    expect(created.approvalPendingSince).not.toBeNull();

    // Still waiting on a second try; nor does a password (were one ever set) get round it.
    expect(sessionCookieOf(await (await roundTrip(claims)).callback())).toBeNull();
    expect(await lastFailure()).toBe("pending-approval");
    const strong = "tangerine-viaduct-harmonica-47";
    await db.user.update({
      where: { id: created.id },
      data: { passwordHash: await hashPassword(strong) },
    });
    const local = await attemptLogin({
      email: created.email,
      password: strong,
      clientAddress: "192.0.2.7",
      userAgent: null,
    });
    expect(local.ok).toBe(false);
    const refusedLocal = await db.auditEvent.findFirstOrThrow({
      where: { action: "auth.login-failed", entityId: created.id },
    });
    expect(refusedLocal.details).toMatchObject({ reason: "pending-approval" });

    const team = await db.team.upsert({
      where: { name: "Cardiology appointments" },
      create: { name: "Cardiology appointments" },
      update: {},
    });
    await updateUserAccess(
      created.id,
      { displayName: "Pat Pending", role: "TEAM_LEAD", teamIds: [team.id], approve: true },
      admin,
    );
    expect(
      await db.auditEvent.count({ where: { action: "user.approve", entityId: created.id } }),
    ).toBe(1);
    const approved = await (await roundTrip(claims)).callback();
    const session = await getActiveSession(get("/", { cookie: sessionCookieOf(approved)! }));
    expect(session?.user).toMatchObject({ id: created.id, role: "TEAM_LEAD", teamIds: [team.id] });
  });

  it("links an existing account by verified e-mail, and refuses a disabled one", async () => {
    const db = await prisma();
    const userId = await upsertStaffAccount(db, {
      email: "lee.lead@trust.nhs.test",
      displayName: "Lee Lead",
      role: "TEAM_LEAD",
    });
    const response = await (
      await roundTrip({ sub: "lee", email: "lee.lead@trust.nhs.test" })
    ).callback();
    expect(
      (await getActiveSession(get("/", { cookie: sessionCookieOf(response)! })))?.user.id,
    ).toBe(userId);
    expect(await db.auditEvent.count({ where: { action: "sso.linked", entityId: userId } })).toBe(
      1,
    );

    await db.user.update({ where: { id: userId }, data: { disabledAt: new Date() } });
    const refused = await (
      await roundTrip({ sub: "lee", email: "lee.lead@trust.nhs.test" })
    ).callback();
    expect(refused.headers.get("Location")).toBe("/login");
    expect(sessionCookieOf(refused)).toBeNull();
    expect(await lastFailure()).toBe("disabled");
  });

  it("refuses a replayed callback, another state, and a callback in another browser", async () => {
    const trip = await roundTrip({ sub: "replay", email: "replay@trust.nhs.test" });
    expect(sessionCookieOf(await trip.callback())).not.toBeNull();
    const replay = await trip.callback();
    expect(sessionCookieOf(replay)).toBeNull();
    expect(await lastFailure()).toBe("state");

    const other = await roundTrip({ sub: "replay", email: "replay@trust.nhs.test" });
    const wrongState = new URLSearchParams(other.query);
    wrongState.set("state", "not-the-state-we-sent");
    expect(sessionCookieOf(await other.callback(wrongState))).toBeNull();
    expect(await lastFailure()).toBe("state");

    const third = await roundTrip({ sub: "replay", email: "replay@trust.nhs.test" });
    // The right state and code, but the cookie of a different browser's round trip.
    expect(sessionCookieOf(await third.callback(third.query, other.browserCookie))).toBeNull();
    expect(sessionCookieOf(await third.callback(third.query, ""))).toBeNull();
    expect(await lastFailure()).toBe("state");
  });

  it("refuses an ID token replayed from a finished round trip (its nonce was already spent)", async () => {
    const first = await roundTrip({ sub: "nonce-replay", email: "nonce.replay@trust.nhs.test" });
    expect(sessionCookieOf(await first.callback())).not.toBeNull();
    // A new round trip whose provider answer carries the first trip's nonce, as a replayed token would.
    const second = await roundTrip({
      sub: "nonce-replay",
      email: "nonce.replay@trust.nhs.test",
      nonce: first.nonce,
    });
    expect(second.nonce).not.toBe(first.nonce);
    const response = await second.callback();
    expect(sessionCookieOf(response)).toBeNull();
    expect(response.headers.get("Location")).toBe("/login");
    expect(await lastFailure()).toBe("token");
  });

  it.each([
    ["another nonce", { nonce: "a-nonce-from-another-round-trip" }],
    ["a wrong issuer", { iss: "https://login.evil.example" }],
    ["a wrong audience", { aud: "someone-elses-client" }],
    ["an expired ID token", { exp: Math.floor(Date.now() / 1000) - 3600 }],
  ])("refuses an ID token with %s", async (_name, claims) => {
    const trip = await roundTrip({ sub: "forged", email: "forged@trust.nhs.test", ...claims });
    const exchangesBefore = idp.tokenRequests;
    const response = await trip.callback();
    // The code was exchanged (client and PKCE accepted): the ID token's own check refused it.
    expect(idp.tokenRequests).toBe(exchangesBefore + 1);
    expect(response.headers.get("Location")).toBe("/login");
    expect(sessionCookieOf(response)).toBeNull();
    expect(await lastFailure()).toBe("token");
    const db = await prisma();
    expect(await db.user.count({ where: { email: "forged@trust.nhs.test" } })).toBe(0);
  });

  it("refuses an e-mail outside the allowed domains, an unverified e-mail, and unknown people when told to", async () => {
    const outside = await (
      await roundTrip({ sub: "x", email: "someone@elsewhere.test" })
    ).callback();
    expect(sessionCookieOf(outside)).toBeNull();
    expect(await lastFailure()).toBe("domain");
    const lookalike = await (
      await roundTrip({ sub: "y", email: "someone@evil-trust.nhs.test.example" })
    ).callback();
    expect(sessionCookieOf(lookalike)).toBeNull();

    const unverified = await (
      await roundTrip({ sub: "z", email: "unverified@trust.nhs.test", email_verified: false })
    ).callback();
    expect(sessionCookieOf(unverified)).toBeNull();
    expect(await lastFailure()).toBe("email-unverified");

    await saveSsoSettings(settings({ unknownUsers: "REFUSE" }), admin);
    const unknown = await (
      await roundTrip({ sub: "u", email: "unknown@trust.nhs.test" })
    ).callback();
    expect(sessionCookieOf(unknown)).toBeNull();
    expect(await lastFailure()).toBe("unknown-user");
  });

  it("an IdP error reply spends the round trip and signs no one in", async () => {
    const trip = await roundTrip();
    const denied = new URLSearchParams({ error: "access_denied", state: trip.query.get("state")! });
    expect(sessionCookieOf(await trip.callback(denied))).toBeNull();
    expect(await lastFailure()).toBe("idp-refused");
    expect(sessionCookieOf(await trip.callback())).toBeNull();
  });
});

describe("single sign-on only", () => {
  it("refuses local passwords except for the named break-glass accounts", async () => {
    const db = await prisma();
    await saveTwoStepPolicy(
      {
        ADMIN: false,
        CAMPAIGN_MANAGER: false,
        TEAM_LEAD: false,
        REQUEST_HANDLER: false,
        VIEWER: false,
        KIOSK: false,
      },
      admin,
    );
    await upsertStaffAccount(db, {
      email: "glass@trust.nhs.test",
      displayName: "Break Glass",
      role: "ADMIN",
      password: "a long enough password",
    });
    await upsertStaffAccount(db, {
      email: "local@trust.nhs.test",
      displayName: "Local",
      role: "VIEWER",
      password: "a long enough password",
    });
    await expect(saveSsoSettings(settings({ ssoOnly: true }), admin)).rejects.toBeInstanceOf(
      SsoSettingsError,
    );
    await saveSsoSettings(
      settings({ ssoOnly: true, breakGlassEmails: ["Glass@trust.nhs.test"] }),
      admin,
    );

    const signIn = async (email: string) => {
      const { csrf, cookie } = await csrfCookie();
      return settle(async () =>
        loginAction({
          request: post("/login", { email, password: "a long enough password" }, { cookie, csrf }),
          params: {},
          context: {},
        }),
      );
    };
    const refused = await signIn("local@trust.nhs.test");
    expect(refused.status).toBe(403);
    expect(JSON.stringify(await refused.json())).toContain("Sign in with your trust account");
    const glass = await signIn("glass@trust.nhs.test");
    expect(glass.status).toBe(302);
    expect(sessionCookieOf(glass)).not.toBeNull();
  });
});

describe("group mapping", () => {
  it("takes the first matching role line, every matching team, and exact domains only", () => {
    const roles = [
      { group: "admins", role: "ADMIN" as const },
      { group: "leads", role: "TEAM_LEAD" as const },
    ];
    expect(roleForGroups(["leads", "admins"], roles, "VIEWER")).toBe("ADMIN");
    expect(roleForGroups(["leads"], roles, "VIEWER")).toBe("TEAM_LEAD");
    expect(roleForGroups(["nobody"], roles, "VIEWER")).toBe("VIEWER");
    expect(
      teamsForGroups(
        ["a", "b"],
        [
          { group: "a", team: "One" },
          { group: "b", team: "Two" },
          { group: "b", team: "One" },
          { group: "c", team: "Three" },
        ],
      ),
    ).toEqual(["One", "Two"]);
    expect(emailDomainAllowed("x@trust.nhs.test", ["trust.nhs.test"])).toBe(true);
    expect(emailDomainAllowed("x@sub.trust.nhs.test", ["trust.nhs.test"])).toBe(false);
    expect(emailDomainAllowed("x@TRUST.NHS.TEST", ["trust.nhs.test"])).toBe(true);
  });
});
