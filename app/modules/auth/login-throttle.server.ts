import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import type { Prisma } from "~/generated/prisma/client.ts";
import { recordAudit, type AuditActor } from "../audit/audit.server.ts";

/**
 * Sign-in throttling without a hard account lock (ADR 0016). Three counters, each a
 * `LoginThrottle` row counted in one atomic statement *before* the password is checked, so a
 * burst of parallel guesses cannot outrun them:
 *
 * - per client address (`ip:<address>`): stops sweeps across many accounts; generous, because a
 *   trust's staff often share one outgoing (NAT) address;
 * - per account and address (`pair:<address>|<email>`): stops one place guessing one account;
 *   reaching it blocks only that address for that account, so an attacker who knows an e-mail
 *   address cannot lock its owner out (the owner signs in from elsewhere);
 * - per account (`account:<email>`): never blocks; each attempt past a few free ones waits a
 *   growing delay (exponential, capped), which slows a distributed guesser while the real user
 *   always gets in after at most `ACCOUNT_SLOWDOWN.maxDelayMs`.
 */
export const ADDRESS_LIMIT = { attempts: 100, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000 };
export const PAIR_LIMIT = { attempts: 5, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000 };
export const ACCOUNT_SLOWDOWN = {
  freeAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  windowMs: 15 * 60 * 1000,
};

export type ThrottleScope = "address" | "account-address" | "account";

export const addressKey = (address: string) => `ip:${address}`;
// Address first: an address never holds "|", an e-mail address may.
export const pairKey = (address: string | null, email: string) =>
  `pair:${address ?? "unknown"}|${email}`;
export const accountKey = (email: string) => `account:${email}`;

export interface ParsedThrottleKey {
  scope: ThrottleScope;
  address: string | null;
  email: string | null;
}

export function parseThrottleKey(key: string): ParsedThrottleKey | null {
  if (key.startsWith("ip:")) return { scope: "address", address: key.slice(3), email: null };
  if (key.startsWith("account:")) return { scope: "account", address: null, email: key.slice(8) };
  if (key.startsWith("pair:")) {
    const rest = key.slice(5);
    const bar = rest.indexOf("|");
    if (bar < 0) return null;
    return { scope: "account-address", address: rest.slice(0, bar), email: rest.slice(bar + 1) };
  }
  return null;
}

/** The wait before checking an attempt, given how many attempts the account had before it. */
export function accountDelayMs(previousAttempts: number): number {
  const over = previousAttempts - ACCOUNT_SLOWDOWN.freeAttempts;
  if (over < 0) return 0;
  return Math.min(ACCOUNT_SLOWDOWN.baseDelayMs * 2 ** over, ACCOUNT_SLOWDOWN.maxDelayMs);
}

export interface CountedAttempt {
  admitted: boolean;
  /** This attempt is the one that started a block (audited as such). */
  startedBlock: boolean;
}

type Db = Awaited<ReturnType<typeof prisma>> | Prisma.TransactionClient;

/**
 * Counts one attempt against a limited key in a single statement (safe under concurrency on both
 * backends) and says whether the attempt may go ahead. Going past the limit starts a block.
 */
export async function countLimitedAttempt(
  key: string,
  limit: { attempts: number; windowMs: number; lockMs: number },
): Promise<CountedAttempt> {
  const db = await prisma();
  // Times go in as UTC ISO strings cast to `timestamp`, the way Prisma stores DateTime, so the
  // comparison does not depend on the database session's time zone.
  const at = now();
  const nowUtc = at.toISOString();
  const windowOpenedAfter = new Date(at.getTime() - limit.windowMs).toISOString();
  const lockUntil = new Date(at.getTime() + limit.lockMs).toISOString();
  const [row] = await db.$queryRaw<Array<{ admitted: boolean; startedBlock: boolean }>>`
    INSERT INTO "LoginThrottle" AS t ("key", "attempts", "windowStart", "lockedUntil")
    VALUES (${key}, 1, ${nowUtc}::timestamp(3), NULL)
    ON CONFLICT ("key") DO UPDATE SET
      "attempts" = CASE
        WHEN t."lockedUntil" > ${nowUtc}::timestamp(3) THEN t."attempts"
        WHEN t."windowStart" < ${windowOpenedAfter}::timestamp(3) OR t."lockedUntil" IS NOT NULL THEN 1
        ELSE t."attempts" + 1 END,
      "windowStart" = CASE
        WHEN t."lockedUntil" > ${nowUtc}::timestamp(3) THEN t."windowStart"
        WHEN t."windowStart" < ${windowOpenedAfter}::timestamp(3) OR t."lockedUntil" IS NOT NULL
          THEN ${nowUtc}::timestamp(3)
        ELSE t."windowStart" END,
      "lockedUntil" = CASE
        WHEN t."lockedUntil" > ${nowUtc}::timestamp(3) THEN t."lockedUntil"
        WHEN t."windowStart" >= ${windowOpenedAfter}::timestamp(3) AND t."lockedUntil" IS NULL
          AND t."attempts" + 1 > ${limit.attempts} THEN ${lockUntil}::timestamp(3)
        ELSE NULL END
    RETURNING ("lockedUntil" IS NULL AND "attempts" <= ${limit.attempts}) AS admitted,
      COALESCE("lockedUntil" = ${lockUntil}::timestamp(3), false) AS "startedBlock"`;
  return { admitted: row?.admitted === true, startedBlock: row?.startedBlock === true };
}

