import { Prisma } from "~/generated/prisma/client.ts";
import { prisma } from "~/platform/db.server.ts";
import { bucketLabel, bucketStarts, type Granularity, type ReportFilter } from "./report-filter.ts";

/**
 * The request reports (issue 8, item 7): one function per report, each returning exactly the rows
 * its chart, its table and its CSV show. Definitions are in docs/decisions/0012-request-reports.md.
 *
 * Common to all: a request belongs to the range when it was **received** within it, between UK
 * midnight at the start of `from` and UK midnight at the end of `to`. Times are stored in UTC
 * (`timestamp` columns holding UTC) and turned into UK wall time in SQL
 * (`AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/London'`), so a request at 23:30 UTC on a summer
 * evening counts on the next UK day, and the clock changes move bucket boundaries with them.
 *
 * Scope: every role holding `read:report` sees every team's numbers. These are counts and
 * durations, never a patient's name, identifier or message (ADR 0012).
 */

/** The UTC bounds of a UK date range, as SQL: [start of `from`, start of the day after `to`). */
function receivedIn(filter: Pick<ReportFilter, "from" | "to">): Prisma.Sql {
  return Prisma.sql`"receivedAt" >= ((${filter.from}::date)::timestamp AT TIME ZONE 'Europe/London') AT TIME ZONE 'UTC'
    AND "receivedAt" < ((${filter.to}::date + 1)::timestamp AT TIME ZONE 'Europe/London') AT TIME ZONE 'UTC'`;
}

/**
 * Volume and unmatched share read RequestDailyVolume: requests per UK day (the day of receivedAt
 * in Europe/London, worked out by the trigger that keeps it — see the migration), specialty,
 * action and match on receipt. UK weeks and months are whole UK days, so summing days gives
 * exactly the buckets a scan of the requests would, at a cost that does not grow with volume.
 */
function rollupDays(filter: Pick<ReportFilter, "from" | "to">): Prisma.Sql {
  return Prisma.sql`"day" >= ${filter.from}::date AND "day" <= ${filter.to}::date`;
}

/** The bucket (its first UK day, YYYY-MM-DD) of a rollup day; ISO weeks start on Monday. */
function rollupBucket(granularity: Granularity): Prisma.Sql {
  return Prisma.sql`to_char(date_trunc(${granularity}, "day"::timestamp), 'YYYY-MM-DD')`;
}

/** The value the specialty control sends for requests with no matched appointment. */
export const NO_SPECIALTY = "none";
export const NO_SPECIALTY_LABEL = "No specialty (not matched)";

export interface VolumeRow {
  /** first UK day of the bucket, YYYY-MM-DD */
  bucket: string;
  label: string;
  cancel: number;
  change: number;
  total: number;
}

/**
 * (a) Request volume over time: requests received per UK day, ISO week (Monday start) or month,
 * split cancel vs change, for all specialties or one (`specialty`: a code, or NO_SPECIALTY for
 * requests not matched to an appointment). Every bucket that meets the range is listed, empty
 * ones as zero; the first and last buckets count only the days inside the range.
 */
export async function requestVolume(
  filter: ReportFilter,
  specialty: string | null = null,
): Promise<VolumeRow[]> {
  const db = await prisma();
  const rows = await db.$queryRaw<Array<{ bucket: string; cancel: number; change: number }>>(
    requestVolumeSql(filter, specialty),
  );
  const found = new Map(rows.map((row) => [row.bucket, row]));
  return bucketStarts(filter).map((bucket) => {
    const row = found.get(bucket);
    const cancel = row?.cancel ?? 0;
    const change = row?.change ?? 0;
    return {
      bucket,
      label: bucketLabel(bucket, filter.granularity),
      cancel,
      change,
      total: cancel + change,
    };
  });
}

/** The SQL behind requestVolume (exported for the benchmark's EXPLAIN). */
export function requestVolumeSql(filter: ReportFilter, specialty: string | null): Prisma.Sql {
  const bySpecialty =
    specialty === null
      ? Prisma.empty
      : Prisma.sql`AND "specialtyCode" = ${specialty === NO_SPECIALTY ? "" : specialty}`;
  return Prisma.sql`
    SELECT ${rollupBucket(filter.granularity)} AS bucket,
           coalesce(sum("requests") FILTER (WHERE "action" = 'CANCEL'), 0)::int AS cancel,
           coalesce(sum("requests") FILTER (WHERE "action" = 'CHANGE'), 0)::int AS change
      FROM "RequestDailyVolume"
     WHERE ${rollupDays(filter)} ${bySpecialty}
     GROUP BY 1`;
}

