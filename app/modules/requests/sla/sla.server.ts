import type { Prisma } from "~/generated/prisma/client.ts";
import {
  addWorkingHours,
  formatIsoDay,
  localDayOf,
  type IsoDay,
  type WorkingCalendar,
} from "./working-hours.ts";

/**
 * SLA deadlines from the database: a team's service level and closures turned into a
 * WorkingCalendar, and `dueAt` computed from it. Routing calls `dueAtFor` / `refreshDueAt` when it
 * puts a request in a queue; settings changes call `refreshOpenDueAt` so open requests follow the
 * new target.
 *
 * A team without a TeamServiceLevel row, and the unrouted queue, work to the default service level:
 * an unrouted request must age and go overdue like any other, or it lands where nobody looks (H2).
 */
export const DEFAULT_SERVICE_LEVEL = {
  targetWorkingHours: 16 as number | null,
  dayStartMinute: 8 * 60,
  dayEndMinute: 18 * 60,
  urgentWithinDays: 7,
};

export type ServiceLevel = typeof DEFAULT_SERVICE_LEVEL;

type Tx = Prisma.TransactionClient;

export async function serviceLevelOf(tx: Tx, teamId: string | null): Promise<ServiceLevel> {
  if (!teamId) return { ...DEFAULT_SERVICE_LEVEL };
  const row = await tx.teamServiceLevel.findUnique({ where: { teamId } });
  return row
    ? {
        targetWorkingHours: row.targetWorkingHours,
        dayStartMinute: row.dayStartMinute,
        dayEndMinute: row.dayEndMinute,
        urgentWithinDays: row.urgentWithinDays,
      }
    : { ...DEFAULT_SERVICE_LEVEL };
}

/** Trust-wide closures plus the team's own, from `fromDay` on (closures are few: load them all). */
export async function closuresFor(
  tx: Tx,
  teamId: string | null,
  fromDay: IsoDay,
): Promise<Set<IsoDay>> {
  const rows = await tx.workingClosure.findMany({
    where: {
      day: { gte: new Date(`${fromDay}T00:00:00Z`) },
      OR: [{ teamId: null }, ...(teamId ? [{ teamId }] : [])],
    },
    select: { day: true },
  });
  return new Set(rows.map((row) => row.day.toISOString().slice(0, 10)));
}

export async function workingCalendarFor(
  tx: Tx,
  teamId: string | null,
  fromDay: IsoDay,
): Promise<{ serviceLevel: ServiceLevel; calendar: WorkingCalendar }> {
  const serviceLevel = await serviceLevelOf(tx, teamId);
  return {
    serviceLevel,
    calendar: {
      dayStartMinute: serviceLevel.dayStartMinute,
      dayEndMinute: serviceLevel.dayEndMinute,
      closures: await closuresFor(tx, teamId, fromDay),
    },
  };
}

/** The SLA deadline of a request received at `receivedAt` in `teamId`'s queue (null = no target). */
export async function dueAtFor(
  tx: Tx,
  teamId: string | null,
  receivedAt: Date,
): Promise<Date | null> {
  const { serviceLevel, calendar } = await workingCalendarFor(
    tx,
    teamId,
    formatIsoDay(localDayOf(receivedAt)),
  );
  if (serviceLevel.targetWorkingHours === null) return null;
  return addWorkingHours(receivedAt, serviceLevel.targetWorkingHours, calendar);
}

/**
 * Recomputes `dueAt` for these requests from their current team and receipt time, in one
 * statement. Call it in the transaction that routed them. Returns how many rows it changed.
 */
export async function refreshDueAt(tx: Tx, requestIds: readonly string[]): Promise<number> {
  if (requestIds.length === 0) return 0;
  let changed = 0;
  for (let offset = 0; offset < requestIds.length; offset += 5_000) {
    const rows = await tx.appointmentRequest.findMany({
      where: { id: { in: requestIds.slice(offset, offset + 5_000) } },
      select: { id: true, teamId: true, receivedAt: true },
    });
    changed += await writeDueAt(tx, rows);
  }
  return changed;
}

/**
 * After a team's target, working day or closures change (or a trust-wide closure, teamId
 * undefined), the open requests of the queues affected follow the new calendar. Closed requests
 * keep the deadline they were worked against, so "SLA met" stays true to its time.
 */
export async function refreshOpenDueAt(tx: Tx, teamId: string | null | undefined): Promise<number> {
  let changed = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await tx.appointmentRequest.findMany({
      where: {
        status: { in: ["NEW", "ASSIGNED", "EXPIRED"] },
        ...(teamId === undefined ? {} : { teamId }),
        ...(after ? { id: { gt: after } } : {}),
      },
      orderBy: { id: "asc" },
      take: 5_000,
      select: { id: true, teamId: true, receivedAt: true },
    });
    if (rows.length === 0) return changed;
    changed += await writeDueAt(tx, rows);
    after = rows.at(-1)!.id;
  }
}

async function writeDueAt(
  tx: Tx,
  rows: Array<{ id: string; teamId: string | null; receivedAt: Date }>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const calendars = new Map<string | null, Awaited<ReturnType<typeof workingCalendarFor>>>();
  const earliest = rows.reduce(
    (min, row) => (row.receivedAt < min ? row.receivedAt : min),
    rows[0]!.receivedAt,
  );
  const fromDay = formatIsoDay(localDayOf(earliest));
  const ids: string[] = [];
  const dues: Array<string | null> = [];
  for (const row of rows) {
    let entry = calendars.get(row.teamId);
    if (!entry) {
      entry = await workingCalendarFor(tx, row.teamId, fromDay);
      calendars.set(row.teamId, entry);
    }
    const target = entry.serviceLevel.targetWorkingHours;
    ids.push(row.id);
    dues.push(
      target === null
        ? null
        : addWorkingHours(row.receivedAt, target, entry.calendar).toISOString(),
    );
  }
  // "dueAt" is timestamp without time zone holding UTC, as Prisma writes it.
  return tx.$executeRaw`
    UPDATE "AppointmentRequest" r SET "dueAt" = (t.due AT TIME ZONE 'UTC')
    FROM unnest(${ids}::uuid[], ${dues}::timestamptz[]) AS t(id, due)
    WHERE r."id" = t.id AND r."dueAt" IS DISTINCT FROM (t.due AT TIME ZONE 'UTC')`;
}
