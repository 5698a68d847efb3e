import type { Role } from "~/generated/prisma/enums.ts";
import type { PrismaClient } from "~/generated/prisma/client.ts";
import { recordAudit, SYSTEM_ACTOR } from "../audit/audit.server.ts";
import { normaliseEmail } from "./login.server.ts";
import { hashPassword } from "./password.server.ts";

/**
 * Creates (or resets the password of) a staff account directly, for `npm run demo` and
 * `npm run create-admin`. Idempotent by e-mail.
 */
export async function upsertStaffAccount(
  prisma: PrismaClient,
  input: {
    email: string;
    displayName: string;
    role: Role;
    password?: string;
    teamNames?: string[];
  },
): Promise<string> {
  const email = normaliseEmail(input.email);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return prisma.$transaction(async (tx) => {
    const teams = [];
    for (const name of input.teamNames ?? []) {
      teams.push(
        await tx.team.upsert({
          where: { name },
          create: { name },
          update: {},
          select: { id: true },
        }),
      );
    }
    const user = await tx.user.upsert({
      where: { email },
      create: { email, displayName: input.displayName, role: input.role, passwordHash },
      update: { role: input.role, disabledAt: null, ...(passwordHash ? { passwordHash } : {}) },
      select: { id: true },
    });
    await tx.teamMembership.createMany({
      data: teams.map((team) => ({ userId: user.id, teamId: team.id })),
      skipDuplicates: true,
    });
    await recordAudit(tx, {
      actor: SYSTEM_ACTOR,
      action: "user.provision",
      entityType: "user",
      entityId: user.id,
      details: { role: input.role },
    });
    return user.id;
  });
}