export interface SpecialtyVolumeRow {
  /** the specialty code, or NO_SPECIALTY */
  specialty: string;
  label: string;
  cancel: number;
  change: number;
  total: number;
}

/**
 * (a′) Request volume per specialty over the whole range, cancel vs change, busiest first
 * (ties by name). Requests with no matched appointment are one row, "No specialty (not matched)".
 */
export async function volumeBySpecialty(
  filter: Pick<ReportFilter, "from" | "to">,
): Promise<SpecialtyVolumeRow[]> {
  const db = await prisma();
  const rows = await db.$queryRaw<
    Array<{ code: string | null; display: string | null; cancel: number; change: number }>
  >(volumeBySpecialtySql(filter));
  return rows
    .map((row) => ({
      specialty: row.code ?? NO_SPECIALTY,
      label: row.code === null ? NO_SPECIALTY_LABEL : `${row.display ?? "Specialty"} (${row.code})`,
      cancel: row.cancel,
      change: row.change,
      total: row.cancel + row.change,
    }))
    .sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
}

/** The SQL behind volumeBySpecialty (exported for the benchmark's EXPLAIN). */
export function volumeBySpecialtySql(filter: Pick<ReportFilter, "from" | "to">): Prisma.Sql {
  return Prisma.sql`
    SELECT nullif("specialtyCode", '') AS code,
           nullif(max("specialtyDisplay") FILTER (WHERE "requests" > 0), '') AS display,
           coalesce(sum("requests") FILTER (WHERE "action" = 'CANCEL'), 0)::int AS cancel,
           coalesce(sum("requests") FILTER (WHERE "action" = 'CHANGE'), 0)::int AS change
      FROM "RequestDailyVolume"
     WHERE ${rollupDays(filter)}
     GROUP BY "specialtyCode"
    HAVING sum("requests") > 0`;
}

export const UNROUTED_TEAM_LABEL = "Unrouted queue";

export interface TimeToActionRow {
  teamId: string | null;
  team: string;
  /** requests received in the range and marked actioned */
  actioned: number;
  /** hours, wall clock, 1 decimal place; null when nothing was actioned */
  p50Hours: number | null;
  p90Hours: number | null;
}

/**
 * (b) Time to action per team: for requests received in the range that are now ACTIONED, the
 * wall-clock hours from receivedAt to closedAt (nights, weekends and bank holidays included —
 * the SLA report is the working-hours view). p50 and p90 are continuous percentiles
 * (percentile_cont: linear between the two nearest values). Teams with no actioned request in the
 * range are not listed; requests in no team's queue are the "Unrouted queue" row.
 */
export async function timeToAction(
  filter: Pick<ReportFilter, "from" | "to">,
): Promise<TimeToActionRow[]> {
  const db = await prisma();
  const rows = await db.$queryRaw<
    Array<{
      teamId: string | null;
      team: string | null;
      actioned: number;
      p50: number | null;
      p90: number | null;
    }>
  >`
    SELECT r."teamId" AS "teamId", t.name AS team, count(*)::int AS actioned,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r."closedAt" - r."receivedAt"))::float8 / 3600 AS p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM r."closedAt" - r."receivedAt"))::float8 / 3600 AS p90
      FROM "AppointmentRequest" r
      LEFT JOIN "Team" t ON t.id = r."teamId"
     WHERE ${receivedIn(filter)} AND r.status = 'ACTIONED' AND r."closedAt" IS NOT NULL
     GROUP BY r."teamId", t.name`;
  return rows
    .map((row) => ({
      teamId: row.teamId,
      team: row.team ?? UNROUTED_TEAM_LABEL,
      actioned: row.actioned,
      p50Hours: roundTo(row.p50, 1),
      p90Hours: roundTo(row.p90, 1),
    }))
    .sort(byTeamName);
}

export interface SlaRow {
  teamId: string | null;
  team: string;
  /** closed (actioned, rejected or resolved in PAS) at or before the deadline */
  met: number;
  /** closed after the deadline, or still open with the deadline passed */
  missed: number;
  /** still open, deadline not yet reached: not counted in the percentage */
  pending: number;
  /** met / (met + missed), 1 decimal place; null when nothing is decided yet */
  metPercent: number | null;
}

