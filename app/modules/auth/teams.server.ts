import { isConstraintViolation } from "~/platform/db-errors.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAudit, type AuditActor } from "../audit/audit.server.ts";

interface Context {
  actor: AuditActor;
  clientAddress: string | null;
}

export class TeamError extends Error {
  override name = "TeamError";
}

/** All teams, or only `onlyIds` (a team lead sees their own teams, never others'). */
export async function listTeams(onlyIds?: string[]) {
  const db = await prisma();
  return db.team.findMany({
    where: onlyIds ? { id: { in: onlyIds } } : {},
    orderBy: { name: "asc" },
    select: {
      id: true,
      name: true,
      description: true,
      _count: { select: { members: true } },
    },
  });
}

export async function getTeam(id: string) {
  const db = await prisma();
  return db.team.findUnique({
    where: { id },
    select: {
      id: true,
      name: true,
      description: true,
      members: {
        orderBy: { user: { displayName: "asc" } },
        select: {
          user: {
            select: { id: true, displayName: true, email: true, role: true, disabledAt: true },
          },
        },
      },
    },
  });
}

export async function createTeam(
  input: { name: string; description: string },
  context: Context,
): Promise<string> {
  const db = await prisma();
  const name = input.name.trim();
  const clash = await db.team.findFirst({
    where: { name: { equals: name, mode: "insensitive" } },
    select: { id: true },
  });
  if (clash) throw new TeamError("A team with this name already exists");
  return uniqueName(() =>
    db.$transaction(async (tx) => {
      const team = await tx.team.create({
        data: { name, description: input.description.trim() },
        select: { id: true },
      });
      await recordAudit(tx, {
        ...context,
        action: "team.create",
        entityType: "team",
        entityId: team.id,
      });
      return team.id;
    }),
  );
}

export async function updateTeam(
  id: string,
  input: { name: string; description: string },
  context: Context,
): Promise<void> {
  const db = await prisma();
  const name = input.name.trim();
  const clash = await db.team.findFirst({
    where: { name: { equals: name, mode: "insensitive" }, id: { not: id } },
    select: { id: true },
  });
  if (clash) throw new TeamError("A team with this name already exists");
  await uniqueName(() =>
    db.$transaction(async (tx) => {
      await tx.team.update({
        where: { id },
        data: { name, description: input.description.trim() },
      });
      await recordAudit(tx, {
        ...context,
        action: "team.update",
        entityType: "team",
        entityId: id,
      });
    }),
  );
}

/** Adds or removes one member. Adding someone already in the team, or removing someone not in it, changes nothing. */
export async function setTeamMembership(
  teamId: string,
  userId: string,
  member: boolean,
  context: Context,
): Promise<"changed" | "unchanged"> {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (!user) throw new TeamError("That person no longer has an account");
    const changed = member
      ? (
          await tx.teamMembership.createMany({
            data: [{ teamId, userId }],
            skipDuplicates: true,
          })
        ).count
      : (await tx.teamMembership.deleteMany({ where: { teamId, userId } })).count;
    if (changed === 0) return "unchanged";
    await recordAudit(tx, {
      ...context,
      action: member ? "team.add-member" : "team.remove-member",
      entityType: "team",
      entityId: teamId,
      details: { userId },
    });
    return "changed";
  });
}

/** Two admins saving the same name at once: the loser gets the same message as a plain clash. */
async function uniqueName<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isConstraintViolation(error, "P2002")) {
      throw new TeamError("A team with this name already exists");
    }
    throw error;
  }
}
