import { Prisma } from "~/generated/prisma/client.ts";
import type { RequestStatus } from "~/generated/prisma/enums.ts";
import { hasPermission } from "~/modules/auth/permissions.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import {
  CLOSED_STATUSES,
  OPEN_STATUSES,
  REQUEST_STATUS_LABELS,
  REQUEST_STATUSES,
} from "../lifecycle.ts";
import { MATCH_STATE_LABELS, type MatchState } from "../match-state.ts";
import type { RequestViewer } from "../scope.server.ts";
import { DEFAULT_SERVICE_LEVEL, workingCalendarFor } from "../sla/sla.server.ts";
import {
  describeSla,
  formatIsoDay,
  localDayOf,
  slaStateAt,
  type SlaState,
  type WorkingCalendar,
} from "../sla/working-hours.ts";
import {
  DONE_VIEW_DAYS,
  WORKLIST_PAGE_SIZE,
  WORKLIST_VIEWS,
  type WorklistFilter,
  type WorklistSort,
  type WorklistView,
} from "./filters.ts";

/**
 * The worklist query: ONE function per screen, already scoped to the viewer (DESIGN.md). Raw SQL
 * because the order is computed — urgent first (appointment within the team's urgentWithinDays),
 * then the chosen sort — and keyset pagination walks that order exactly (docs/decisions/0011).
 */
export type WorklistViewer = RequestViewer;

const { sql, empty, join, raw } = Prisma;

const OPEN: readonly RequestStatus[] = OPEN_STATUSES;
const CLOSED: readonly RequestStatus[] = CLOSED_STATUSES;

const DAY_MS = 86_400_000;