/**
 * (c) SLA met per team: among requests received in the range that have a deadline (dueAt, set in
 * working hours from the team's target), the share closed at or before it. A request still open
 * past its deadline (including EXPIRED ones) has missed it; one still open before its deadline is
 * pending and left out of the percentage. `asOf` is the moment "deadline passed" is judged at.
 */
export async function slaMet(
  filter: Pick<ReportFilter, "from" | "to">,
  asOf: Date,
): Promise<SlaRow[]> {
  const db = await prisma();
  const at = asOf.toISOString();
  const rows = await db.$queryRaw<
    Array<{
      teamId: string | null;
      team: string | null;
      met: number;
      missed: number;
      pending: number;
    }>
  >`
    SELECT r."teamId" AS "teamId", t.name AS team,
           count(*) FILTER (WHERE r."closedAt" IS NOT NULL AND r."closedAt" <= r."dueAt")::int AS met,
           count(*) FILTER (WHERE (r."closedAt" IS NOT NULL AND r."closedAt" > r."dueAt")
                               OR (r."closedAt" IS NULL AND r."dueAt" < (${at}::timestamptz AT TIME ZONE 'UTC')))::int AS missed,
           count(*) FILTER (WHERE r."closedAt" IS NULL AND r."dueAt" >= (${at}::timestamptz AT TIME ZONE 'UTC'))::int AS pending
      FROM "AppointmentRequest" r
      LEFT JOIN "Team" t ON t.id = r."teamId"
     WHERE ${receivedIn(filter)} AND r."dueAt" IS NOT NULL
     GROUP BY r."teamId", t.name`;
  return rows
    .map((row) => ({
      teamId: row.teamId,
      team: row.team ?? UNROUTED_TEAM_LABEL,
      met: row.met,
      missed: row.missed,
      pending: row.pending,
      metPercent: percent(row.met, row.met + row.missed),
    }))
    .sort(byTeamName);
}

export interface UnmatchedRow {
  bucket: string;
  label: string;
  received: number;
  /** the portal could not place it on receipt: NEEDS_MATCHING or NEEDS_TRIAGE, or since matched by staff */
  unmatched: number;
  /** unmatched / received, 1 decimal place; null for an empty bucket */
  unmatchedPercent: number | null;
}

/**
 * (d) Unmatched on receipt, per bucket and over the whole range (the last row, bucket "total"):
 * the share of requests the matcher could not place by itself. A request is unmatched on receipt
 * when it is NEEDS_MATCHING or NEEDS_TRIAGE now, or MATCHED_BY_STAFF (a person placed it later,
 * which only happens from those two states — match-state.ts).
 */
export async function unmatchedShare(filter: ReportFilter): Promise<UnmatchedRow[]> {
  const db = await prisma();
  const rows = await db.$queryRaw<Array<{ bucket: string; received: number; unmatched: number }>>`
    SELECT ${rollupBucket(filter.granularity)} AS bucket,
           sum("requests")::int AS received,
           coalesce(sum("requests") FILTER (WHERE "unmatchedOnReceipt"), 0)::int AS unmatched
      FROM "RequestDailyVolume"
     WHERE ${rollupDays(filter)}
     GROUP BY 1`;
  const found = new Map(rows.map((row) => [row.bucket, row]));
  const buckets = bucketStarts(filter).map((bucket) => {
    const received = found.get(bucket)?.received ?? 0;
    const unmatched = found.get(bucket)?.unmatched ?? 0;
    return {
      bucket,
      label: bucketLabel(bucket, filter.granularity),
      received,
      unmatched,
      unmatchedPercent: percent(unmatched, received),
    };
  });
  const received = buckets.reduce((sum, row) => sum + row.received, 0);
  const unmatched = buckets.reduce((sum, row) => sum + row.unmatched, 0);
  return [
    ...buckets,
    {
      bucket: "total",
      label: "Whole range",
      received,
      unmatched,
      unmatchedPercent: percent(unmatched, received),
    },
  ];
}

function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : roundTo((100 * part) / whole, 1);
}

function roundTo(value: number | null, places: number): number | null {
  if (value === null) return null;
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

function byTeamName(
  a: { teamId: string | null; team: string },
  b: { teamId: string | null; team: string },
) {
  // the unrouted queue last, teams by name
  if ((a.teamId === null) !== (b.teamId === null)) return a.teamId === null ? 1 : -1;
  return a.team.localeCompare(b.team);
}
