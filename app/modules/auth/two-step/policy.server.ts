import type { Prisma } from "~/generated/prisma/client.ts";
import { Role } from "~/generated/prisma/enums.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAudit, type AuditActor } from "../../audit/audit.server.ts";

/**
 * Which roles must use two-step sign-in. The roles that can change who may do what (admins) or
 * reach many patients at once (campaign managers) are required by default; an admin can change
 * any role at /admin/two-step. A role without a stored row follows the default.
 */
export const REQUIRED_BY_DEFAULT: readonly Role[] = [Role.ADMIN, Role.CAMPAIGN_MANAGER];

export type TwoStepPolicy = Record<Role, boolean>;

export async function readTwoStepPolicy(tx?: Prisma.TransactionClient): Promise<TwoStepPolicy> {
  const db = tx ?? (await prisma());
  const rows = await db.twoStepRolePolicy.findMany();
  const policy = Object.fromEntries(
    Object.values(Role).map((role) => [role, REQUIRED_BY_DEFAULT.includes(role)]),
  ) as TwoStepPolicy;
  for (const row of rows) policy[row.role] = row.required;
  return policy;
}

export async function isTwoStepRequired(role: Role): Promise<boolean> {
  return (await readTwoStepPolicy())[role];
}

/** Stores the whole policy; audits the roles that changed (names only). */
export async function saveTwoStepPolicy(
  policy: TwoStepPolicy,
  context: { actor: AuditActor; clientAddress: string | null },
): Promise<void> {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const before = await readTwoStepPolicy(tx);
    const changed = Object.values(Role).filter((role) => before[role] !== policy[role]);
    for (const role of Object.values(Role)) {
      await tx.twoStepRolePolicy.upsert({
        where: { role },
        create: { role, required: policy[role] },
        update: { required: policy[role] },
      });
    }
    if (changed.length > 0) {
      await recordAudit(tx, {
        actor: context.actor,
        action: "two-step.policy-changed",
        entityType: "two-step-policy",
        clientAddress: context.clientAddress,
        details: {
          required: Object.values(Role).filter((role) => policy[role]),
          changed,
        },
      });
    }
  });
}
