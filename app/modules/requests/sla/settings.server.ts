import { z } from "zod";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { hasPermission } from "~/modules/auth/permissions.ts";
import type { Role } from "~/generated/prisma/enums.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { DEFAULT_SERVICE_LEVEL, refreshOpenDueAt } from "./sla.server.ts";
import { formatIsoDay, localDayOf } from "./working-hours.ts";

/**
 * Team service levels and closures, as leads (their own teams) and admins (every team, and
 * trust-wide closures) change them. Every change is audited and re-dates the open requests it
 * affects in the same transaction, so "due in" on the worklist never lags the setting.
 */
export interface SettingsViewer {
  id: string;
  role: Role;
  teamIds: readonly string[];
}

export class ServiceLevelError extends Error {
  override name = "ServiceLevelError";
}

const isAdmin = (viewer: SettingsViewer) => hasPermission(viewer.role, "manage:team");

function manageableTeamFilter(viewer: SettingsViewer) {
  return isAdmin(viewer) ? {} : { id: { in: [...viewer.teamIds] } };
}

const clock = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "Enter a time as HH:MM, for example 08:00." })
  .transform((value) => Number(value.slice(0, 2)) * 60 + Number(value.slice(3)));

export const ServiceLevelInputSchema = z
  .object({
    targetWorkingHours: z
      .string()
      .trim()
      .transform((value, context) => {
        if (value === "") return null;
        const hours = Number(value);
        if (!Number.isInteger(hours) || hours < 1 || hours > 400) {
          context.addIssue({
            code: "custom",
            message: "Enter whole working hours from 1 to 400, or leave it empty for no target.",
          });
          return z.NEVER;
        }
        return hours;
      }),
    dayStart: clock,
    dayEnd: clock,
    urgentWithinDays: z.coerce
      .number({ message: "Enter a number of days." })
      .int()
      .min(0, { message: "Enter 0 to 60 days." })
      .max(60, { message: "Enter 0 to 60 days." }),
  })
  .refine((value) => value.dayStart < value.dayEnd, {
    message: "The working day must end after it starts.",
    path: ["dayEnd"],
  });

export const ClosureInputSchema = z.object({
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "Enter the date of the closure." })
    .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), {
      message: "Enter a real date.",
    }),
  /** a team id, or "trust" for a trust-wide closure (admins) */
  scope: z.string().min(1),
  reason: z.string().trim().min(1, { message: "Say why the team is closed." }).max(200),
});

function minutesToClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

export async function serviceLevelSettings(viewer: SettingsViewer) {
  const db = await prisma();
  const teams = await db.team.findMany({
    where: manageableTeamFilter(viewer),
    orderBy: { name: "asc" },
    select: { id: true, name: true, serviceLevel: true },
  });
  const today = formatIsoDay(localDayOf(now()));
  const closures = await db.workingClosure.findMany({
    where: {
      day: { gte: new Date(`${today}T00:00:00Z`) },
      OR: [{ teamId: null }, { teamId: { in: teams.map((team) => team.id) } }],
    },
    orderBy: [{ day: "asc" }],
    select: { id: true, day: true, reason: true, teamId: true, team: { select: { name: true } } },
  });
  return {
    canTrustWide: isAdmin(viewer),
    teams: teams.map((team) => {
      const level = team.serviceLevel ?? DEFAULT_SERVICE_LEVEL;
      return {
        id: team.id,
        name: team.name,
        isDefault: !team.serviceLevel,
        targetWorkingHours: level.targetWorkingHours,
        dayStart: minutesToClock(level.dayStartMinute),
        dayEnd: minutesToClock(level.dayEndMinute),
        urgentWithinDays: level.urgentWithinDays,
      };
    }),
    closures: closures.map((closure) => ({
      id: closure.id,
      day: closure.day.toISOString().slice(0, 10),
      reason: closure.reason,
      scope: closure.team?.name ?? "Whole trust",
      canRemove: closure.teamId === null ? isAdmin(viewer) : true,
    })),
  };
}

