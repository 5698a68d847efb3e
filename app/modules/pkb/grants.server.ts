import { createHash, randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "~/generated/prisma/client.ts";
import type { PkbGrantStatus } from "~/generated/prisma/enums.ts";
import { now } from "~/platform/clock.ts";
import { getDatabase, prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { recordAudit, SYSTEM_ACTOR, type AuditActor } from "../audit/audit.server.ts";
import { loadConnectionCredentials, type ConnectionCredentials } from "./connections.server.ts";
import { GrantNeedsReauthorisationError, type UserTokenSource } from "./grant-contract.ts";
import {
  beginAuthorisation,
  callbackError,
  classifyTokenError,
  exchangeCode,
  refreshTokens,
  type PkbTokens,
  type TokenFailure,
} from "./oauth-client.server.ts";
import { seal, unseal } from "./secrets.server.ts";

/**
 * The clinician's grant: its lifecycle (ACTIVE → NEEDS_REAUTHORISATION → ACTIVE by re-grant;
 * any → DISCONNECTED; DISCONNECTED → ACTIVE by grant), the authorisation round trip, and the
 * access token every user-client call to PKB uses, refreshed single-flight per grant across
 * processes (docs/decisions/0007). Tokens are sealed with the grant's id as associated data and
 * never logged or audited.
 */
export interface GrantContext {
  actor: AuditActor;
  clientAddress: string | null;
}

/** Authorisation attempts live this long: PKB's sign-in and consent take a minute or two. */
export const AUTHORISATION_LIFETIME_MS = 10 * 60_000;
/** Refresh when less than this is left, so a call never starts with a token about to die. */
export const REFRESH_MARGIN_MS = 60_000;
/** How long a second worker waits for another's refresh before giving up (transient). */
const LOCK_WAIT = "20s";

type Db = PrismaClient | Prisma.TransactionClient;

// ── Lifecycle: the one place a grant's status changes ──

type GrantEvent =
  | { kind: "granted"; tokens: PkbTokens; grantedBy: AuditActor }
  | { kind: "refreshed"; tokens: PkbTokens }
  | { kind: "session-ended"; code: string }
  | { kind: "disconnected" };

const ALLOWED: Record<GrantEvent["kind"], readonly (PkbGrantStatus | "NONE")[]> = {
  granted: ["NONE", "ACTIVE", "NEEDS_REAUTHORISATION", "DISCONNECTED"],
  refreshed: ["ACTIVE"],
  "session-ended": ["ACTIVE"],
  disconnected: ["ACTIVE", "NEEDS_REAUTHORISATION"],
};

const AUDIT_ACTION: Record<GrantEvent["kind"], string> = {
  granted: "pkb.grant.granted",
  refreshed: "pkb.grant.token-refreshed",
  "session-ended": "pkb.grant.needs-reauthorisation",
  disconnected: "pkb.grant.disconnected",
};

export class GrantTransitionError extends Error {
  override name = "GrantTransitionError";
}

/**
 * Applies one event to the grant of a connection, with its audit row, inside `tx`. Every change
 * of a grant goes through here.
 */
async function applyGrantEvent(
  tx: Prisma.TransactionClient,
  connectionId: string,
  event: GrantEvent,
  context: GrantContext,
): Promise<string> {
  const current = await tx.pkbGrant.findUnique({
    where: { connectionId },
    select: { id: true, status: true, refreshToken: true },
  });
  const from = current?.status ?? "NONE";
  if (!ALLOWED[event.kind].includes(from)) {
    throw new GrantTransitionError(`A ${from} grant cannot be ${event.kind}`);
  }
  const at = now();
  const id = current?.id ?? randomUUID();
  const sealedTokens = (tokens: PkbTokens) => ({
    accessToken: seal(tokens.accessToken, id),
    // No refresh_token in the answer: keep the one we have (RFC 6749 §6).
    ...(tokens.refreshToken ? { refreshToken: seal(tokens.refreshToken, id) } : {}),
    accessTokenExpiresAt: new Date(at.getTime() + tokens.expiresInSeconds * 1000),
    scope: tokens.scope,
    tokenVersion: { increment: 1 },
  });
  switch (event.kind) {
    case "granted": {
      const fields = {
        status: "ACTIVE" as const,
        grantedById: event.grantedBy.id,
        grantedByLabel: event.grantedBy.label,
        grantedAt: at,
        lastRefreshedAt: null,
        lastError: null,
        lastErrorAt: null,
        needsReauthorisationAt: null,
        disconnectedAt: null,
      };
      if (current) {
        // A new grant starts a new session at PKB: an old refresh token must not survive it.
        await tx.pkbGrant.update({
          where: { id },
          data: { ...fields, refreshToken: null, ...sealedTokens(event.tokens) },
        });
      } else {
        const sealed = sealedTokens(event.tokens);
        await tx.pkbGrant.create({
          data: { ...fields, ...sealed, tokenVersion: 1, id, connectionId },
        });
      }
      break;
    }
    case "refreshed":
      await tx.pkbGrant.update({
        where: { id },
        data: { ...sealedTokens(event.tokens), lastRefreshedAt: at },
      });
      break;
    case "session-ended":
      await tx.pkbGrant.update({
        where: { id },
        data: {
          status: "NEEDS_REAUTHORISATION",
          needsReauthorisationAt: at,
          lastError: `PKB ended the grant's session (${event.code}). Grant access again to resume.`,
          lastErrorAt: at,
        },
      });
      break;
    case "disconnected":
      await tx.pkbGrant.update({
        where: { id },
        data: {
          status: "DISCONNECTED",
          disconnectedAt: at,
          accessToken: null,
          refreshToken: null,
          accessTokenExpiresAt: null,
          tokenVersion: { increment: 1 },
        },
      });
      break;
  }
  await recordAudit(tx, {
    ...context,
    action: AUDIT_ACTION[event.kind],
    entityType: "pkb-grant",
    entityId: id,
    details: {
      connectionId,
      from,
      ...(event.kind === "granted" ? { regrant: from !== "NONE" } : {}),
      ...(event.kind === "session-ended" ? { code: event.code } : {}),
      ...(event.kind === "granted" || event.kind === "refreshed"
        ? { refreshTokenRotated: Boolean(event.tokens.refreshToken) }
        : {}),
    },
  });
  return id;
}

// ── Authorisation round trip ──

export function hashState(state: string): string {
  return createHash("sha256").update(state).digest("hex");
}

/** Starts a grant (or re-grant): stores the attempt for this staff session, returns PKB's URL. */
export async function startGrantAuthorisation(
  connectionId: string,
  session: { id: string; userId: string },
  context: GrantContext,
): Promise<{ url: string } | null> {
  const credentials = await loadConnectionCredentials(connectionId);
  if (!credentials) return null;
  const start = await beginAuthorisation(credentials);
  const id = randomUUID();
  const db = await prisma();
  await db.$transaction(async (tx) => {
    await tx.pkbAuthorisationRequest.create({
      data: {
        id,
        stateHash: hashState(start.state),
        connectionId,
        sessionId: session.id,
        userId: session.userId,
        codeVerifier: seal(start.codeVerifier, id),
        expiresAt: new Date(now().getTime() + AUTHORISATION_LIFETIME_MS),
      },
    });
    await recordAudit(tx, {
      ...context,
      action: "pkb.grant.authorisation-started",
      entityType: "pkb-connection",
      entityId: connectionId,
      details: { authorisationId: id },
    });
  });
  return { url: start.url };
}

/** Why a callback was refused, in words for the page (and a stable code for tests and audit). */
export type CallbackRefusal =
  | "missing-state"
  | "unknown-state"
  | "used-state"
  | "expired-state"
  | "other-session"
  | "declined"
  | "pkb-error"
  | "exchange-failed";

export type CallbackOutcome =
  | { ok: true; connectionId: string; regrant: boolean }
  | { ok: false; reason: CallbackRefusal; connectionId: string | null; detail?: string };

/**
 * The callback: PKB sends the clinician back with `code` and `state` (or `error`). The state must
 * be one this staff session started, unused and unexpired; it is spent before the code is
 * exchanged, so a replay finds it used.
 */
export async function completeGrantAuthorisation(
  params: URLSearchParams,
  session: { id: string },
  context: GrantContext,
): Promise<CallbackOutcome> {
  const state = params.get("state");
  if (!state) return { ok: false, reason: "missing-state", connectionId: null };
  const db = await prisma();
  const attempt = await db.pkbAuthorisationRequest.findUnique({
    where: { stateHash: hashState(state) },
  });
  if (!attempt) return { ok: false, reason: "unknown-state", connectionId: null };
  const refuse = async (reason: CallbackRefusal, detail?: string): Promise<CallbackOutcome> => {
    await db.$transaction((tx) =>
      recordAudit(tx, {
        ...context,
        action: "pkb.grant.callback-refused",
        entityType: "pkb-connection",
        entityId: attempt.connectionId,
        details: { authorisationId: attempt.id, reason, ...(detail ? { code: detail } : {}) },
      }),
    );
    return { ok: false, reason, connectionId: attempt.connectionId, detail };
  };
  // Another session's state is refused without spending it: its owner may still finish.
  if (attempt.sessionId !== session.id) return refuse("other-session");
  if (attempt.usedAt) return refuse("used-state");
  if (attempt.expiresAt <= now()) return refuse("expired-state");
  const spent = await db.pkbAuthorisationRequest.updateMany({
    where: { id: attempt.id, usedAt: null },
    data: { usedAt: now() },
  });
  if (spent.count !== 1) return refuse("used-state");

  const error = callbackError(params);
  if (error === "access_denied") return refuse("declined");
  if (error) return refuse("pkb-error", error);

  const credentials = await loadConnectionCredentials(attempt.connectionId);
  if (!credentials) return { ok: false, reason: "unknown-state", connectionId: null };
  let tokens: PkbTokens;
  try {
    tokens = await exchangeCode(credentials, params, {
      state,
      codeVerifier: unseal(attempt.codeVerifier, attempt.id),
    });
  } catch (failure) {
    const { code } = classifyTokenError(failure);
    getLogger().warn({ connectionId: attempt.connectionId, code }, "PKB code exchange failed");
    return refuse("exchange-failed", code);
  }
  const previous = await db.pkbGrant.findUnique({
    where: { connectionId: attempt.connectionId },
    select: { id: true },
  });
  await db.$transaction((tx) =>
    applyGrantEvent(
      tx,
      attempt.connectionId,
      { kind: "granted", tokens, grantedBy: context.actor },
      context,
    ),
  );
  return { ok: true, connectionId: attempt.connectionId, regrant: previous !== null };
}

/** Stops using the grant and forgets its tokens here (PKB offers no revocation endpoint). */
export async function disconnectGrant(
  connectionId: string,
  context: GrantContext,
): Promise<boolean> {
  const db = await prisma();
  const grant = await db.pkbGrant.findUnique({ where: { connectionId }, select: { status: true } });
  if (!grant || grant.status === "DISCONNECTED") return false;
  await db.$transaction((tx) =>
    applyGrantEvent(tx, connectionId, { kind: "disconnected" }, context),
  );
  return true;
}

/**
 * "Check the grant with PKB": asks PKB for a new access token now (single flight, as every
 * refresh), which shows at once whether PKB still accepts the grant.
 */
export type GrantCheck =
  | { ok: true }
  | { ok: false; reason: "no-grant" | "needs-reauthorisation" | "unavailable"; message: string };

export async function checkGrant(connectionId: string): Promise<GrantCheck> {
  const db = await prisma();
  const grant = await db.pkbGrant.findUnique({ where: { connectionId } });
  if (!grant || grant.status === "DISCONNECTED" || !grant.accessToken) {
    return { ok: false, reason: "no-grant", message: "There is no grant to check." };
  }
  try {
    await userTokenSource(grant.id).afterUnauthorized(unseal(grant.accessToken, grant.id));
    return { ok: true };
  } catch (error) {
    if (error instanceof GrantNeedsReauthorisationError) {
      return { ok: false, reason: "needs-reauthorisation", message: error.message };
    }
    if (error instanceof PkbTokenRefreshError) {
      return { ok: false, reason: "unavailable", message: error.message };
    }
    throw error;
  }
}

// ── What the pages show ──

/** The grant page's facts. No tokens. */
export async function getGrantView(connectionId: string) {
  const db = await prisma();
  return db.pkbGrant.findUnique({
    where: { connectionId },
    select: {
      id: true,
      status: true,
      scope: true,
      grantedByLabel: true,
      grantedAt: true,
      lastRefreshedAt: true,
      lastSyncedAt: true,
      accessTokenExpiresAt: true,
      lastError: true,
      lastErrorAt: true,
      needsReauthorisationAt: true,
      disconnectedAt: true,
    },
  });
}

/** For the banner on every page: the grants nobody can use until someone grants again. */
export async function grantsNeedingReauthorisation() {
  const db = await prisma();
  return db.pkbGrant.findMany({
    where: { status: "NEEDS_REAUTHORISATION" },
    orderBy: { needsReauthorisationAt: "asc" },
    select: { id: true, connectionId: true, connection: { select: { label: true } } },
  });
}

// ── For the sync (requests engineer) ──

export async function recordGrantSyncSuccess(grantId: string, at: Date): Promise<void> {
  const db = await prisma();
  await db.pkbGrant.update({ where: { id: grantId }, data: { lastSyncedAt: at } });
}

/** Keeps the last error for the grant page. `message` must hold no tokens or patient data. */
export async function recordGrantError(grantId: string, message: string): Promise<void> {
  const db = await prisma();
  await db.pkbGrant.update({
    where: { id: grantId },
    data: { lastError: message.slice(0, 500), lastErrorAt: now() },
  });
}

// ── Access tokens, refreshed single-flight ──

/** The token endpoint failed in a way that leaves the grant as it was; try again later. */
export class PkbTokenRefreshError extends Error {
  override name = "PkbTokenRefreshError";
  constructor(
    readonly grantId: string,
    readonly failure: Exclude<TokenFailure, { kind: "dead" }> | { kind: "busy"; code: string },
  ) {
    super(
      failure.kind === "configuration"
        ? `PKB refused the portal's client (${failure.code}): check the connection settings.`
        : failure.kind === "busy"
          ? "Another worker is refreshing this grant's token; try again shortly."
          : `PKB's token service is not answering properly (${failure.code}); will retry.`,
    );
  }
}

export class GrantNotFoundError extends Error {
  override name = "GrantNotFoundError";
}

/** What the sync and the REST/FHIR clients call to get a clinician's access token. */
export function userTokenSource(
  grantId: string,
  options: { tokenTimeoutSeconds?: number } = {},
): UserTokenSource {
  return {
    async accessToken() {
      const db = await prisma();
      const grant = await db.pkbGrant.findUnique({ where: { id: grantId } });
      if (!grant) throw new GrantNotFoundError(`No PKB grant ${grantId}`);
      if (grant.status !== "ACTIVE") {
        throw new GrantNeedsReauthorisationError(grantId, grant.status);
      }
      if (grant.accessToken && isFresh(grant.accessTokenExpiresAt)) {
        return unseal(grant.accessToken, grant.id);
      }
      return refreshSingleFlight(grantId, { rejected: undefined, ...options });
    },
    afterUnauthorized(rejected: string) {
      return refreshSingleFlight(grantId, { rejected, ...options });
    },
  };
}

function isFresh(expiresAt: Date | null): boolean {
  return expiresAt !== null && expiresAt.getTime() - now().getTime() > REFRESH_MARGIN_MS;
}

interface RefreshRequest {
  /** The token PKB just answered 401 to; undefined for a refresh before expiry. */
  rejected: string | undefined;
  tokenTimeoutSeconds?: number;
}

type RefreshResult =
  | { kind: "token"; token: string }
  | { kind: "not-active"; status: "NEEDS_REAUTHORISATION" | "DISCONNECTED" }
  | { kind: "failed"; failure: PkbTokenRefreshError["failure"] };

// Callers in this process share one refresh per grant; the row lock covers other processes.
const inflight = new Map<string, Promise<string>>();

function refreshSingleFlight(grantId: string, request: RefreshRequest): Promise<string> {
  const running = inflight.get(grantId);
  if (running) return running;
  const refresh = refreshAcrossProcesses(grantId, request).finally(() => inflight.delete(grantId));
  inflight.set(grantId, refresh);
  return refresh;
}

async function refreshAcrossProcesses(grantId: string, request: RefreshRequest): Promise<string> {
  const database = await getDatabase();
  let result: RefreshResult;
  if (database.backend === "postgres") {
    // The row lock is held across the token call: a second worker blocks here until the first
    // commits its new tokens (or dies, which ends its connection and frees the lock), then reads
    // them instead of spending the already-spent refresh token.
    try {
      result = await database.prisma.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '${LOCK_WAIT}'`);
          const locked = await tx.$queryRaw<Array<{ id: string }>>`
            SELECT id FROM "PkbGrant" WHERE id = ${grantId}::uuid FOR UPDATE`;
          if (locked.length === 0) throw new GrantNotFoundError(`No PKB grant ${grantId}`);
          return refreshLocked(tx, grantId, request);
        },
        { maxWait: 10_000, timeout: 60_000 },
      );
    } catch (error) {
      if (isLockTimeout(error)) {
        throw new PkbTokenRefreshError(grantId, { kind: "busy", code: "LOCK_TIMEOUT" });
      }
      throw error;
    }
  } else {
    // PGlite belongs to one process (npm run worker refuses it), so the in-process map above is
    // the whole single flight; holding a PGlite transaction across HTTP would stall every query.
    result = await refreshLocked(database.prisma, grantId, request);
  }
  switch (result.kind) {
    case "token":
      return result.token;
    case "not-active":
      throw new GrantNeedsReauthorisationError(grantId, result.status);
    case "failed":
      throw new PkbTokenRefreshError(grantId, result.failure);
  }
}

function isLockTimeout(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : "";
  return /55P03|lock timeout|could not obtain lock/i.test(text);
}

/** Runs with the grant locked (PostgreSQL) or alone in its process (PGlite). */
async function refreshLocked(
  db: Db,
  grantId: string,
  request: RefreshRequest,
): Promise<RefreshResult> {
  const grant = await db.pkbGrant.findUnique({ where: { id: grantId } });
  if (!grant) throw new GrantNotFoundError(`No PKB grant ${grantId}`);
  if (grant.status !== "ACTIVE") return { kind: "not-active", status: grant.status };
  const current = grant.accessToken ? unseal(grant.accessToken, grant.id) : undefined;
  // Someone refreshed while we waited: use theirs; the refresh token they got is the live one.
  if (current && current !== request.rejected && isFresh(grant.accessTokenExpiresAt)) {
    return { kind: "token", token: current };
  }
  if (!grant.refreshToken) return sessionEnded(db, grant.connectionId, grantId, "NO_REFRESH_TOKEN");
  const credentials = (await loadConnectionCredentials(
    grant.connectionId,
  )) as ConnectionCredentials;
  let tokens: PkbTokens;
  try {
    tokens = await refreshTokens(credentials, unseal(grant.refreshToken, grant.id), {
      timeoutSeconds: request.tokenTimeoutSeconds,
    });
  } catch (error) {
    const failure = classifyTokenError(error);
    getLogger().warn(
      { grantId, kind: failure.kind, code: failure.code },
      "PKB token refresh failed",
    );
    if (failure.kind === "dead") return sessionEnded(db, grant.connectionId, grantId, failure.code);
    return { kind: "failed", failure };
  }
  await inTransaction(db, (tx) =>
    applyGrantEvent(
      tx,
      grant.connectionId,
      { kind: "refreshed", tokens },
      {
        actor: SYSTEM_ACTOR,
        clientAddress: null,
      },
    ),
  );
  return { kind: "token", token: tokens.accessToken };
}

async function sessionEnded(
  db: Db,
  connectionId: string,
  grantId: string,
  code: string,
): Promise<RefreshResult> {
  await inTransaction(db, (tx) =>
    applyGrantEvent(
      tx,
      connectionId,
      { kind: "session-ended", code },
      {
        actor: SYSTEM_ACTOR,
        clientAddress: null,
      },
    ),
  );
  getLogger().warn({ grantId, code }, "PKB grant needs re-authorisation");
  return { kind: "not-active", status: "NEEDS_REAUTHORISATION" };
}

async function inTransaction<T>(
  db: Db,
  run: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  return "$transaction" in db ? db.$transaction(run) : run(db);
}
