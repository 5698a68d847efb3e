/**
 * Request reports benchmark (quality.md P7: the specialty-volume report over 1M requests,
 * p95 ≤ 300 ms).
 *
 * Seeds 1M appointment requests with bulk SQL (generate_series; ~2 years of receipts, 30
 * specialties with a skewed mix, 8% not matched), then times what the /reports page's loader
 * asks for — the volume over time (all specialties) and the volume per specialty — over 90 days,
 * 1 year and the full 2 years, in day, week and month buckets: median and p95 of RUNS runs after
 * warm-up, plus EXPLAIN (ANALYZE) of each query. Runs on embedded PGlite (on disk) and on
 * PostgreSQL (a throwaway database created on BENCH_POSTGRES_URL's server and dropped after).
 *
 *     npm run bench:request-reports                       # both backends, 1M requests
 *     REQUESTS=100000 npm run bench:request-reports       # smaller
 *     BACKENDS=pglite npm run bench:request-reports       # one backend
 *
 * Daily buckets over more than a year are refused by the page (report-filter.ts) but timed here
 * anyway, as the worst case. Writes bench/results/request-reports-<backend>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { Prisma } from "../app/generated/prisma/client.ts";
import type { Granularity, ReportFilter } from "../app/modules/reports/report-filter.ts";
import {
  requestVolume,
  requestVolumeSql,
  volumeBySpecialty,
  volumeBySpecialtySql,
} from "../app/modules/reports/reports.server.ts";
import { openDatabase, setDatabase, type Database } from "../app/platform/db.server.ts";

process.env.LOG_LEVEL ??= "silent";
const REQUESTS = Number(process.env.REQUESTS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 20);
const WARMUP = 3;
const GOAL_P95_MS = 300;
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const BACKENDS = (process.env.BACKENDS ?? "pglite,postgres").split(",");

/** The seeded span: 730 UK days ending on LAST_DAY. */
const FIRST_DAY = "2024-11-24";
const LAST_DAY = "2026-11-23";
const RANGES: Array<{ name: string; from: string; to: string }> = [
  { name: "90 days", from: "2026-08-26", to: LAST_DAY },
  { name: "1 year", from: "2025-11-24", to: LAST_DAY },
  { name: "full (2 years)", from: FIRST_DAY, to: LAST_DAY },
];
const GRANULARITIES: Granularity[] = ["day", "week", "month"];

/**
 * MODE=baseline times the first version of the two queries, straight off AppointmentRequest
 * (kept here as the "before" of ADR 0012); the default times the app's own report functions.
 */
const MODE = process.env.MODE === "baseline" ? "baseline" : "app";

function baselineReceivedIn(filter: ReportFilter): Prisma.Sql {
  return Prisma.sql`"receivedAt" >= ((${filter.from}::date)::timestamp AT TIME ZONE 'Europe/London') AT TIME ZONE 'UTC'
    AND "receivedAt" < ((${filter.to}::date + 1)::timestamp AT TIME ZONE 'Europe/London') AT TIME ZONE 'UTC'`;
}
const baseline = {
  overTime: (filter: ReportFilter, specialty: string | null) => Prisma.sql`
    SELECT to_char(date_trunc(${filter.granularity}, ("receivedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London'), 'YYYY-MM-DD') AS bucket,
           count(*) FILTER (WHERE action = 'CANCEL')::int AS cancel,
           count(*) FILTER (WHERE action = 'CHANGE')::int AS change
      FROM "AppointmentRequest"
     WHERE ${baselineReceivedIn(filter)} ${specialty ? Prisma.sql`AND "matchedSpecialtyCode" = ${specialty}` : Prisma.empty}
     GROUP BY 1`,
  bySpecialty: (filter: ReportFilter) => Prisma.sql`
    SELECT "matchedSpecialtyCode" AS code, max("matchedSpecialtyDisplay") AS display,
           count(*) FILTER (WHERE action = 'CANCEL')::int AS cancel,
           count(*) FILTER (WHERE action = 'CHANGE')::int AS change
      FROM "AppointmentRequest"
     WHERE ${baselineReceivedIn(filter)}
     GROUP BY 1`,
};

const round = (n: number) => Math.round(n * 10) / 10;

async function seed(database: Database) {
  const started = performance.now();
  await database.prisma.$executeRawUnsafe(`SELECT setseed(0.2026)`);
  const chunk = 100_000;
  for (let offset = 0; offset < REQUESTS; offset += chunk) {
    const last = Math.min(REQUESTS, offset + chunk);
    // One random draw per property per row (x.r1 … x.r4), so a row's values agree with each other.
    await database.prisma.$executeRawUnsafe(`
      INSERT INTO "AppointmentRequest" (
        "id", "grantId", "pkbMessageId", "patientPublicId", "action", "rawSubject", "patientNote",
        "receivedAt", "matchState", "matchConfidence", "matchReason",
        "matchedSpecialtyCode", "matchedSpecialtyDisplay", "status", "updatedAt")
      SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'msg-' || x.g, 'patient-' || (x.g % 250000),
             (CASE WHEN x.r1 < 0.6 THEN 'CANCEL' ELSE 'CHANGE' END)::"AppointmentRequestAction",
             'Request to change appointment', '',
             timestamp '${FIRST_DAY} 00:00' + x.r2 * interval '730 days',
             (CASE WHEN x.r3 < 0.05 THEN 'NEEDS_MATCHING' WHEN x.r3 < 0.08 THEN 'NEEDS_TRIAGE' ELSE 'MATCHED' END)::"RequestMatchState",
             CASE WHEN x.r3 < 0.08 THEN 0 ELSE 0.95 END, 'bench',
             CASE WHEN x.r3 < 0.08 THEN NULL ELSE (100 + 10 * floor(30 * power(x.r4, 1.7)))::int::text END,
             CASE WHEN x.r3 < 0.08 THEN NULL ELSE 'Specialty ' || (100 + 10 * floor(30 * power(x.r4, 1.7)))::int END,
             'NEW'::"RequestStatus", now()
        FROM (SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4
                FROM generate_series(${offset + 1}, ${last}) AS g) AS x`);
  }
  // Steady state: PostgreSQL's autovacuum would have done this; the rollup took 10 upserts per row.
  await database.sql.exec(`VACUUM ANALYZE "AppointmentRequest"`);
  await database.sql.exec(`VACUUM ANALYZE "RequestDailyVolume"`);
  return (performance.now() - started) / 1000;
}

