import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as callbackRoute from "~/routes/_shell.pkb.oauth.callback/route.tsx";
import * as connectionRoute from "~/routes/_shell.admin.pkb.$connectionId/route.tsx";
import * as shellRoute from "~/routes/_shell/route.tsx";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import { startSandbox, type RunningSandbox } from "../../../sandbox/src/server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import {
  answerConsent,
  sandboxCalls,
  sandboxConnection,
  tokenWorks,
} from "../../../tests/support/pkb-grant.ts";
import { get, post, settle, signedInAs, type Identity } from "../../../tests/support/requests.ts";
import { createConnection } from "./connections.server.ts";
import { GrantNeedsReauthorisationError } from "./grant-contract.ts";
import { checkGrant, PkbTokenRefreshError, userTokenSource } from "./grants.server.ts";
import { unseal } from "./secrets.server.ts";

/**
 * The clinician grant end to end against the sandbox over real HTTP: the authorisation round trip
 * through the real routes (state, PKCE, consent), tokens at rest, refresh before expiry and on
 * 401, refresh-token reuse, and token-endpoint failures.
 */
withTestDatabase();
const clock = new FakeClock(new Date());
let sandbox: RunningSandbox;
let admin: Identity;

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    patients: 30,
    frozenClock: true,
    now: clock.now().getTime(),
    extraRedirectUris: ["http://localhost:3000/pkb/oauth/callback"],
  });
  setClock(clock);
  admin = await signedInAs("ADMIN");
});

afterAll(async () => {
  setClock(systemClock);
  await sandbox?.close();
  await stopJobRuntime();
});

beforeEach(() => {
  sandbox.app.faults.clear();
  sandbox.app.calls.clear();
});

/** Both clocks move together, as they do in real life. */
function advance(ms: number) {
  clock.advance(ms);
  sandbox.clock.advance(ms);
}

const context = (who: Identity) => ({
  actor: { id: who.userId, label: who.email },
  clientAddress: "127.0.0.1",
});

async function newConnection(target = sandbox): Promise<string> {
  return createConnection(sandboxConnection(target), context(admin));
}

/** Presses "Grant access" on the connection page; returns PKB's sign-in address. */
async function startGrant(connectionId: string, who: Identity = admin): Promise<string> {
  const response = await settle(async () =>
    connectionRoute.action({
      request: post(`/admin/pkb/${connectionId}`, { intent: "grant" }, who),
      params: { connectionId },
      context: {},
    }),
  );
  expect(response.status).toBe(302);
  return response.headers.get("Location")!;
}

