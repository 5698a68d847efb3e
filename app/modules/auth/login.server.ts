import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAudit } from "../audit/audit.server.ts";
import { decoyPasswordHash, verifyPassword } from "./password.server.ts";
import { createSession, endSession, hashSessionToken } from "./session.server.ts";

/**
 * Sign-in with per-account and per-address rate limits (quality.md). Errors are generic: the
 * caller learns "wrong e-mail or password" or "too many attempts", never which part was wrong
 * or whether the account exists.
 *
 * Every attempt is counted atomically *before* the password is checked, so a burst of parallel
 * guesses cannot all slip past the limit while the (slow, parallel) argon2 checks run. A success
 * clears the account's counter and gives its attempt back to the address counter.
 */
export const ACCOUNT_LIMIT = { attempts: 5, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000 };
// Generous: a trust's staff often share one outgoing address (NAT), and this limit exists to stop
// sweeps across many accounts, not to lock a site out.
export const ADDRESS_LIMIT = { attempts: 100, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000 };

export type LoginResult =
  { ok: true; userId: string; setCookie: string } | { ok: false; reason: "invalid" | "throttled" };

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function attemptLogin(input: {
  email: string;
  password: string;
  clientAddress: string | null;
  userAgent: string | null;
  /** Session token from a cookie the browser already had: ended, never reused (fixation). */
  previousSessionToken?: string | null;
}): Promise<LoginResult> {
  const db = await prisma();
  const email = normaliseEmail(input.email);
  const accountKey = `account:${email}`;
  const addressKey = input.clientAddress ? `ip:${input.clientAddress}` : null;
  const admitted =
    (await countAttempt(accountKey, ACCOUNT_LIMIT)) &&
    (addressKey ? await countAttempt(addressKey, ADDRESS_LIMIT) : true);
  if (!admitted) {
    await db.$transaction((tx) =>
      recordAudit(tx, {
        actor: { id: null, label: "anonymous" },
        action: "auth.login-throttled",
        entityType: "user",
        clientAddress: input.clientAddress,
      }),
    );
    return { ok: false, reason: "throttled" };
  }

  const user = await db.user.findUnique({
    where: { email },
    select: { id: true, passwordHash: true, disabledAt: true },
  });
  const passwordMatches = await verifyPassword(
    user?.passwordHash ?? (await decoyPasswordHash()),
    input.password,
  );
  if (!user || !user.passwordHash || user.disabledAt || !passwordMatches) {
    await db.$transaction(async (tx) => {
      await recordAudit(tx, {
        actor: { id: null, label: "anonymous" },
        action: "auth.login-failed",
        entityType: "user",
        entityId: user?.id ?? null,
        clientAddress: input.clientAddress,
        details: {
          reason: !user ? "unknown-account" : user.disabledAt ? "disabled" : "bad-password",
        },
      });
    });
    return { ok: false, reason: "invalid" };
  }

  const setCookie = await db.$transaction(async (tx) => {
    if (input.previousSessionToken) {
      await endSession(hashSessionToken(input.previousSessionToken), "replaced", tx);
    }
    await tx.loginThrottle.deleteMany({ where: { key: accountKey } });
    if (addressKey) {
      await tx.loginThrottle.updateMany({
        where: { key: addressKey, attempts: { gt: 0 } },
        data: { attempts: { decrement: 1 } },
      });
    }
    await tx.user.update({ where: { id: user.id }, data: { lastLoginAt: now() } });
    const session = await createSession(
      user.id,
      { clientAddress: input.clientAddress, userAgent: input.userAgent },
      tx,
    );
    await recordAudit(tx, {
      actor: { id: user.id, label: email },
      action: "auth.login",
      entityType: "user",
      entityId: user.id,
      clientAddress: input.clientAddress,
    });
    return session.setCookie;
  });
  return { ok: true, userId: user.id, setCookie };
}

/**
 * Counts one attempt against a key in a single statement (safe under concurrency on both
 * backends) and says whether the attempt may go ahead. Reaching the limit starts a lock.
 */
async function countAttempt(
  key: string,
  limit: { attempts: number; windowMs: number; lockMs: number },
): Promise<boolean> {
  const db = await prisma();
  // Times go in as UTC ISO strings cast to `timestamp`, the way Prisma stores DateTime, so the
  // comparison does not depend on the database session's time zone.
  const at = now();
  const nowUtc = at.toISOString();
  const windowOpenedAfter = new Date(at.getTime() - limit.windowMs).toISOString();
  const lockUntil = new Date(at.getTime() + limit.lockMs).toISOString();
  const [row] = await db.$queryRaw<Array<{ admitted: boolean }>>`
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
    RETURNING ("lockedUntil" IS NULL AND "attempts" <= ${limit.attempts}) AS admitted`;
  return row?.admitted === true;
}