async function time(work: () => Promise<unknown>) {
  for (let i = 0; i < WARMUP; i += 1) await work();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!;
  return { medianMs: round(at(0.5)), p95Ms: round(at(0.95)), maxMs: round(samples.at(-1)!) };
}

async function explain(database: Database, query: Prisma.Sql): Promise<string[]> {
  const rows = await database.prisma.$queryRawUnsafe<Array<{ "QUERY PLAN": string }>>(
    `EXPLAIN (ANALYZE, BUFFERS) ${query.text}`,
    ...query.values,
  );
  return rows.map((row) => row["QUERY PLAN"]);
}

async function measure(database: Database) {
  const results = [];
  for (const range of RANGES) {
    for (const granularity of GRANULARITIES) {
      const filter: ReportFilter = { from: range.from, to: range.to, granularity };
      // What the loader runs: the chart over time and the per-specialty table.
      const overTimeQuery = (specialty: string | null) =>
        MODE === "baseline"
          ? database.prisma.$queryRaw(baseline.overTime(filter, specialty))
          : requestVolume(filter, specialty);
      const bySpecialtyQuery = () =>
        MODE === "baseline"
          ? database.prisma.$queryRaw(baseline.bySpecialty(filter))
          : volumeBySpecialty(filter);
      const page = await time(() => Promise.all([overTimeQuery(null), bySpecialtyQuery()]));
      // The baseline is slow enough that the page alone tells the story.
      const overTime = MODE === "baseline" ? null : await time(() => overTimeQuery(null));
      const oneSpecialty = MODE === "baseline" ? null : await time(() => overTimeQuery("150"));
      const rows = await requestVolume(filter);
      results.push({
        range: range.name,
        from: range.from,
        to: range.to,
        granularity,
        buckets: rows.length,
        requestsInRange: rows.reduce((sum, row) => sum + row.total, 0),
        pageLoader: page,
        volumeOverTime: overTime,
        volumeOneSpecialty: oneSpecialty,
        meetsGoal: page.p95Ms <= GOAL_P95_MS,
        plans: {
          volumeOverTime: await explain(
            database,
            MODE === "baseline" ? baseline.overTime(filter, null) : requestVolumeSql(filter, null),
          ),
          ...(granularity === "month"
            ? {
                volumeBySpecialty: await explain(
                  database,
                  MODE === "baseline" ? baseline.bySpecialty(filter) : volumeBySpecialtySql(filter),
                ),
              }
            : {}),
        },
      });
      process.stdout.write(
        `${database.backend} ${range.name} ${granularity}: page median ${page.medianMs} ms, p95 ${page.p95Ms} ms\n`,
      );
    }
  }
  return results;
}

async function runOn(backend: "pglite" | "postgres") {
  const dir = mkdtempSync(path.join(tmpdir(), "pkbdesk-bench-reports-"));
  const dbName = `pkbdesk_bench_reports_${process.pid}`;
  let database: Database | undefined;
  try {
    if (backend === "postgres") {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${dbName}`);
      await admin.end();
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${dbName}`;
      database = await openDatabase({ connectionString: url.toString() });
    } else {
      database = await openDatabase({ dataDir: path.join(dir, "pglite") });
    }
    setDatabase(database);
    const seedSeconds = await seed(database);
    const count = await database.prisma.appointmentRequest.count();
    const results = await measure(database);
    const worst = Math.max(...results.map((r) => r.pageLoader.p95Ms));
    const version =
      await database.prisma.$queryRawUnsafe<Array<{ version: string }>>("SELECT version()");
    const output = {
      benchmark: "request-reports",
      mode: MODE === "baseline" ? "baseline: queries straight off AppointmentRequest" : "app",
      goal: { id: "P7", p95Ms: GOAL_P95_MS, worstPageP95Ms: worst, met: worst <= GOAL_P95_MS },
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        backend: backend === "pglite" ? "pglite (embedded, on disk)" : "postgresql (localhost)",
        serverVersion: version[0]?.version,
        loadAverageAtEnd: loadavg().map(round),
      },
      population: {
        requests: count,
        span: `${FIRST_DAY} to ${LAST_DAY} (UK dates)`,
        specialties: 30,
        unmatchedShare: 0.08,
        seedSeconds: round(seedSeconds),
      },
      runsPerMeasure: RUNS,
      warmupRuns: WARMUP,
      results,
    };
    mkdirSync("bench/results", { recursive: true });
    writeFileSync(
      `bench/results/request-reports-${backend}${MODE === "baseline" ? "-baseline" : ""}.json`,
      `${JSON.stringify(output, null, 2)}\n`,
    );
    return output;
  } finally {
    setDatabase(undefined);
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
    if (backend === "postgres") {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

for (const backend of BACKENDS) {
  if (backend !== "pglite" && backend !== "postgres") throw new Error(`unknown backend ${backend}`);
  const output = await runOn(backend);
  process.stdout.write(
    `${backend}: worst page p95 ${output.goal.worstPageP95Ms} ms (goal ${GOAL_P95_MS} ms)\n`,
  );
}