/** PKB sends the browser back to the callback: runs its loader as `who`. */
async function callback(url: URL, who: Identity = admin): Promise<Response> {
  const request = get(`${url.pathname}${url.search}`, who);
  try {
    // Remix's data(): the page's data with its status, as the server would answer it.
    const result = await callbackRoute.loader({ request, params: {}, context: {} });
    return Response.json(result.data, { status: result.init?.status ?? 200 });
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

async function reasonOf(response: Response): Promise<string> {
  return ((await response.json()) as { reason: string }).reason;
}

async function grantThroughPkb(connectionId: string, target = sandbox): Promise<string> {
  const back = await answerConsent(target, await startGrant(connectionId), "allow");
  const response = await callback(back);
  expect(response.status).toBe(302);
  expect(response.headers.get("Location")).toBe(`/admin/pkb/${connectionId}`);
  const db = await prisma();
  return (await db.pkbGrant.findUniqueOrThrow({ where: { connectionId } })).id;
}

async function grantRow(grantId: string) {
  return (await prisma()).pkbGrant.findUniqueOrThrow({ where: { id: grantId } });
}

describe("granting access", () => {
  it("sends PKB a PKCE S256 challenge and a state, and stores only ciphertext", async () => {
    const connectionId = await newConnection();
    const authorize = new URL(await startGrant(connectionId));
    expect(authorize.origin).toBe(sandbox.url);
    expect(authorize.pathname).toBe("/apiAuthorize.action");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get("scope")).toBe("CLINICIAN");
    const state = authorize.searchParams.get("state")!;
    expect(state.length).toBeGreaterThanOrEqual(32);

    const db = await prisma();
    const attempt = await db.pkbAuthorisationRequest.findFirstOrThrow({ where: { connectionId } });
    expect(attempt.stateHash).not.toContain(state);
    expect(attempt.codeVerifier).toMatch(/^v1\./);

    const back = await answerConsent(sandbox, authorize.href, "allow");
    expect(back.searchParams.get("state")).toBe(state);
    const response = await callback(back);
    expect(response.status).toBe(302);

    const grant = await db.pkbGrant.findUniqueOrThrow({ where: { connectionId } });
    expect(grant.status).toBe("ACTIVE");
    expect(grant.grantedById).toBe(admin.userId);
    expect(grant.scope).toBe("CLINICIAN");
    expect(grant.accessToken).toMatch(/^v1\./);
    expect(grant.refreshToken).toMatch(/^v1\./);
    const accessToken = unseal(grant.accessToken!, grant.id);
    expect(await tokenWorks(sandbox, accessToken)).toBe(200);
    // Sealed for this row only: moved to another row it does not decrypt.
    expect(() => unseal(grant.accessToken!, connectionId)).toThrow();
    expect(grant.accessTokenExpiresAt!.getTime()).toBe(clock.now().getTime() + 600_000);

    const audit = await db.auditEvent.findMany({ where: { entityId: grant.id } });
    expect(audit.map((row) => row.action)).toEqual(["pkb.grant.granted"]);
    const everything = JSON.stringify(
      await db.auditEvent.findMany({ select: { details: true, entityId: true } }),
    );
    expect(everything).not.toContain(accessToken);
    expect(everything).not.toContain(unseal(grant.refreshToken!, grant.id));
  });

  it("refuses a replayed state: the callback works once", async () => {
    const connectionId = await newConnection();
    const back = await answerConsent(sandbox, await startGrant(connectionId), "allow");
    expect((await callback(back)).status).toBe(302);
    const replay = await callback(back);
    expect(replay.status).toBe(400);
    expect(await reasonOf(replay)).toBe("used-state");
  });

  it("refuses a callback without state, and a state the portal never issued", async () => {
    const missing = await callback(new URL("http://localhost:3000/pkb/oauth/callback?code=abc"));
    expect(missing.status).toBe(400);
    expect(await reasonOf(missing)).toBe("missing-state");
    const forged = await callback(
      new URL("http://localhost:3000/pkb/oauth/callback?code=abc&state=made-up"),
    );
    expect(await reasonOf(forged)).toBe("unknown-state");
  });

  it("refuses another session's state without spending it, so its owner can still finish", async () => {
    const connectionId = await newConnection();
    const back = await answerConsent(sandbox, await startGrant(connectionId), "allow");
    const otherAdmin = await signedInAs("ADMIN");
    const foreign = await callback(back, otherAdmin);
    expect(foreign.status).toBe(400);
    expect(await reasonOf(foreign)).toBe("other-session");
    const db = await prisma();
    expect(await db.pkbGrant.count({ where: { connectionId } })).toBe(0);
    expect((await callback(back)).status).toBe(302);
  });

  it("refuses an expired state", async () => {
    const connectionId = await newConnection();
    const authorize = await startGrant(connectionId);
    const back = await answerConsent(sandbox, authorize, "allow");
    clock.advance(10 * 60_000 + 1);
    const late = await callback(back);
    expect(await reasonOf(late)).toBe("expired-state");
    expect(await (await prisma()).pkbGrant.count({ where: { connectionId } })).toBe(0);
  });

  it("says the clinician declined when PKB answers access_denied, and changes nothing", async () => {
    const connectionId = await newConnection();
    const back = await answerConsent(sandbox, await startGrant(connectionId), "deny");
    expect(back.searchParams.get("error")).toBe("access_denied");
    const response = await callback(back);
    expect(response.status).toBe(200);
    expect(await reasonOf(response)).toBe("declined");
    const db = await prisma();
    expect(await db.pkbGrant.count({ where: { connectionId } })).toBe(0);
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { entityId: connectionId, action: "pkb.grant.callback-refused" },
    });
    expect(audit.details).toMatchObject({ reason: "declined" });
  });
});

