import { createHash, randomBytes } from "node:crypto";
import type { Prisma } from "~/generated/prisma/client.ts";
import type { Role } from "~/generated/prisma/enums.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { isConstraintViolation } from "~/platform/db-errors.ts";
import { getEnv } from "~/platform/env.server.ts";
import { recordAudit, type AuditActor } from "../audit/audit.server.ts";
import { normaliseEmail } from "./login.server.ts";
import { hashPassword } from "./password.server.ts";
import { endUserSessions } from "./session.server.ts";

/**
 * Staff accounts. There is no e-mail infrastructure: an admin issues a one-time link that sets
 * the password, sees it once, and hands it over by a channel the trust trusts.
 */
export const SETUP_LINK_TTL_MS = 72 * 60 * 60 * 1000;

export class UserError extends Error {
  override name = "UserError";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

interface Context {
  actor: AuditActor;
  clientAddress: string | null;
}

export function hashSetupToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

async function storeSetupToken(
  tx: Prisma.TransactionClient,
  token: string,
  userId: string,
  issuedById: string | null,
): Promise<void> {
  await tx.passwordSetupToken.create({
    data: {
      tokenHash: hashSetupToken(token),
      userId,
      issuedById,
      expiresAt: new Date(now().getTime() + SETUP_LINK_TTL_MS),
    },
  });
}

export async function listUsers() {
  const db = await prisma();
  return db.user.findMany({
    orderBy: [
      { approvalPendingSince: { sort: "asc", nulls: "last" } },
      { disabledAt: { sort: "asc", nulls: "first" } },
      { displayName: "asc" },
    ],
    select: {
      id: true,
      email: true,
      displayName: true,
      role: true,
      disabledAt: true,
      approvalPendingSince: true,
      lastLoginAt: true,
      passwordHash: true,
      _count: { select: { ssoIdentities: true } },
      memberships: { select: { team: { select: { id: true, name: true } } } },
    },
  });
}

export async function getUser(id: string) {
  const db = await prisma();
  return db.user.findUnique({
    where: { id },
    select: {
      id: true,
      email: true,
      displayName: true,
      role: true,
      disabledAt: true,
      approvalPendingSince: true,
      lastLoginAt: true,
      createdAt: true,
      passwordHash: true,
      _count: { select: { ssoIdentities: true } },
      memberships: { select: { teamId: true } },
      sessions: {
        where: { revokedAt: null, expiresAt: { gt: now() } },
        select: { id: true },
      },
    },
  });
}

export type UserStatus =
  | "Active"
  | "Disabled"
  | "Waiting for approval"
  | "Awaiting password"
  | "Signs in with trust account";

/** The one status an admin sees for an account, on the list and on its own page. */
export function userStatus(user: {
  disabledAt: Date | null;
  approvalPendingSince: Date | null;
  passwordHash: string | null;
  _count: { ssoIdentities: number };
}): UserStatus {
  if (user.disabledAt) return "Disabled";
  if (user.approvalPendingSince) return "Waiting for approval";
  if (user.passwordHash) return "Active";
  return user._count.ssoIdentities > 0 ? "Signs in with trust account" : "Awaiting password";
}

/** Creates an account and returns the one-time set-password token for it. */
export async function createUser(
  input: { email: string; displayName: string; role: Role; teamIds: string[] },
  context: Context,
): Promise<{ userId: string; setupToken: string }> {
  const db = await prisma();
  const email = normaliseEmail(input.email);
  const existing = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) throw new UserError("An account with this e-mail already exists", "email");
  const setupToken = randomBytes(32).toString("base64url");
  const userId = await translateConstraintErrors(() =>
    db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: {
          email,
          displayName: input.displayName.trim(),
          role: input.role,
          memberships: { create: input.teamIds.map((teamId) => ({ teamId })) },
        },
        select: { id: true },
      });
      await storeSetupToken(tx, setupToken, user.id, context.actor.id);
      await recordAudit(tx, {
        ...context,
        action: "user.create",
        entityType: "user",
        entityId: user.id,
        details: { role: input.role, teams: input.teamIds },
      });
      return user.id;
    }),
  );
  return { userId, setupToken };
}

/** Issues a new one-time link; earlier unused links for the user stop working. */
export async function issueSetupLink(userId: string, context: Context): Promise<string> {
  const db = await prisma();
  const setupToken = randomBytes(32).toString("base64url");
  await db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (!user) throw new UserError("No such user");
    await tx.passwordSetupToken.updateMany({
      where: { userId, usedAt: null },
      data: { expiresAt: now() },
    });
    await storeSetupToken(tx, setupToken, userId, context.actor.id);
    await recordAudit(tx, {
      ...context,
      action: "user.issue-setup-link",
      entityType: "user",
      entityId: userId,
    });
  });
  return setupToken;
}

