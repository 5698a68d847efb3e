import type { Prisma } from "~/generated/prisma/client.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAudit } from "../audit/audit.server.ts";
import { decoyPasswordHash, verifyPassword } from "./password.server.ts";
import { createSession, endSession, hashSessionToken } from "./session.server.ts";

/**
 * Sign-in with per-account and per-address rate limits (quality.md). Errors are generic: the
 * caller learns "wrong e-mail or password" or "too many attempts", never which part was wrong
 * or whether the account exists.
 */
export const ACCOUNT_LIMIT = { failures: 5, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000 };
export const ADDRESS_LIMIT = { failures: 30, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000 };

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
  const keys = [`account:${email}`, ...(input.clientAddress ? [`ip:${input.clientAddress}`] : [])];
  if (await isLocked(keys)) {
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
      await countFailure(tx, keys);
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

  if (input.previousSessionToken) {
    await endSession(hashSessionToken(input.previousSessionToken), "replaced");
  }
  const setCookie = await db.$transaction(async (tx) => {
    await tx.loginThrottle.deleteMany({ where: { key: `account:${email}` } });
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

async function isLocked(keys: string[]): Promise<boolean> {
  const db = await prisma();
  const rows = await db.loginThrottle.findMany({ where: { key: { in: keys } } });
  const at = now();
  return rows.some((row) => row.lockedUntil != null && row.lockedUntil > at);
}

async function countFailure(tx: Prisma.TransactionClient, keys: string[]): Promise<void> {
  const at = now();
  for (const key of keys) {
    const limit = key.startsWith("account:") ? ACCOUNT_LIMIT : ADDRESS_LIMIT;
    const row = await tx.loginThrottle.findUnique({ where: { key } });
    const windowOpen = row && at.getTime() - row.windowStart.getTime() < limit.windowMs;
    const failures = windowOpen ? row.failures + 1 : 1;
    const lockedUntil = failures >= limit.failures ? new Date(at.getTime() + limit.lockMs) : null;
    await tx.loginThrottle.upsert({
      where: { key },
      create: { key, failures, windowStart: at, lockedUntil },
      update: { failures, windowStart: windowOpen ? row.windowStart : at, lockedUntil },
    });
  }
}