describe("access tokens", () => {
  it("refreshes silently before expiry, and the new token works", async () => {
    const grantId = await grantThroughPkb(await newConnection());
    const source = userTokenSource(grantId);
    const first = await source.accessToken();
    expect(await source.accessToken()).toBe(first);
    sandbox.app.calls.clear();
    advance(600_000 - 30_000); // 30 s left: inside the refresh margin
    const second = await source.accessToken();
    expect(second).not.toBe(first);
    expect(sandboxCalls(sandbox, "oauth.token")).toBe(1);
    expect(await tokenWorks(sandbox, second)).toBe(200);
    const grant = await grantRow(grantId);
    expect(grant.lastRefreshedAt).toEqual(clock.now());
    expect(grant.tokenVersion).toBe(2);
  });

  it("refreshes after PKB answers 401 to a token the portal thought was still valid", async () => {
    const grantId = await grantThroughPkb(await newConnection());
    const source = userTokenSource(grantId);
    const stale = await source.accessToken();
    sandbox.clock.advance(601_000); // PKB's clock only: the portal still thinks it is valid
    expect(await tokenWorks(sandbox, stale)).toBe(401);
    sandbox.app.calls.clear();
    const fresh = await source.afterUnauthorized(stale);
    expect(fresh).not.toBe(stale);
    expect(await tokenWorks(sandbox, fresh)).toBe(200);
    // A later 401 for the old token does not spend another refresh token.
    expect(await source.afterUnauthorized(stale)).toBe(fresh);
    expect(sandboxCalls(sandbox, "oauth.token")).toBe(1);
  });

  it("keeps the old refresh token when PKB's answer has none", async () => {
    // Sessions of 1000 s: after 601 s the next access token would outlive the session, so PKB
    // answers without refresh_token and the old one stays valid (RFC 6749 §6).
    const short = await startSandbox({
      port: 0,
      patients: 10,
      frozenClock: true,
      now: clock.now().getTime(),
      sessionLifetimeSeconds: 1000,
    });
    try {
      const grantId = await grantThroughPkb(await newConnection(short), short);
      const before = await grantRow(grantId);
      const refreshBefore = unseal(before.refreshToken!, grantId);
      const source = userTokenSource(grantId);
      short.clock.advance(601_000);
      clock.advance(601_000);
      const fresh = await source.accessToken();
      const after = await grantRow(grantId);
      expect(unseal(after.refreshToken!, grantId)).toBe(refreshBefore);
      expect(after.accessTokenExpiresAt!.getTime()).toBe(clock.now().getTime() + 399_000);
      expect(await tokenWorks(short, fresh)).toBe(200);
      const audit = await (
        await prisma()
      ).auditEvent.findFirstOrThrow({
        where: { entityId: grantId, action: "pkb.grant.token-refreshed" },
      });
      expect(audit.details).toMatchObject({ refreshTokenRotated: false });
      // The kept refresh token still works at PKB.
      expect(await source.afterUnauthorized(fresh)).not.toBe(fresh);
    } finally {
      await short.close();
    }
  });

  it("marks the grant as needing re-authorisation when a refresh token was reused, once, with no retry loop", async () => {
    const connectionId = await newConnection();
    const grantId = await grantThroughPkb(connectionId);
    const row = await grantRow(grantId);
    // Someone else spends the single-use refresh token (a copy, a second worker without the lock).
    const spent = await fetch(`${sandbox.url}/apiToken.action`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: unseal(row.refreshToken!, grantId),
        client_id: "pkb-desk",
        client_secret: "pkb-desk-sandbox-secret",
      }),
    });
    expect(spent.status).toBe(200);
    sandbox.app.calls.clear();

    const source = userTokenSource(grantId);
    const stale = unseal(row.accessToken!, grantId);
    await expect(source.afterUnauthorized(stale)).rejects.toBeInstanceOf(
      GrantNeedsReauthorisationError,
    );
    // Every later call stops at once: PKB is not asked again.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(source.afterUnauthorized(stale)).rejects.toBeInstanceOf(
        GrantNeedsReauthorisationError,
      );
      await expect(source.accessToken()).rejects.toBeInstanceOf(GrantNeedsReauthorisationError);
    }
    expect(sandboxCalls(sandbox, "oauth.token")).toBe(1);

    const grant = await grantRow(grantId);
    expect(grant.status).toBe("NEEDS_REAUTHORISATION");
    expect(grant.lastError).toContain("API_SESSION_INVALID");
    expect(grant.needsReauthorisationAt).toEqual(clock.now());
    const audit = await (
      await prisma()
    ).auditEvent.findMany({
      where: { entityId: grantId, action: "pkb.grant.needs-reauthorisation" },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorLabel).toBe("system");
    expect(audit[0]!.details).toMatchObject({ code: "API_SESSION_INVALID" });

    // The banner: admins get the link, team leads are told to ask, handlers see nothing.
    const banner = async (who: Identity) => {
      const response = await settle(async () =>
        shellRoute.loader({ request: get("/", who), params: {}, context: {} }),
      );
      return ((await response.json()) as { grantBanner: unknown }).grantBanner as {
        canManage: boolean;
        grants: Array<{ connectionId: string }>;
      } | null;
    };
    const forAdmin = await banner(admin);
    expect(forAdmin?.canManage).toBe(true);
    expect(forAdmin?.grants.map((g) => g.connectionId)).toContain(connectionId);
    const forLead = await banner(await signedInAs("TEAM_LEAD"));
    expect(forLead?.canManage).toBe(false);
    expect(forLead?.grants.map((g) => g.connectionId)).toContain(connectionId);
    expect(await banner(await signedInAs("REQUEST_HANDLER"))).toBeNull();

    // Re-granting replaces the tokens and clears the banner.
    sandbox.app.calls.clear();
    expect(await grantThroughPkb(connectionId)).toBe(grantId);
    const regranted = await grantRow(grantId);
    expect(regranted.status).toBe("ACTIVE");
    expect(regranted.lastError).toBeNull();
    expect(await tokenWorks(sandbox, await source.accessToken())).toBe(200);
    expect((await banner(admin))?.grants.map((g) => g.connectionId)).not.toContain(connectionId);
    const regrantAudit = await (
      await prisma()
    ).auditEvent.findFirstOrThrow({
      where: {
        entityId: grantId,
        action: "pkb.grant.granted",
        details: { path: ["regrant"], equals: true },
      },
    });
    expect(regrantAudit.details).toMatchObject({ from: "NEEDS_REAUTHORISATION" });
  });

  it("needs re-authorisation when PKB's session was revoked (sandbox controls)", async () => {
    const grantId = await grantThroughPkb(await newConnection());
    const source = userTokenSource(grantId);
    await source.accessToken();
    const reset = await fetch(`${sandbox.url}/_sandbox/reset`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Sandbox-Admin-Key": sandbox.adminKey },
      body: JSON.stringify({ clock: false, sessions: true }),
    });
    expect(reset.status).toBe(200);
    advance(601_000);
    await expect(source.accessToken()).rejects.toBeInstanceOf(GrantNeedsReauthorisationError);
    expect((await grantRow(grantId)).status).toBe("NEEDS_REAUTHORISATION");
  });

  it("'Check the grant with PKB' refreshes now and reports a revoked grant", async () => {
    const connectionId = await newConnection();
    const grantId = await grantThroughPkb(connectionId);
    sandbox.app.calls.clear();
    expect(await checkGrant(connectionId)).toEqual({ ok: true });
    expect(sandboxCalls(sandbox, "oauth.token")).toBe(1);
    expect((await grantRow(grantId)).tokenVersion).toBe(2);
    sandbox.app.oauth.clear();
    expect(await checkGrant(connectionId)).toMatchObject({
      ok: false,
      reason: "needs-reauthorisation",
    });
    expect((await grantRow(grantId)).status).toBe("NEEDS_REAUTHORISATION");
  });

  it("leaves the grant unchanged when the token endpoint answers 500 or hangs, and succeeds later", async () => {
    const grantId = await grantThroughPkb(await newConnection());
    const source = userTokenSource(grantId, { tokenTimeoutSeconds: 1 });
    const stale = await source.accessToken();
    const before = await grantRow(grantId);

    sandbox.app.faults.replace({ "oauth.token": { rate500: 1, remaining: 1 } });
    const failed = await source.afterUnauthorized(stale).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PkbTokenRefreshError);
    expect((failed as PkbTokenRefreshError).failure.kind).toBe("transient");
    expect(await grantRow(grantId)).toEqual(before);

    sandbox.app.faults.replace({ "oauth.token": { hangRate: 1, remaining: 1 } });
    const hung = await source.afterUnauthorized(stale).catch((error: unknown) => error);
    expect(hung).toBeInstanceOf(PkbTokenRefreshError);
    expect((hung as PkbTokenRefreshError).failure.kind).toBe("transient");
    expect(await grantRow(grantId)).toEqual(before);

    // PKB did not act on either call, so the refresh token is still good.
    const fresh = await source.afterUnauthorized(stale);
    expect(await tokenWorks(sandbox, fresh)).toBe(200);
    expect((await grantRow(grantId)).status).toBe("ACTIVE");
  });

  it("disconnecting forgets the tokens and stops their use", async () => {
    const connectionId = await newConnection();
    const grantId = await grantThroughPkb(connectionId);
    const response = await settle(async () =>
      connectionRoute.action({
        request: post(`/admin/pkb/${connectionId}`, { intent: "disconnect" }, admin),
        params: { connectionId },
        context: {},
      }),
    );
    expect(response.status).toBe(302);
    const grant = await grantRow(grantId);
    expect(grant.status).toBe("DISCONNECTED");
    expect(grant.accessToken).toBeNull();
    expect(grant.refreshToken).toBeNull();
    await expect(userTokenSource(grantId).accessToken()).rejects.toBeInstanceOf(
      GrantNeedsReauthorisationError,
    );
    const audit = await (
      await prisma()
    ).auditEvent.findFirstOrThrow({
      where: { entityId: grantId, action: "pkb.grant.disconnected" },
    });
    expect(audit.actorId).toBe(admin.userId);
  });
});