async function assertManageable(viewer: SettingsViewer, teamId: string): Promise<string> {
  const db = await prisma();
  const team = await db.team.findFirst({
    where: { AND: [manageableTeamFilter(viewer), { id: teamId }] },
    select: { name: true },
  });
  if (!team) throw new ServiceLevelError("not-found");
  return team.name;
}

export async function updateServiceLevel(
  viewer: SettingsViewer,
  teamId: string,
  input: z.infer<typeof ServiceLevelInputSchema>,
  audit: { actor: AuditActor; clientAddress: string | null },
) {
  await assertManageable(viewer, teamId);
  const db = await prisma();
  await db.$transaction(
    async (tx) => {
      const data = {
        targetWorkingHours: input.targetWorkingHours,
        dayStartMinute: input.dayStart,
        dayEndMinute: input.dayEnd,
        urgentWithinDays: input.urgentWithinDays,
      };
      await tx.teamServiceLevel.upsert({
        where: { teamId },
        create: { teamId, ...data },
        update: data,
      });
      const redated = await refreshOpenDueAt(tx, teamId);
      await recordAudit(tx, {
        actor: audit.actor,
        action: "team.service-level.update",
        entityType: "team",
        entityId: teamId,
        clientAddress: audit.clientAddress,
        details: { ...data, openRequestsRedated: redated },
      });
    },
    { timeout: 120_000 },
  );
}

export async function addClosure(
  viewer: SettingsViewer,
  input: z.infer<typeof ClosureInputSchema>,
  audit: { actor: AuditActor; clientAddress: string | null },
) {
  const teamId = input.scope === "trust" ? null : input.scope;
  if (teamId === null && !isAdmin(viewer)) throw new ServiceLevelError("not-found");
  if (teamId !== null) await assertManageable(viewer, teamId);
  const db = await prisma();
  await db.$transaction(
    async (tx) => {
      const exists = await tx.workingClosure.findFirst({
        where: { day: new Date(`${input.day}T00:00:00Z`), teamId },
        select: { id: true },
      });
      if (exists) throw new ServiceLevelError("That day is already recorded as closed.");
      const closure = await tx.workingClosure.create({
        data: { day: new Date(`${input.day}T00:00:00Z`), teamId, reason: input.reason },
      });
      const redated = await refreshOpenDueAt(tx, teamId ?? undefined);
      await recordAudit(tx, {
        actor: audit.actor,
        action: "working-closure.create",
        entityType: "working-closure",
        entityId: closure.id,
        clientAddress: audit.clientAddress,
        details: { day: input.day, teamId, openRequestsRedated: redated },
      });
    },
    { timeout: 120_000 },
  );
}

export async function removeClosure(
  viewer: SettingsViewer,
  closureId: string,
  audit: { actor: AuditActor; clientAddress: string | null },
) {
  const db = await prisma();
  const closure = await db.workingClosure.findUnique({ where: { id: closureId } });
  if (!closure) throw new ServiceLevelError("not-found");
  if (closure.teamId === null ? !isAdmin(viewer) : false) throw new ServiceLevelError("not-found");
  if (closure.teamId !== null) await assertManageable(viewer, closure.teamId);
  await db.$transaction(
    async (tx) => {
      await tx.workingClosure.delete({ where: { id: closureId } });
      const redated = await refreshOpenDueAt(tx, closure.teamId ?? undefined);
      await recordAudit(tx, {
        actor: audit.actor,
        action: "working-closure.delete",
        entityType: "working-closure",
        entityId: closureId,
        clientAddress: audit.clientAddress,
        details: {
          day: closure.day.toISOString().slice(0, 10),
          teamId: closure.teamId,
          openRequestsRedated: redated,
        },
      });
    },
    { timeout: 120_000 },
  );
}