/** Who a set-password link is for, if it is still usable. */
export async function findUsableSetupLink(token: string) {
  const db = await prisma();
  const row = await db.passwordSetupToken.findUnique({
    where: { tokenHash: hashSetupToken(token) },
    select: {
      id: true,
      usedAt: true,
      expiresAt: true,
      user: { select: { id: true, email: true, displayName: true, disabledAt: true } },
    },
  });
  if (!row || row.usedAt || row.expiresAt <= now() || row.user.disabledAt) return null;
  return row;
}

/** Sets the password from a one-time link; the link is spent and other sessions end. */
export async function setPasswordWithLink(
  token: string,
  password: string,
  context: { clientAddress: string | null },
): Promise<{ userId: string } | null> {
  const link = await findUsableSetupLink(token);
  if (!link) return null;
  const passwordHash = await hashPassword(password);
  const db = await prisma();
  return db.$transaction(async (tx) => {
    // Conditional update: two tabs submitting the same link cannot both succeed, and a link
    // replaced or expired since it was checked above is refused here.
    const spent = await tx.passwordSetupToken.updateMany({
      where: { id: link.id, usedAt: null, expiresAt: { gt: now() } },
      data: { usedAt: now() },
    });
    if (spent.count !== 1) return null;
    const user = await tx.user.findUnique({
      where: { id: link.user.id },
      select: { disabledAt: true },
    });
    if (!user || user.disabledAt) return null;
    await tx.user.update({
      where: { id: link.user.id },
      data: { passwordHash, passwordChangeRequired: false },
    });
    await endUserSessions(link.user.id, "revoked", tx);
    await recordAudit(tx, {
      actor: { id: link.user.id, label: link.user.email },
      clientAddress: context.clientAddress,
      action: "user.set-password",
      entityType: "user",
      entityId: link.user.id,
    });
    return { userId: link.user.id };
  });
}

export async function setUserDisabled(
  userId: string,
  disabled: boolean,
  context: Context,
): Promise<{ sessionsEnded: number }> {
  if (disabled && context.actor.id === userId) {
    throw new UserError("You cannot disable your own account");
  }
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (!user) throw new UserError("No such user");
    await tx.user.update({ where: { id: userId }, data: { disabledAt: disabled ? now() : null } });
    const sessionsEnded = disabled ? await endUserSessions(userId, "disabled", tx) : 0;
    await recordAudit(tx, {
      ...context,
      action: disabled ? "user.disable" : "user.enable",
      entityType: "user",
      entityId: userId,
      details: { sessionsEnded },
    });
    return { sessionsEnded };
  });
}

/**
 * Saves name, role and teams. With `approve`, also lets an account that a first trust sign-in
 * created "pending approval" sign in from now on (audited as its own action).
 */
export async function updateUserAccess(
  userId: string,
  input: { role: Role; teamIds: string[]; displayName: string; approve?: boolean },
  context: Context,
): Promise<void> {
  const db = await prisma();
  await translateConstraintErrors(() =>
    db.$transaction(async (tx) => {
      const user = await tx.user.findUnique({
        where: { id: userId },
        select: { role: true, approvalPendingSince: true },
      });
      if (!user) throw new UserError("No such user");
      const approving = Boolean(input.approve && user.approvalPendingSince);
      if (context.actor.id === userId && user.role === "ADMIN" && input.role !== "ADMIN") {
        throw new UserError("You cannot remove your own administrator role", "role");
      }
      await tx.user.update({
        where: { id: userId },
        data: {
          role: input.role,
          displayName: input.displayName.trim(),
          ...(approving ? { approvalPendingSince: null } : {}),
        },
      });
      await tx.teamMembership.deleteMany({ where: { userId, teamId: { notIn: input.teamIds } } });
      await tx.teamMembership.createMany({
        data: input.teamIds.map((teamId) => ({ userId, teamId })),
        skipDuplicates: true,
      });
      await recordAudit(tx, {
        ...context,
        action: approving ? "user.approve" : "user.update-access",
        entityType: "user",
        entityId: userId,
        details: { role: input.role, previousRole: user.role, teams: input.teamIds },
      });
    }),
  );
}

/** Turns a constraint violation (a concurrent duplicate, a team deleted meanwhile) into a field error. */
async function translateConstraintErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isConstraintViolation(error, "P2002")) {
      throw new UserError("An account with this e-mail already exists", "email");
    }
    if (isConstraintViolation(error, "P2003")) {
      throw new UserError(
        "One of the chosen teams no longer exists. Reload the page and try again.",
        "teamIds",
      );
    }
    throw error;
  }
}

/** The link an admin hands over; the token in it is shown once and stored only as a hash. */
export function setupLinkUrl(request: Request, token: string): string {
  const origin = getEnv().APP_ORIGIN ?? new URL(request.url).origin;
  return `${origin}/set-password/${token}`;
}
