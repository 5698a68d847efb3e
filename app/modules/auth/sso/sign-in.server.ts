import { createHash, randomBytes } from "node:crypto";
import * as oidc from "openid-client";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { recordAudit } from "../../audit/audit.server.ts";
import { seal, unseal } from "../../pkb/secrets.server.ts";
import { buildCookie } from "../cookies.server.ts";
import { normaliseEmail } from "../login.server.ts";
import { createSession, endSession, hashSessionToken } from "../session.server.ts";
import { emailDomainAllowed, roleForGroups, teamsForGroups } from "./mapping.ts";
import { loadSsoConfig, ssoCallbackUrl, type SsoConfig } from "./settings.server.ts";

/**
 * Staff sign-in through the trust's identity provider (OpenID Connect, authorization code with
 * PKCE S256, `state` and `nonce`). The round trip's secrets live server-side in one
 * SsoLoginAttempt row, named by the SHA-256 of `state`, bound to the browser that started it
 * (the SHA-256 of a token in a short-lived cookie), used once and within ten minutes.
 * openid-client checks the ID token: signature from the issuer's keys, `iss`, `aud`, `exp`,
 * `iat` and the `nonce`. The IdP's own multi-factor authentication is the second factor here
 * (ADR 0017): the portal's two-step sign-in is for local passwords.
 */
export const SSO_ATTEMPT_TTL_MS = 10 * 60 * 1000;
const SCOPE = "openid email profile";

export type SsoFailure =
  | "not-configured"
  | "state"
  | "idp-refused"
  | "token"
  | "email-unverified"
  | "domain"
  | "unknown-user"
  | "pending-approval"
  | "disabled";

export class SsoError extends Error {
  override name = "SsoError";
  constructor(readonly reason: SsoFailure) {
    super(reason);
  }
}

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

function attemptCookie() {
  return buildCookie("pkbdesk_sso", { maxAgeSeconds: SSO_ATTEMPT_TTL_MS / 1000 });
}

