import { createHash, randomBytes } from "node:crypto";
import type { Prisma } from "~/generated/prisma/client.ts";
import type { Role } from "~/generated/prisma/enums.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { getCookies } from "./cookies.server.ts";

/** Idle and absolute session limits (quality.md). */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
// Record activity at most once a minute: a write per request would be waste.
const TOUCH_INTERVAL_MS = 60 * 1000;

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  teamIds: string[];
  /** A weak password was seen at sign-in: changing it comes before anything else (ADR 0016). */
  passwordChangeRequired: boolean;
}

export interface ActiveSession {
  id: string;
  user: SessionUser;
  expiresAt: Date;
}

export type SessionEndReason = "logout" | "disabled" | "revoked" | "idle" | "expired" | "replaced";

export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Starts a session with a brand-new id (defeats session fixation). Returns the Set-Cookie value. */
export async function createSession(
  userId: string,
  meta: { clientAddress?: string | null; userAgent?: string | null },
  tx?: Prisma.TransactionClient,
): Promise<{ sessionId: string; setCookie: string }> {
  const token = randomBytes(32).toString("base64url");
  const sessionId = hashSessionToken(token);
  const started = now();
  const db = tx ?? (await prisma());
  await db.session.create({
    data: {
      id: sessionId,
      userId,
      createdAt: started,
      lastSeenAt: started,
      expiresAt: new Date(started.getTime() + SESSION_ABSOLUTE_MS),
      clientAddress: meta.clientAddress ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    },
  });
  return { sessionId, setCookie: await getCookies().session.serialize(token) };
}

/** The cookie's token, or null when absent or its signature does not verify. */
export async function readSessionToken(request: Request): Promise<string | null> {
  const value: unknown = await getCookies().session.parse(request.headers.get("Cookie"));
  return typeof value === "string" && value.length > 0 ? value : null;
}

/**
 * The live session for this request, or null. Ends sessions that are idle, past their absolute
 * limit, or whose user was disabled.
 */
export async function getActiveSession(request: Request): Promise<ActiveSession | null> {
  const token = await readSessionToken(request);
  if (!token) return null;
  const db = await prisma();
  const id = hashSessionToken(token);
  const row = await db.session.findUnique({
    where: { id },
    select: {
      id: true,
      revokedAt: true,
      lastSeenAt: true,
      expiresAt: true,
      user: {
        select: {
          id: true,
          email: true,
          displayName: true,
          role: true,
          disabledAt: true,
          passwordChangeRequired: true,
          memberships: { select: { teamId: true } },
        },
      },
    },
  });
  if (!row || row.revokedAt) return null;
  const at = now();
  const ended: SessionEndReason | null = row.user.disabledAt
    ? "disabled"
    : at >= row.expiresAt
      ? "expired"
      : at.getTime() - row.lastSeenAt.getTime() >= SESSION_IDLE_MS
        ? "idle"
        : null;
  if (ended) {
    await endSession(id, ended);
    return null;
  }
  if (at.getTime() - row.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    await db.session.update({ where: { id }, data: { lastSeenAt: at } });
  }
  return {
    id,
    expiresAt: row.expiresAt,
    user: {
      id: row.user.id,
      email: row.user.email,
      displayName: row.user.displayName,
      role: row.user.role,
      teamIds: row.user.memberships.map((membership) => membership.teamId),
      passwordChangeRequired: row.user.passwordChangeRequired,
    },
  };
}

export async function endSession(
  sessionId: string,
  reason: SessionEndReason,
  tx?: Prisma.TransactionClient,
): Promise<void> {
  const db = tx ?? (await prisma());
  await db.session.updateMany({
    where: { id: sessionId, revokedAt: null },
    data: { revokedAt: now(), revokedReason: reason },
  });
}

/** Ends every live session of a user (disable, password change). Returns how many ended. */
export async function endUserSessions(
  userId: string,
  reason: SessionEndReason,
  tx?: Prisma.TransactionClient,
  exceptSessionId?: string,
): Promise<number> {
  const db = tx ?? (await prisma());
  const result = await db.session.updateMany({
    where: {
      userId,
      revokedAt: null,
      ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}),
    },
    data: { revokedAt: now(), revokedReason: reason },
  });
  return result.count;
}

/** A Set-Cookie header that removes the session cookie. */
export async function clearSessionCookie(): Promise<string> {
  return getCookies().session.serialize("", { maxAge: 0 });
}