/**
 * Counts one attempt on an account (never blocks) and returns how many attempts the account had
 * in the window before this one, from which the caller's delay follows.
 */
export async function countAccountAttempt(key: string): Promise<number> {
  const db = await prisma();
  const at = now();
  const nowUtc = at.toISOString();
  const windowOpenedAfter = new Date(at.getTime() - ACCOUNT_SLOWDOWN.windowMs).toISOString();
  const [row] = await db.$queryRaw<Array<{ attempts: number }>>`
    INSERT INTO "LoginThrottle" AS t ("key", "attempts", "windowStart", "lockedUntil")
    VALUES (${key}, 1, ${nowUtc}::timestamp(3), NULL)
    ON CONFLICT ("key") DO UPDATE SET
      "attempts" = CASE
        WHEN t."windowStart" < ${windowOpenedAfter}::timestamp(3) THEN 1
        ELSE t."attempts" + 1 END,
      "windowStart" = CASE
        WHEN t."windowStart" < ${windowOpenedAfter}::timestamp(3) THEN ${nowUtc}::timestamp(3)
        ELSE t."windowStart" END
    RETURNING "attempts"`;
  return Math.max(0, Number(row?.attempts ?? 1) - 1);
}

/** After a successful sign-in: the account's and this address's counters for it start again. */
export async function forgiveAfterSuccess(
  tx: Db,
  email: string,
  address: string | null,
): Promise<void> {
  await tx.loginThrottle.deleteMany({
    where: { key: { in: [accountKey(email), pairKey(address, email)] } },
  });
  if (address) {
    // Give the attempt back to the address counter: staff behind one NAT address signing in all
    // day must not add up to the address limit.
    await tx.loginThrottle.updateMany({
      where: { key: addressKey(address), attempts: { gt: 0 }, lockedUntil: null },
      data: { attempts: { decrement: 1 } },
    });
  }
}

export interface CurrentThrottle extends ParsedThrottleKey {
  key: string;
  attempts: number;
  windowStart: Date;
  blockedUntil: Date | null;
  /** For account rows: the wait the next attempt will have. */
  nextDelayMs: number;
}

/**
 * Throttles an admin may want to see: blocks still in force, and counters with attempts in
 * their window that slow or will soon block someone. Oldest-first would bury the live ones.
 */
export async function listCurrentThrottles(): Promise<CurrentThrottle[]> {
  const db = await prisma();
  const at = now();
  const windowMs = Math.max(ADDRESS_LIMIT.windowMs, PAIR_LIMIT.windowMs, ACCOUNT_SLOWDOWN.windowMs);
  const rows = await db.loginThrottle.findMany({
    where: {
      OR: [
        { lockedUntil: { gt: at } },
        { windowStart: { gt: new Date(at.getTime() - windowMs) }, attempts: { gt: 0 } },
      ],
    },
    orderBy: [{ windowStart: "desc" }],
    take: 500,
  });
  return rows.flatMap((row) => {
    const parsed = parseThrottleKey(row.key);
    if (!parsed) return [];
    const blockedUntil = row.lockedUntil && row.lockedUntil > at ? row.lockedUntil : null;
    return [
      {
        ...parsed,
        key: row.key,
        attempts: row.attempts,
        windowStart: row.windowStart,
        blockedUntil,
        nextDelayMs: parsed.scope === "account" ? accountDelayMs(row.attempts) : 0,
      },
    ];
  });
}

/** An admin clears one throttle (someone is blocked or slowed and should not be); audited. */
export async function clearThrottle(
  key: string,
  context: { actor: AuditActor; clientAddress: string | null },
): Promise<boolean> {
  const parsed = parseThrottleKey(key);
  if (!parsed) return false;
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const removed = await tx.loginThrottle.deleteMany({ where: { key } });
    if (removed.count === 0) return false;
    const user = parsed.email
      ? await tx.user.findUnique({ where: { email: parsed.email }, select: { id: true } })
      : null;
    await recordAudit(tx, {
      actor: context.actor,
      action: "auth.throttle-cleared",
      entityType: "user",
      entityId: user?.id ?? null,
      clientAddress: context.clientAddress,
      details: { scope: parsed.scope, throttledAddress: parsed.address },
    });
    return true;
  });
}