/** http is allowed only for an identity provider on this machine (the sandbox, tests). */
export function isLoopbackHttp(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

// Discovery once per issuer, client and secret; a failure is not cached.
const configurations = new Map<string, Promise<oidc.Configuration>>();

async function clientConfiguration(config: SsoConfig): Promise<oidc.Configuration> {
  const key = sha256(`${config.issuer}\n${config.clientId}\n${config.clientSecret}`);
  let pending = configurations.get(key);
  if (!pending) {
    pending = oidc.discovery(
      new URL(config.issuer),
      config.clientId,
      undefined,
      oidc.ClientSecretBasic(config.clientSecret),
      {
        timeout: 10,
        ...(isLoopbackHttp(config.issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
      },
    );
    configurations.set(key, pending);
    pending.catch(() => configurations.delete(key));
  }
  return pending;
}

/** Starts a round trip: the address to send the browser to and the cookie that binds it. */
export async function startSsoSignIn(
  redirectTo: string,
): Promise<{ url: string; setCookie: string }> {
  const config = await loadSsoConfig();
  if (!config?.enabled) throw new SsoError("not-configured");
  const configuration = await clientConfiguration(config);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const browserToken = randomBytes(32).toString("base64url");
  const started = now();
  const id = sha256(state);
  const db = await prisma();
  await db.ssoLoginAttempt.create({
    data: {
      id,
      browserHash: sha256(browserToken),
      nonce,
      codeVerifier: seal(verifier, id),
      redirectTo,
      createdAt: started,
      expiresAt: new Date(started.getTime() + SSO_ATTEMPT_TTL_MS),
    },
  });
  const url = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: ssoCallbackUrl(),
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  return { url: url.href, setCookie: await attemptCookie().serialize(browserToken) };
}

export interface SsoSignedIn {
  userId: string;
  setCookie: string;
  redirectTo: string;
}

/**
 * Finishes a round trip from the provider's redirect: the attempt is spent first (a replayed
 * callback finds it spent), then the code is exchanged and the ID token checked, then the user
 * found, linked or created, then a session with a new id starts.
 */
export async function completeSsoSignIn(
  request: Request,
  meta: {
    clientAddress: string | null;
    userAgent: string | null;
    previousSessionToken: string | null;
  },
): Promise<SsoSignedIn> {
  try {
    return await complete(request, meta);
  } catch (error) {
    const reason: SsoFailure = error instanceof SsoError ? error.reason : "token";
    if (!(error instanceof SsoError)) {
      // The library's message names the failed check (issuer, audience, nonce, expiry), never a token.
      getLogger().warn(
        { err: { name: (error as Error).name, message: (error as Error).message } },
        "sso callback refused",
      );
    }
    const db = await prisma();
    await db.$transaction((tx) =>
      recordAudit(tx, {
        actor: { id: null, label: "anonymous" },
        action: "auth.sso-failed",
        entityType: "user",
        clientAddress: meta.clientAddress,
        details: { reason },
      }),
    );
    throw new SsoError(reason);
  }
}

async function complete(
  request: Request,
  meta: {
    clientAddress: string | null;
    userAgent: string | null;
    previousSessionToken: string | null;
  },
): Promise<SsoSignedIn> {
  const config = await loadSsoConfig();
  if (!config?.enabled) throw new SsoError("not-configured");
  const incoming = new URL(request.url);
  const state = incoming.searchParams.get("state");
  const browserToken: unknown = await attemptCookie().parse(request.headers.get("Cookie"));
  if (!state || typeof browserToken !== "string" || !browserToken) throw new SsoError("state");
  const db = await prisma();
  const id = sha256(state);
  const spent = await db.ssoLoginAttempt.updateMany({
    where: { id, browserHash: sha256(browserToken), consumedAt: null, expiresAt: { gt: now() } },
    data: { consumedAt: now() },
  });
  if (spent.count !== 1) throw new SsoError("state");
  const attempt = await db.ssoLoginAttempt.findUniqueOrThrow({ where: { id } });
  if (incoming.searchParams.has("error")) throw new SsoError("idp-refused");

  const configuration = await clientConfiguration(config);
  // The registered callback address with the provider's query: the Host header plays no part.
  const callback = new URL(ssoCallbackUrl());
  callback.search = incoming.search;
  const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
    pkceCodeVerifier: unseal(attempt.codeVerifier, id),
    expectedState: state,
    expectedNonce: attempt.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new SsoError("token");
  const email = typeof claims.email === "string" ? normaliseEmail(claims.email) : "";
  if (!email || claims.email_verified !== true) throw new SsoError("email-unverified");
  if (!emailDomainAllowed(email, config.allowedDomains)) throw new SsoError("domain");
  const groups = Array.isArray(claims.groups)
    ? claims.groups.filter((group): group is string => typeof group === "string")
    : [];
  const name = typeof claims.name === "string" && claims.name.trim() ? claims.name.trim() : email;

  type Outcome = { refused: SsoFailure } | { userId: string; setCookie: string };
  const result = await db.$transaction(async (tx): Promise<Outcome> => {
    const linked = await tx.ssoIdentity.findUnique({
      where: { issuer_subject: { issuer: claims.iss, subject: claims.sub } },
      select: { userId: true },
    });
    let user = linked
      ? await tx.user.findUnique({ where: { id: linked.userId } })
      : await tx.user.findUnique({ where: { email } });
    if (user && !linked) {
      await tx.ssoIdentity.create({
        data: { issuer: claims.iss, subject: claims.sub, userId: user.id },
      });
      await recordAudit(tx, {
        actor: { id: user.id, label: email },
        action: "sso.linked",
        entityType: "user",
        entityId: user.id,
        clientAddress: meta.clientAddress,
      });
    }
    if (!user) {
      if (config.unknownUsers === "REFUSE") return { refused: "unknown-user" };
      // "Pending approval": a viewer in no team, who cannot sign in until an admin approves the
      // account with a role and teams; the directory's groups are not trusted for it.
      const pending = config.unknownUsers === "PENDING_APPROVAL";
      const role = pending
        ? "VIEWER"
        : roleForGroups(groups, config.groupRoles, config.defaultRole);
      const teamNames = pending ? [] : teamsForGroups(groups, config.groupTeams);
      user = await tx.user.create({
        data: { email, displayName: name, role, approvalPendingSince: pending ? now() : null },
      });
      for (const teamName of teamNames) {
        const team = await tx.team.upsert({
          where: { name: teamName },
          create: { name: teamName },
          update: {},
          select: { id: true },
        });
        await tx.teamMembership.create({ data: { userId: user.id, teamId: team.id } });
      }
      await tx.ssoIdentity.create({
        data: { issuer: claims.iss, subject: claims.sub, userId: user.id },
      });
      await recordAudit(tx, {
        actor: { id: user.id, label: email },
        action: "user.provision",
        entityType: "user",
        entityId: user.id,
        clientAddress: meta.clientAddress,
        details: { via: "sso", role, teams: teamNames.length, pendingApproval: pending },
      });
    }
    if (user.disabledAt) return { refused: "disabled" };
    if (user.approvalPendingSince) return { refused: "pending-approval" };
    if (meta.previousSessionToken) {
      await endSession(hashSessionToken(meta.previousSessionToken), "replaced", tx);
    }
    await tx.user.update({ where: { id: user.id }, data: { lastLoginAt: now() } });
    const session = await createSession(
      user.id,
      { clientAddress: meta.clientAddress, userAgent: meta.userAgent },
      tx,
    );
    await recordAudit(tx, {
      actor: { id: user.id, label: email },
      action: "auth.login",
      entityType: "user",
      entityId: user.id,
      clientAddress: meta.clientAddress,
      details: { method: "sso" },
    });
    return { userId: user.id, setCookie: session.setCookie };
  });
  if ("refused" in result) throw new SsoError(result.refused);
  return { ...result, redirectTo: attempt.redirectTo };
}

export async function clearSsoCookie(): Promise<string> {
  return attemptCookie().serialize("", { maxAge: 0 });
}
