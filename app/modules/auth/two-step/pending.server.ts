import { createHash, randomBytes } from "node:crypto";
import type { Role } from "~/generated/prisma/enums.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAudit } from "../../audit/audit.server.ts";
import { buildCookie } from "../cookies.server.ts";
import { forgiveAfterSuccess } from "../login-throttle.server.ts";
import { createSession, endSession, hashSessionToken } from "../session.server.ts";

/**
 * The half-way state of a two-step sign-in: the password was right, the second step is owed.
 * No session exists yet. The state is a server-side row named by the SHA-256 of a random token
 * that lives only in this browser's signed, HttpOnly cookie, for five minutes; five wrong codes
 * end it (back to the password, which has its own throttle).
 */
export const PENDING_TTL_MS = 5 * 60 * 1000;
export const PENDING_MAX_ATTEMPTS = 5;

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

function pendingCookie() {
  return buildCookie("pkbdesk_two_step", { maxAgeSeconds: PENDING_TTL_MS / 1000 });
}

export async function startPendingSignIn(
  userId: string,
  clientAddress: string | null,
): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  const started = now();
  const db = await prisma();
  await db.twoStepPendingSignIn.create({
    data: {
      id: hash(token),
      userId,
      createdAt: started,
      expiresAt: new Date(started.getTime() + PENDING_TTL_MS),
      clientAddress,
    },
  });
  return pendingCookie().serialize(token);
}

export interface PendingSignIn {
  id: string;
  userId: string;
  email: string;
  role: Role;
}

/** The live pending sign-in of this browser, or null (none, expired, used up, user disabled). */
export async function readPendingSignIn(request: Request): Promise<PendingSignIn | null> {
  const token: unknown = await pendingCookie().parse(request.headers.get("Cookie"));
  if (typeof token !== "string" || token.length === 0) return null;
  const db = await prisma();
  const row = await db.twoStepPendingSignIn.findUnique({
    where: { id: hash(token) },
    select: {
      id: true,
      userId: true,
      expiresAt: true,
      consumedAt: true,
      attempts: true,
      user: { select: { email: true, role: true, disabledAt: true } },
    },
  });
  if (!row || row.consumedAt || row.expiresAt <= now() || row.user.disabledAt) return null;
  if (row.attempts >= PENDING_MAX_ATTEMPTS) return null;
  return { id: row.id, userId: row.userId, email: row.user.email, role: row.user.role };
}

/** Counts a wrong code; true when the pending sign-in may still be tried. */
export async function countWrongCode(pending: PendingSignIn): Promise<boolean> {
  const db = await prisma();
  const row = await db.twoStepPendingSignIn.update({
    where: { id: pending.id },
    data: { attempts: { increment: 1 } },
    select: { attempts: true },
  });
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: null, label: "anonymous" },
      action: "auth.two-step-failed",
      entityType: "user",
      entityId: pending.userId,
      details: { attempts: row.attempts },
    }),
  );
  return row.attempts < PENDING_MAX_ATTEMPTS;
}

/**
 * The second step passed: the pending state is spent (once, even under parallel submissions)
 * and a session with a brand-new id starts, as a password-only sign-in would.
 */
export async function finishSignIn(
  pending: PendingSignIn,
  input: {
    method: "totp" | "recovery-code" | "enrolled";
    clientAddress: string | null;
    userAgent: string | null;
    previousSessionToken: string | null;
  },
): Promise<string | null> {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const spent = await tx.twoStepPendingSignIn.updateMany({
      where: { id: pending.id, consumedAt: null, expiresAt: { gt: now() } },
      data: { consumedAt: now() },
    });
    if (spent.count !== 1) return null;
    // The password step counted this attempt; the whole sign-in succeeded, so forgive it.
    await forgiveAfterSuccess(tx, pending.email, input.clientAddress);
    if (input.previousSessionToken) {
      await endSession(hashSessionToken(input.previousSessionToken), "replaced", tx);
    }
    await tx.user.update({ where: { id: pending.userId }, data: { lastLoginAt: now() } });
    const session = await createSession(
      pending.userId,
      { clientAddress: input.clientAddress, userAgent: input.userAgent },
      tx,
    );
    await recordAudit(tx, {
      actor: { id: pending.userId, label: pending.email },
      action: "auth.login",
      entityType: "user",
      entityId: pending.userId,
      clientAddress: input.clientAddress,
      details: { secondStep: input.method },
    });
    return session.setCookie;
  });
}

export async function clearPendingCookie(): Promise<string> {
  return pendingCookie().serialize("", { maxAge: 0 });
}
