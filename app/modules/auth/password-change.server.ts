import { prisma } from "~/platform/db.server.ts";
import { recordAudit, type AuditActor } from "../audit/audit.server.ts";
import { hashPassword, verifyPassword } from "./password.server.ts";
import { passwordProblem } from "./password-strength.server.ts";
import { endUserSessions } from "./session.server.ts";

export type PasswordChangeOutcome =
  | { ok: true; sessionsEnded: number }
  | { ok: false; field: "current" | "password"; message: string };

/**
 * A signed-in user changes their own password: the current one proves it is them (a session
 * left open on a ward PC is not enough), the new one must pass the strength check, and every
 * other session ends. Clears the "change your password" flag set at a weak sign-in.
 */
export async function changeOwnPassword(input: {
  userId: string;
  sessionId: string;
  currentPassword: string;
  newPassword: string;
  actor: AuditActor;
  clientAddress: string | null;
}): Promise<PasswordChangeOutcome> {
  const db = await prisma();
  const user = await db.user.findUniqueOrThrow({
    where: { id: input.userId },
    select: { email: true, displayName: true, passwordHash: true },
  });
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    return { ok: false, field: "current", message: "Your current password is not right" };
  }
  if (input.newPassword === input.currentPassword) {
    return {
      ok: false,
      field: "password",
      message: "Choose a password different from your current one",
    };
  }
  const problem = passwordProblem(input.newPassword, [user.email, user.displayName]);
  if (problem) return { ok: false, field: "password", message: problem };
  const passwordHash = await hashPassword(input.newPassword);
  const sessionsEnded = await db.$transaction(async (tx) => {
    await tx.user.update({
      where: { id: input.userId },
      data: { passwordHash, passwordChangeRequired: false },
    });
    const ended = await endUserSessions(input.userId, "revoked", tx, input.sessionId);
    await recordAudit(tx, {
      actor: input.actor,
      clientAddress: input.clientAddress,
      action: "user.change-password",
      entityType: "user",
      entityId: input.userId,
      details: { sessionsEnded: ended },
    });
    return ended;
  });
  return { ok: true, sessionsEnded };
}
