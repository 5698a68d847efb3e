import { Prisma } from "~/generated/prisma/client.ts";
import { hasPermission } from "~/modules/auth/permissions.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import { TZDate } from "@date-fns/tz";
import { UK_TIME_ZONE } from "~/platform/uk-time.ts";
import { workingCalendarFor } from "../sla/sla.server.ts";
import {
  addWorkingHours,
  describeSla,
  DUE_SOON_WORKING_MINUTES,
  formatIsoDay,
  localDayOf,
  slaStateAt,
} from "../sla/working-hours.ts";
import type { RequestViewer } from "../scope.server.ts";
import { worklistScopeSql } from "./worklist.server.ts";

const { sql } = Prisma;
const OPEN = sql`r."status" IN ('NEW'::"RequestStatus", 'ASSIGNED'::"RequestStatus", 'EXPIRED'::"RequestStatus")`;

function ts(instant: Date): Prisma.Sql {
  return sql`(${instant.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
}

/** The end of today in UK time, as an instant (for "due by the end of today"). */
function endOfUkDay(at: Date): Date {
  const local = new TZDate(at.getTime(), UK_TIME_ZONE);
  return new Date(
    new TZDate(
      local.getFullYear(),
      local.getMonth(),
      local.getDate() + 1,
      0,
      0,
      UK_TIME_ZONE,
    ).getTime(),
  );
}

/**
 * What the home page shows about requests, per role: a handler's own open and due-soon work; a
 * lead's team queues (open, unassigned, overdue), the unrouted queue (H2) and today's digest.
 * Everything through the worklist's scope; null when the role does not work requests.
 */
export async function requestHomeSummary(viewer: RequestViewer) {
  if (!hasPermission(viewer.role, "read:request:team")) return null;
  const db = await prisma();
  const at = now();
  const firstTeam = viewer.teamIds[0] ?? null;
  const { calendar } = await workingCalendarFor(db, firstTeam, formatIsoDay(localDayOf(at)));
  const dueSoonBefore = addWorkingHours(at, DUE_SOON_WORKING_MINUTES / 60, calendar);

  const [mine] = await db.$queryRaw<Array<{ open: number; dueSoon: number; overdue: number }>>`
    SELECT count(*)::int AS "open",
      count(*) FILTER (WHERE r."dueAt" >= ${ts(at)} AND r."dueAt" < ${ts(dueSoonBefore)})::int AS "dueSoon",
      count(*) FILTER (WHERE r."dueAt" < ${ts(at)})::int AS "overdue"
    FROM "AppointmentRequest" r
    WHERE ${worklistScopeSql(viewer)} AND ${OPEN} AND r."assigneeId" = ${viewer.id}::uuid`;
  const next = await db.appointmentRequest.findMany({
    where: { assigneeId: viewer.id, status: { in: ["NEW", "ASSIGNED", "EXPIRED"] } },
    orderBy: [{ dueAt: { sort: "asc", nulls: "last" } }, { id: "asc" }],
    take: 5,
    select: {
      id: true,
      patientDisplayName: true,
      dueAt: true,
      matchedStart: true,
      quotedStart: true,
    },
  });

  let lead: null | {
    teams: Array<{ id: string; name: string; open: number; unassigned: number; overdue: number }>;
    unrouted: number;
    overdueNow: number;
    dueByEndOfToday: number;
  } = null;
  if (hasPermission(viewer.role, "assign:request:team")) {
    const rows = await db.$queryRaw<
      Array<{
        teamId: string | null;
        open: number;
        unassigned: number;
        overdue: number;
        dueToday: number;
      }>
    >`
      SELECT r."teamId", count(*)::int AS "open",
        count(*) FILTER (WHERE r."assigneeId" IS NULL)::int AS "unassigned",
        count(*) FILTER (WHERE r."dueAt" < ${ts(at)})::int AS "overdue",
        count(*) FILTER (WHERE r."dueAt" >= ${ts(at)} AND r."dueAt" < ${ts(endOfUkDay(at))})::int AS "dueToday"
      FROM "AppointmentRequest" r
      WHERE ${worklistScopeSql(viewer)} AND ${OPEN}
      GROUP BY r."teamId"`;
    const names = await db.team.findMany({
      where: { id: { in: [...viewer.teamIds] } },
      orderBy: { name: "asc" },
      select: { id: true, name: true },
    });
    const byTeam = new Map(rows.map((row) => [row.teamId, row]));
    const inScope = rows.filter(
      (row) => row.teamId === null || viewer.teamIds.includes(row.teamId),
    );
    lead = {
      teams: names.map((team) => ({
        id: team.id,
        name: team.name,
        open: byTeam.get(team.id)?.open ?? 0,
        unassigned: byTeam.get(team.id)?.unassigned ?? 0,
        overdue: byTeam.get(team.id)?.overdue ?? 0,
      })),
      unrouted: byTeam.get(null)?.open ?? 0,
      overdueNow: inScope.reduce((sum, row) => sum + row.overdue, 0),
      dueByEndOfToday: inScope.reduce((sum, row) => sum + row.dueToday, 0),
    };
  }

  return {
    mine: { open: mine?.open ?? 0, dueSoon: mine?.dueSoon ?? 0, overdue: mine?.overdue ?? 0 },
    next: next.map((row) => {
      const appointment = row.matchedStart ?? row.quotedStart;
      return {
        id: row.id,
        patient: row.patientDisplayName ?? "Name not available",
        appointment: appointment ? formatUkDateTime(appointment) : "Not readable",
        sla: describeSla(slaStateAt(row.dueAt, at, calendar)),
        overdue: row.dueAt !== null && row.dueAt < at,
      };
    }),
    lead,
  };
}