/** A UTC instant as the timestamp-without-time-zone the columns hold. */
function ts(instant: Date): Prisma.Sql {
  return sql`(${instant.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
}

/**
 * Compared as the enum, not as text: a cast on the column would hide it from the
 * (teamId, status, …) and (assigneeId, status, …) indexes and from the planner's statistics.
 * The values are this module's constants, never input.
 */
function statusIn(statuses: readonly RequestStatus[]): Prisma.Sql {
  const known: readonly string[] = REQUEST_STATUSES;
  if (statuses.some((status) => !known.includes(status))) throw new Error("unknown status");
  return sql`r."status" IN (${raw(statuses.map((status) => `'${status}'::"RequestStatus"`).join(", "))})`;
}

/**
 * requestScope (scope.server.ts) in SQL, for the worklist's raw query: the viewer's teams'
 * queues, the unrouted queue for holders of read:request:unrouted (leads, H2), and whatever is
 * assigned to the viewer. worklist.server.test.ts checks both give the same rows.
 */
export function worklistScopeSql(viewer: WorklistViewer): Prisma.Sql {
  if (!hasPermission(viewer.role, "read:request:team")) return sql`FALSE`;
  const unrouted = hasPermission(viewer.role, "read:request:unrouted");
  return sql`(r."teamId" = ANY(${[...viewer.teamIds]}::uuid[]) OR r."assigneeId" = ${viewer.id}::uuid${
    unrouted ? sql` OR r."teamId" IS NULL` : empty
  })`;
}

function viewSql(view: WorklistView, viewer: WorklistViewer, asOf: Date): Prisma.Sql {
  const open = statusIn(OPEN);
  switch (view) {
    case "mine":
      return sql`${open} AND r."assigneeId" = ${viewer.id}::uuid`;
    case "team":
      return open;
    case "unassigned":
      return sql`${open} AND r."assigneeId" IS NULL`;
    case "needs-matching":
      return sql`${open} AND r."matchState" = 'NEEDS_MATCHING'::"RequestMatchState"`;
    case "needs-triage":
      return sql`${open} AND r."matchState" = 'NEEDS_TRIAGE'::"RequestMatchState"`;
    case "overdue":
      return sql`${open} AND r."dueAt" < ${ts(asOf)}`;
    case "done":
      return sql`${statusIn(CLOSED)} AND r."closedAt" >= ${ts(new Date(asOf.getTime() - DONE_VIEW_DAYS * DAY_MS))}`;
  }
}

const APPOINTMENT_AT = sql`COALESCE(r."matchedStart", r."quotedStart")`;

/** UK midnight at the start of an ISO day, as a UTC instant. */
function ukMidnight(isoDay: string): Date {
  // Europe/London is UTC+0 or UTC+1: try both and keep the one whose local day starts at 00:00.
  for (const offsetHours of [0, 1]) {
    const candidate = new Date(Date.parse(`${isoDay}T00:00:00Z`) - offsetHours * 3_600_000);
    if (formatIsoDay(localDayOf(candidate)) === isoDay) {
      const previousMinute = new Date(candidate.getTime() - 60_000);
      if (formatIsoDay(localDayOf(previousMinute)) !== isoDay) return candidate;
    }
  }
  return new Date(`${isoDay}T00:00:00Z`);
}

function nextIsoDay(isoDay: string): string {
  return new Date(Date.parse(`${isoDay}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

function filterSql(filter: WorklistFilter, asOf: Date): Prisma.Sql[] {
  const parts: Prisma.Sql[] = [];
  if (filter.specialty) parts.push(sql`r."matchedSpecialtyCode" = ${filter.specialty}`);
  if (filter.type) parts.push(sql`r."action"::text = ${filter.type}`);
  if (filter.age) {
    parts.push(sql`r."receivedAt" < ${ts(new Date(asOf.getTime() - Number(filter.age) * DAY_MS))}`);
  }
  if (filter.from) parts.push(sql`${APPOINTMENT_AT} >= ${ts(ukMidnight(filter.from))}`);
  if (filter.to) parts.push(sql`${APPOINTMENT_AT} < ${ts(ukMidnight(nextIsoDay(filter.to)))}`);
  if (filter.assignee === "none") parts.push(sql`r."assigneeId" IS NULL`);
  else if (filter.assignee) parts.push(sql`r."assigneeId" = ${filter.assignee}::uuid`);
  if (filter.queue === "unrouted") parts.push(sql`r."teamId" IS NULL`);
  else if (filter.queue) parts.push(sql`r."teamId" = ${filter.queue}::uuid`);
  if (filter.q) {
    const digits = filter.q.replace(/[\s-]/g, "");
    if (/^\d{6,12}$/.test(digits)) {
      parts.push(sql`r."identifierValue" = ${digits}`);
    } else {
      const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      parts.push(sql`r."patientDisplayName" ILIKE ${pattern}`);
    }
  }
  return parts;
}

type EffectiveSort = WorklistSort | "closed";

interface SortSpec {
  urgentFirst: boolean;
  key: Prisma.Sql;
  descending: boolean;
  /** the column is never NULL: sorted and indexed bare */
  notNull?: boolean;
}

const SORT_SPECS: Record<EffectiveSort, SortSpec> = {
  urgent: { urgentFirst: true, key: sql`r."dueAt"`, descending: false },
  due: { urgentFirst: false, key: sql`r."dueAt"`, descending: false },
  newest: { urgentFirst: false, key: sql`r."receivedAt"`, descending: true, notNull: true },
  oldest: { urgentFirst: false, key: sql`r."receivedAt"`, descending: false, notNull: true },
  appointment: { urgentFirst: false, key: APPOINTMENT_AT, descending: false },
  closed: { urgentFirst: false, key: sql`r."closedAt"`, descending: true },
};

export function effectiveSort(filter: WorklistFilter): EffectiveSort {
  if (filter.sort) return filter.sort;
  return filter.view === "done" ? "closed" : "urgent";
}

/** Keyset position: the last row's rank, sort key and id, and the instant the walk began. */
interface Cursor {
  rank: number;
  key: string;
  id: string;
  asOf: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodeCursor(text: string | undefined): Cursor | null {
  if (!text) return null;
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Partial<Cursor>;
    if (
      (value.rank === 0 || value.rank === 1) &&
      typeof value.key === "string" &&
      /^(-?infinity|\d{4}-\d{2}-\d{2} [\d:.]+)$/.test(value.key) &&
      typeof value.id === "string" &&
      /^[0-9a-f-]{36}$/.test(value.id) &&
      typeof value.asOf === "string" &&
      !Number.isNaN(Date.parse(value.asOf))
    ) {
      return value as Cursor;
    }
  } catch {
    // an unreadable cursor starts from the top
  }
  return null;
}

interface WorklistRowRaw {
  id: string;
  receivedAt: Date;
  action: "CANCEL" | "CHANGE";
  matchState: MatchState;
  status: RequestStatus;
  teamId: string | null;
  teamName: string | null;
  assigneeId: string | null;
  assigneeName: string | null;
  dueAt: Date | null;
  closedAt: Date | null;
  appointmentAt: Date | null;
  quotedWallTime: string | null;
  matchedSpecialtyCode: string | null;
  matchedSpecialtyDisplay: string | null;
  matchedLocation: string | null;
  patientDisplayName: string | null;
  identifierValue: string | null;
  rank: number;
  sortKey: string;
}

type Db = Prisma.TransactionClient;

/** A team with no TeamServiceLevel row, and the unrouted queue, use this (sla.server.ts). */
const DEFAULT_URGENT_WITHIN_DAYS = DEFAULT_SERVICE_LEVEL.urgentWithinDays;

/**
 * One queue of the viewer's scope: a team's, the unrouted one, or "assigned to me elsewhere".
 * urgentWithinDays is the queue's own (one team), or null when it varies by row.
 */
interface Queue {
  where: Prisma.Sql;
  urgentWithinDays: number | null;
}

/**
 * The viewer's scope (worklistScopeSql) as disjoint queues, so each can be read by its own index
 * range scan: every team of the viewer, the unrouted queue for leads, and whatever is assigned
 * to the viewer in none of those (a request moved to another team).
 */
function queuesOf(viewer: WorklistViewer, urgentDays: ReadonlyMap<string, number>): Queue[] {
  if (!hasPermission(viewer.role, "read:request:team")) return [];
  const unrouted = hasPermission(viewer.role, "read:request:unrouted");
  const teams = [...viewer.teamIds];
  const queues: Queue[] = teams.map((teamId) => ({
    where: sql`r."teamId" = ${teamId}::uuid`,
    urgentWithinDays: urgentDays.get(teamId) ?? DEFAULT_URGENT_WITHIN_DAYS,
  }));
  if (unrouted) {
    queues.push({ where: sql`r."teamId" IS NULL`, urgentWithinDays: DEFAULT_URGENT_WITHIN_DAYS });
  }
  const covered = unrouted
    ? sql`(r."teamId" IS NULL OR r."teamId" = ANY(${teams}::uuid[]))`
    : sql`(r."teamId" IS NOT NULL AND r."teamId" = ANY(${teams}::uuid[]))`;
  if (!unrouted) {
    // assigned to the viewer while unrouted: the unrouted queue's urgency window
    queues.push({
      where: sql`r."assigneeId" = ${viewer.id}::uuid AND r."teamId" IS NULL`,
      urgentWithinDays: DEFAULT_URGENT_WITHIN_DAYS,
    });
  }
  queues.push({
    where: sql`r."assigneeId" = ${viewer.id}::uuid AND r."teamId" IS NOT NULL AND NOT ${covered}`,
    urgentWithinDays: null,
  });
  return queues;
}

/** The urgency window of each of the viewer's teams (one small read per page). */
async function urgentDaysOf(db: Db, viewer: WorklistViewer): Promise<Map<string, number>> {
  if (viewer.teamIds.length === 0) return new Map();
  const levels = await db.teamServiceLevel.findMany({
    where: { teamId: { in: [...viewer.teamIds] } },
    select: { teamId: true, urgentWithinDays: true },
  });
  return new Map(levels.map((level) => [level.teamId, level.urgentWithinDays]));
}

/**
 * The sort key exactly as the worklist indexes hold it (migration 20261123190000): NULLs as
 * ±infinity so they sort last either way; receivedAt is never NULL and is indexed bare.
 */
function sortKeyOf(spec: SortSpec): Prisma.Sql {
  if (spec.notNull) return spec.key;
  return sql`COALESCE(${spec.key}, ${spec.descending ? sql`'-infinity'` : sql`'infinity'`}::timestamp)`;
}

const APPOINTMENT_KEY = sql`COALESCE(${APPOINTMENT_AT}, 'infinity'::timestamp)`;

/**
 * The page query: per queue (and, urgent first, per urgent / not urgent — a range on the
 * appointment time, since a queue has one urgency window), the first `limit` rows after the
 * cursor in order, each an index range scan on a partial index of open requests that stops after
 * `limit` rows; then those few rows merged and cut to `limit`. Same rows and order as one query
 * over the whole scope (worklist.server.test.ts walks every sort by keyset).
 */
function ordered(
  filter: WorklistFilter,
  viewer: WorklistViewer,
  asOf: Date,
  cursor: Cursor | null,
  limit: number,
  urgentDays: ReadonlyMap<string, number>,
) {
  const view = filter.view ?? "team";
  const spec = SORT_SPECS[effectiveSort(filter)];
  const key = sortKeyOf(spec);
  const direction = spec.descending ? sql`DESC` : sql`ASC`;
  const beyond = spec.descending ? sql`<` : sql`>`;
  const common = [viewSql(view, viewer, asOf), ...filterSql(filter, asOf)];
  const after = cursor
    ? sql`(${key}, r."id") ${beyond} (${cursor.key}::timestamp, ${cursor.id}::uuid)`
    : null;

  const branch = (
    where: Prisma.Sql[],
    rank: Prisma.Sql,
    joinLevel: boolean,
    byRank: boolean,
  ) => sql`
    (SELECT r."id", ${rank}::int AS "rank", ${key} AS "sortAt"
      FROM "AppointmentRequest" r${
        joinLevel ? sql` LEFT JOIN "TeamServiceLevel" sl ON sl."teamId" = r."teamId"` : empty
      }
      WHERE ${join(where, " AND ")}
      ORDER BY ${byRank ? sql`"rank" ASC, ` : empty}${key} ${direction}, r."id" ${direction}
      LIMIT ${limit})`;

  const branches: Prisma.Sql[] = [];
  for (const queue of queuesOf(viewer, urgentDays)) {
    const where = [queue.where, ...common];
    if (!spec.urgentFirst) {
      branches.push(branch(after ? [...where, after] : where, sql`0`, false, false));
    } else if (queue.urgentWithinDays === null) {
      const rank = sql`(CASE WHEN ${APPOINTMENT_AT} < ${ts(asOf)} + make_interval(days => COALESCE(sl."urgentWithinDays", ${DEFAULT_URGENT_WITHIN_DAYS})) THEN 0 ELSE 1 END)`;
      const position = cursor
        ? [sql`(${rank} > ${cursor.rank} OR (${rank} = ${cursor.rank} AND ${after!}))`]
        : [];
      branches.push(branch([...where, ...position], rank, true, true));
    } else {
      const urgentBefore = ts(new Date(asOf.getTime() + queue.urgentWithinDays * DAY_MS));
      // rank 0: appointment before the window ends; a cursor already past them skips them
      if (!cursor || cursor.rank === 0) {
        const urgent = [...where, sql`${APPOINTMENT_KEY} < ${urgentBefore}`];
        branches.push(branch(after ? [...urgent, after] : urgent, sql`0`, false, false));
      }
      // Written unlike the appointment index's expression on purpose: the not-urgent rows are
      // most of a queue, best read in sort order from the sort key's index and filtered.
      const later = [
        ...where,
        sql`(${APPOINTMENT_AT} >= ${urgentBefore} OR ${APPOINTMENT_AT} IS NULL)`,
      ];
      branches.push(
        branch(after && cursor?.rank === 1 ? [...later, after] : later, sql`1`, false, false),
      );
    }
  }
  if (branches.length === 0) branches.push(branch([sql`FALSE`], sql`0`, false, false));

  return sql`
    SELECT r."id", r."receivedAt", r."action"::text AS "action", r."matchState"::text AS "matchState",
      r."status"::text AS "status", r."teamId", t."name" AS "teamName", r."assigneeId",
      u."displayName" AS "assigneeName", r."dueAt", r."closedAt", ${APPOINTMENT_AT} AS "appointmentAt",
      r."quotedWallTime", r."matchedSpecialtyCode", r."matchedSpecialtyDisplay", r."matchedLocation",
      r."patientDisplayName", r."identifierValue", b."rank", b."sortAt"::text AS "sortKey"
    FROM (
      SELECT * FROM (${join(branches, " UNION ALL ")}) b
      ORDER BY b."rank" ASC, b."sortAt" ${direction}, b."id" ${direction}
      LIMIT ${limit}
    ) b
    JOIN "AppointmentRequest" r ON r."id" = b."id"
    LEFT JOIN "Team" t ON t."id" = r."teamId"
    LEFT JOIN "User" u ON u."id" = r."assigneeId"
    ORDER BY b."rank" ASC, b."sortAt" ${direction}, b."id" ${direction}`;
}

/** SLA words for a row: open rows against now, closed rows against their deadline. */
function slaFor(row: WorklistRowRaw, asOf: Date, calendar: WorkingCalendar | undefined) {
  let state: SlaState;
  let closedOnTime: boolean | null = null;
  if (CLOSED.includes(row.status)) {
    closedOnTime = row.dueAt && row.closedAt ? row.closedAt <= row.dueAt : null;
    state = { kind: "met" };
  } else {
    state = calendar ? slaStateAt(row.dueAt, asOf, calendar) : { kind: "none" };
  }
  const text =
    closedOnTime === null
      ? describeSla(state)
      : closedOnTime
        ? "Closed within target"
        : "Closed after target";
  const tone =
    state.kind === "overdue" || closedOnTime === false
      ? ("overdue" as const)
      : state.kind === "due" && state.soon
        ? ("soon" as const)
        : ("ok" as const);
  return { text, tone };
}

async function calendarsFor(db: Db, rows: WorklistRowRaw[], asOf: Date) {
  const calendars = new Map<string | null, WorkingCalendar>();
  const earliest = rows.reduce(
    (min, row) => (row.dueAt && row.dueAt < min ? row.dueAt : min),
    asOf,
  );
  const fromDay = formatIsoDay(localDayOf(earliest));
  for (const teamId of new Set(rows.map((row) => row.teamId))) {
    calendars.set(teamId, (await workingCalendarFor(db, teamId, fromDay)).calendar);
  }
  return calendars;
}

function present(row: WorklistRowRaw, asOf: Date, calendar: WorkingCalendar | undefined) {
  return {
    id: row.id,
    received: formatUkDateTime(row.receivedAt),
    receivedAt: row.receivedAt.toISOString(),
    action: row.action === "CANCEL" ? "Cancel" : "Change",
    patient: row.patientDisplayName ?? "Name not available",
    appointment: row.appointmentAt ? formatUkDateTime(row.appointmentAt) : "Not readable",
    appointmentAt: row.appointmentAt?.toISOString() ?? null,
    specialty: row.matchedSpecialtyDisplay ?? "",
    specialtyCode: row.matchedSpecialtyCode ?? "",
    location: row.matchedLocation ?? "",
    matchState: MATCH_STATE_LABELS[row.matchState],
    status: REQUEST_STATUS_LABELS[row.status],
    queue: row.teamId ? (row.teamName ?? "") : "Unrouted",
    assignee: row.assigneeName,
    urgent: row.rank === 0 && !CLOSED.includes(row.status),
    dueAt: row.dueAt?.toISOString() ?? null,
    sla: slaFor(row, asOf, calendar),
  };
}
export type WorklistRow = ReturnType<typeof present>;

export type WorklistCounts = Record<WorklistView, number>;

/** How many requests each view holds for this viewer (filters aside: these are queue sizes). */
export async function worklistCounts(
  db: Db,
  viewer: WorklistViewer,
  asOf: Date,
): Promise<WorklistCounts> {
  const query = worklistCountsSql(viewer, asOf);
  const [row] = query ? await db.$queryRaw<Array<Record<WorklistView, number>>>(query) : [];
  return Object.fromEntries(
    WORKLIST_VIEWS.map((view) => [view, Number(row?.[view] ?? 0)]),
  ) as WorklistCounts;
}

/** The counts query (exported for the benchmark's EXPLAIN); null when the viewer sees nothing. */
export function worklistCountsSql(viewer: WorklistViewer, asOf: Date): Prisma.Sql | null {
  const queues = queuesOf(viewer, new Map());
  if (queues.length === 0) return null;
  const open = statusIn(OPEN);
  const doneSince = ts(new Date(asOf.getTime() - DONE_VIEW_DAYS * DAY_MS));
  // Per queue, so each part is an index-only scan of the narrow AppointmentRequest_wl_counts (open)
  // or a range of AppointmentRequest_wl_team_closed (done), never a pass over the whole table.
  const openRows = queues.map(
    (queue) => sql`SELECT r."assigneeId", r."matchState", r."dueAt" FROM "AppointmentRequest" r
      WHERE ${open} AND ${queue.where}`,
  );
  const doneRows = queues.map(
    (queue) => sql`SELECT 1 FROM "AppointmentRequest" r
      WHERE ${statusIn(CLOSED)} AND ${queue.where}
        AND COALESCE(r."closedAt", '-infinity'::timestamp) >= ${doneSince}`,
  );
  return sql`
    SELECT
      count(*) FILTER (WHERE o."assigneeId" = ${viewer.id}::uuid)::int AS "mine",
      count(*)::int AS "team",
      count(*) FILTER (WHERE o."assigneeId" IS NULL)::int AS "unassigned",
      count(*) FILTER (WHERE o."matchState" = 'NEEDS_MATCHING')::int AS "needs-matching",
      count(*) FILTER (WHERE o."matchState" = 'NEEDS_TRIAGE')::int AS "needs-triage",
      count(*) FILTER (WHERE o."dueAt" < ${ts(asOf)})::int AS "overdue",
      (SELECT count(*) FROM (${join(doneRows, " UNION ALL ")}) d)::int AS "done"
    FROM (${join(openRows, " UNION ALL ")}) o`;
}

/**
 * The specialties in a scope's open requests change slowly, and finding them scans the whole
 * queue: kept per scope for a minute so the worklist loader does not pay that scan on every page.
 */
const SPECIALTY_CACHE_MS = 60_000;
const specialtyCache = new Map<
  string,
  { at: number; rows: Array<{ code: string; display: string | null }> }
>();

async function specialtiesInScope(db: Db, viewer: WorklistViewer) {
  const key = `${viewer.role}|${viewer.id}|${[...viewer.teamIds].sort().join(",")}`;
  const cached = specialtyCache.get(key);
  const at = Date.now();
  if (cached && at - cached.at < SPECIALTY_CACHE_MS) return cached.rows;
  const rows = await db.$queryRaw<Array<{ code: string; display: string | null }>>`
    SELECT DISTINCT r."matchedSpecialtyCode" AS "code", r."matchedSpecialtyDisplay" AS "display"
    FROM "AppointmentRequest" r
    WHERE ${worklistScopeSql(viewer)} AND ${statusIn(OPEN)}
      AND r."matchedSpecialtyCode" IS NOT NULL
    ORDER BY 2, 1
    LIMIT 300`;
  if (specialtyCache.size > 1_000) specialtyCache.clear();
  specialtyCache.set(key, { at, rows });
  return rows;
}

/** The choices the filter form offers: only what this viewer could see. */
async function filterOptions(db: Db, viewer: WorklistViewer) {
  const specialties = await specialtiesInScope(db, viewer);
  const teams = await db.team.findMany({
    where: { id: { in: [...viewer.teamIds] } },
    orderBy: { name: "asc" },
    select: { id: true, name: true },
  });
  const people = await db.user.findMany({
    where: { disabledAt: null, memberships: { some: { teamId: { in: [...viewer.teamIds] } } } },
    orderBy: { displayName: "asc" },
    select: { id: true, displayName: true },
  });
  return {
    specialties: specialties.map((s) => ({ value: s.code, label: s.display ?? s.code })),
    queues: [
      ...teams.map((team) => ({ value: team.id, label: team.name })),
      ...(hasPermission(viewer.role, "read:request:unrouted")
        ? [{ value: "unrouted", label: "Unrouted" }]
        : []),
    ],
    people: people.map((person) => ({ value: person.id, label: person.displayName })),
  };
}

/**
 * One page of the worklist for this viewer: rows in order, the counts of every view, the filter
 * choices and the cursor of the next page.
 */
export async function worklistPage(viewer: WorklistViewer, filter: WorklistFilter) {
  const db = await prisma();
  const cursor = decodeCursor(filter.after);
  const asOf = cursor ? new Date(cursor.asOf) : now();
  // Independent reads: on PostgreSQL they overlap on the pool's connections (PGlite runs them
  // one after another anyway).
  const pageRows = async () => {
    const urgentDays = await urgentDaysOf(db, viewer);
    const raw = await db.$queryRaw<WorklistRowRaw[]>(
      ordered(filter, viewer, asOf, cursor, WORKLIST_PAGE_SIZE + 1, urgentDays),
    );
    const page = raw.slice(0, WORKLIST_PAGE_SIZE);
    return { raw, page, calendars: await calendarsFor(db, page, asOf) };
  };
  const [{ raw, page, calendars }, counts, options] = await Promise.all([
    pageRows(),
    worklistCounts(db, viewer, asOf),
    filterOptions(db, viewer),
  ]);
  const last = page.at(-1);
  return {
    rows: page.map((row) => present(row, asOf, calendars.get(row.teamId))),
    counts,
    options,
    sort: effectiveSort(filter),
    nextCursor:
      raw.length > WORKLIST_PAGE_SIZE && last
        ? encodeCursor({
            rank: last.rank,
            key: last.sortKey,
            id: last.id,
            asOf: asOf.toISOString(),
          })
        : null,
  };
}

/** Every row of the view with its filters (for the CSV export), in pages, same scope and order. */
export async function* worklistRows(
  viewer: WorklistViewer,
  filter: WorklistFilter,
  batchSize = 1_000,
): AsyncGenerator<WorklistRow & { identifier: string | null }> {
  const db = await prisma();
  const asOf = now();
  const urgentDays = await urgentDaysOf(db, viewer);
  let cursor: Cursor | null = null;
  for (;;) {
    const raw: WorklistRowRaw[] = await db.$queryRaw<WorklistRowRaw[]>(
      ordered(filter, viewer, asOf, cursor, batchSize, urgentDays),
    );
    if (raw.length === 0) return;
    const calendars = await calendarsFor(db, raw, asOf);
    for (const row of raw) {
      yield { ...present(row, asOf, calendars.get(row.teamId)), identifier: row.identifierValue };
    }
    if (raw.length < batchSize) return;
    const last = raw.at(-1)!;
    cursor = { rank: last.rank, key: last.sortKey, id: last.id, asOf: asOf.toISOString() };
  }
}

/** For the benchmark: the SQL of a page, to EXPLAIN. */
export async function worklistPageSql(
  db: Db,
  viewer: WorklistViewer,
  filter: WorklistFilter,
  asOf: Date,
) {
  const urgentDays = await urgentDaysOf(db, viewer);
  return ordered(
    filter,
    viewer,
    asOf,
    decodeCursor(filter.after),
    WORKLIST_PAGE_SIZE + 1,
    urgentDays,
  );
}
