/**
 * P6 (quality.md): the request worklist loader with 100k open requests, under common views,
 * filters and sorts, on embedded PGlite and on PostgreSQL. Seeds by bulk SQL, times the loader's
 * query function (worklistPage: the page, the counts of every view, the filter choices, the SLA
 * words), and keeps EXPLAIN ANALYZE of the page and count queries.
 *
 *   npm run bench:request-worklist                 # both backends (PostgreSQL at 127.0.0.1:5432)
 *   BACKENDS=pglite npm run bench:request-worklist # one
 *   OPEN=20000 RUNS=11 ...                         # smaller (the result says so)
 *
 * Writes bench/results/request-worklist.json.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { WorklistFilter } from "../app/modules/requests/worklist/filters.ts";
import {
  worklistCounts,
  worklistCountsSql,
  worklistPage,
  worklistPageSql,
  type WorklistViewer,
} from "../app/modules/requests/worklist/worklist.server.ts";
import { FakeClock, setClock } from "../app/platform/clock.ts";
import { openDatabase, setDatabase, type Database } from "../app/platform/db.server.ts";

process.env.LOG_LEVEL ??= "silent";
const OPEN = Number(process.env.OPEN ?? 100_000);
const CLOSED = Number(process.env.CLOSED ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 31);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const BACKENDS = (process.env.BACKENDS ?? "pglite,postgres").split(",");
const GOAL_P95_MS = 100;
const NOW = new Date("2026-11-23T10:00:00Z");

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * The population: the lead's team holds 80% of the open requests, the unrouted queue 10% and
 * another team 10%; a fifth of open requests are assigned (some to the handler timed), a quarter
 * are past their deadline; appointments spread over the next 60 days; 12 specialties; closed
 * requests over the last year.
 */
async function seed(database: Database) {
  const db = database.prisma;
  const teamA = await db.team.create({ data: { name: "Cardiology bookings" } });
  const teamB = await db.team.create({ data: { name: "Eye clinic bookings" } });
  await db.teamServiceLevel.create({ data: { teamId: teamA.id } });
  const handler = await db.user.create({
    data: { email: "handler@bench.nhs.uk", displayName: "Hana Handler", role: "REQUEST_HANDLER" },
  });
  const lead = await db.user.create({
    data: { email: "lead@bench.nhs.uk", displayName: "Lee Lead", role: "TEAM_LEAD" },
  });
  await db.teamMembership.createMany({
    data: [
      { userId: handler.id, teamId: teamA.id },
      { userId: lead.id, teamId: teamA.id },
    ],
  });
  const now = NOW.toISOString();
  const insert = async (count: number, open: boolean) =>
    database.sql.query(
      `INSERT INTO "AppointmentRequest" ("id", "grantId", "pkbMessageId", "patientPublicId", "identifierSystem",
         "identifierValue", "patientDisplayName", "action", "rawSubject", "patientNote", "receivedAt", "matchState",
         "matchReason", "matchedStart", "matchedSpecialtyCode", "matchedSpecialtyDisplay", "matchedLocation",
         "teamId", "status", "assigneeId", "dueAt", "closedAt", "updatedAt")
       SELECT gen_random_uuid(), $1::uuid, 'm' || $6 || '-' || g, 'p' || g, 'https://fhir.nhs.uk/Id/nhs-number',
         (9000000000 + g)::text, 'Patient ' || md5(g::text),
         (CASE WHEN g % 2 = 0 THEN 'CANCEL' ELSE 'CHANGE' END)::"AppointmentRequestAction",
         'Request to cancel appointment', '', ts.received,
         (CASE WHEN g % 23 = 0 THEN 'NEEDS_MATCHING' WHEN g % 29 = 0 THEN 'NEEDS_TRIAGE' ELSE 'MATCHED' END)::"RequestMatchState",
         'bench', ts.received + make_interval(days => 3 + (g % 60)), (100 + g % 12)::text, 'Specialty ' || (100 + g % 12),
         'Clinic ' || (g % 40),
         CASE WHEN $5 AND g % 10 = 0 THEN NULL WHEN $5 AND g % 10 = 1 THEN $3::uuid ELSE $2::uuid END,
         (CASE WHEN NOT $5 THEN (ARRAY['ACTIONED','REJECTED','RESOLVED_IN_PAS'])[1 + g % 3]
               WHEN g % 5 = 0 THEN 'ASSIGNED' ELSE 'NEW' END)::"RequestStatus",
         CASE WHEN g % 5 = 0 THEN $4::uuid END,
         ts.received + interval '2 days',
         CASE WHEN NOT $5 THEN ts.received + interval '1 day' END,
         ($7::timestamptz AT TIME ZONE 'UTC')
       FROM generate_series(1, $8) AS g,
         LATERAL (SELECT ($7::timestamptz AT TIME ZONE 'UTC')
           - make_interval(secs => CASE WHEN $5 THEN (g % 8) * 86400 * 0.5 + g % 3600 ELSE (g % 365) * 86400 END) AS received) ts`,
      [randomUuid(), teamA.id, teamB.id, handler.id, open, open ? "o" : "c", now, count],
    );
  await insert(OPEN, true);
  await insert(CLOSED, false);
  // as autovacuum would after a bulk load: statistics, and the visibility map index-only scans need
  await database.sql.query(`VACUUM ANALYZE "AppointmentRequest"`);
  return {
    handler: { id: handler.id, role: "REQUEST_HANDLER", teamIds: [teamA.id] } as WorklistViewer,
    lead: { id: lead.id, role: "TEAM_LEAD", teamIds: [teamA.id] } as WorklistViewer,
  };
}

function randomUuid(): string {
  const hex = randomBytes(16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

async function cursorTo(viewer: WorklistViewer, filter: WorklistFilter, pages: number) {
  let after: string | undefined;
  for (let page = 0; page < pages; page += 1) {
    after = (await worklistPage(viewer, { ...filter, after })).nextCursor ?? undefined;
  }
  return after;
}

async function explain(database: Database, query: { text: string; values: unknown[] }) {
  const result = await database.prisma.$queryRawUnsafe<Array<{ "QUERY PLAN": string }>>(
    `EXPLAIN (ANALYZE, BUFFERS) ${query.text}`,
    ...query.values,
  );
  return result.map((row) => row["QUERY PLAN"]);
}

async function measure(backend: string, database: Database) {
  setDatabase(database);
  setClock(new FakeClock(NOW));
  const seedStarted = performance.now();
  const { handler, lead } = await seed(database);
  const seedSeconds = round((performance.now() - seedStarted) / 1000);
  const cases: Array<{ name: string; viewer: WorklistViewer; filter: WorklistFilter }> = [
    { name: "lead: Team view, urgent first (default)", viewer: lead, filter: { view: "team" } },
    { name: "handler: My requests", viewer: handler, filter: { view: "mine" } },
    { name: "lead: Overdue", viewer: lead, filter: { view: "overdue" } },
    {
      name: "lead: Unassigned, type Change, due soonest",
      viewer: lead,
      filter: { view: "unassigned", type: "CHANGE", sort: "due" },
    },
    {
      name: "lead: Team, one specialty, newest first",
      viewer: lead,
      filter: { view: "team", specialty: "105", sort: "newest" },
    },
    {
      name: "lead: Team, appointment dates 1–7 Dec, appointment soonest",
      viewer: lead,
      filter: { view: "team", from: "2026-12-01", to: "2026-12-07", sort: "appointment" },
    },
    { name: "lead: Team, patient name search", viewer: lead, filter: { view: "team", q: "a1b2" } },
    {
      name: "lead: Team, NHS number search",
      viewer: lead,
      filter: { view: "team", q: "900 001 2345" },
    },
    {
      name: "lead: Team, received over 3 days ago, oldest first",
      viewer: lead,
      filter: { view: "team", age: "3", sort: "oldest" },
    },
    { name: "lead: Done (30 days)", viewer: lead, filter: { view: "done" } },
  ];
  const deep = await cursorTo(lead, { view: "team" }, 20);
  cases.push({
    name: "lead: Team view, page 21 (keyset)",
    viewer: lead,
    filter: { view: "team", after: deep },
  });

  const results = [];
  for (const entry of cases) {
    for (let warm = 0; warm < 3; warm += 1) await worklistPage(entry.viewer, entry.filter);
    const samples: number[] = [];
    let rows = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      const page = await worklistPage(entry.viewer, entry.filter);
      samples.push(performance.now() - started);
      rows = page.rows.length;
    }
    const pageOnly: number[] = [];
    for (let run = 0; run < Math.min(RUNS, 11); run += 1) {
      const query = await worklistPageSql(database.prisma, entry.viewer, entry.filter, NOW);
      const started = performance.now();
      await database.prisma.$queryRaw(query);
      pageOnly.push(performance.now() - started);
    }
    results.push({
      case: entry.name,
      filter: { ...entry.filter, after: entry.filter.after ? "(cursor)" : undefined },
      rowsOnPage: rows,
      loaderMedianMs: round(quantile(samples, 0.5)),
      loaderP95Ms: round(quantile(samples, 0.95)),
      pageQueryMedianMs: round(quantile(pageOnly, 0.5)),
      plan: await explain(
        database,
        await worklistPageSql(database.prisma, entry.viewer, entry.filter, NOW),
      ),
    });
    process.stderr.write(`${backend}: ${entry.name}: p95 ${results.at(-1)!.loaderP95Ms} ms\n`);
  }
  const countSamples: number[] = [];
  for (let run = 0; run < 11; run += 1) {
    const started = performance.now();
    await worklistCounts(database.prisma, lead, NOW);
    countSamples.push(performance.now() - started);
  }
  const countsQuery = worklistCountsSql(lead, NOW);
  const countsPlan = countsQuery ? await explain(database, countsQuery) : [];
  const p95s = results.map((r) => r.loaderP95Ms);
  return {
    backend,
    seedSeconds,
    countsQueryMedianMs: round(quantile(countSamples, 0.5)),
    countsPlan,
    worstLoaderP95Ms: Math.max(...p95s),
    medianOfLoaderMediansMs: round(
      quantile(
        results.map((r) => r.loaderMedianMs),
        0.5,
      ),
    ),
    ratioWorstP95ToGoal: round(Math.max(...p95s) / GOAL_P95_MS),
    cases: results,
  };
}

async function main() {
  const runs: Array<Awaited<ReturnType<typeof measure>> & { measuredAt?: string }> = [];
  const dir = mkdtempSync(path.join(tmpdir(), "pkbdesk-bench-worklist-"));
  try {
    if (BACKENDS.includes("pglite")) {
      const database = await openDatabase({ dataDir: path.join(dir, "pglite") });
      try {
        runs.push(await measure("pglite (embedded, on disk)", database));
      } finally {
        await database.close();
      }
    }
    if (BACKENDS.includes("postgres")) {
      const name = `pkbdesk_bench_${randomBytes(5).toString("hex")}`;
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${name}`;
      try {
        const database = await openDatabase({ connectionString: url.toString() });
        try {
          runs.push(await measure("postgresql 15 (127.0.0.1, same machine)", database));
        } finally {
          await database.close();
        }
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result = {
    benchmark: "request-worklist",
    date: new Date().toISOString(),
    size: OPEN >= 100_000 ? "full (P6: 100k open requests)" : `REDUCED: ${OPEN} open requests`,
    population: { openRequests: OPEN, closedRequests: CLOSED, runsPerCase: RUNS },
    machine: { node: process.version, loadAverageAtEnd: loadavg().map((n) => round(n)) },
    measured:
      "worklistPage(): the loader's one query function (page + counts of every view + filter choices + SLA words); session and render excluded",
    goal: { id: "P6", loaderP95Ms: GOAL_P95_MS },
    runs,
  };
  mkdirSync("bench/results", { recursive: true });
  // A run of one backend keeps the other backend's last result (marked with its own date).
  const file = "bench/results/request-worklist.json";
  if (BACKENDS.length === 1 && existsSync(file)) {
    const previous = JSON.parse(readFileSync(file, "utf8")) as {
      date: string;
      runs: Array<{ backend: string; measuredAt?: string }>;
    };
    for (const run of previous.runs) {
      if (!runs.some((mine) => mine.backend === run.backend)) {
        runs.push({
          ...(run as (typeof runs)[number]),
          measuredAt: run.measuredAt ?? previous.date,
        });
      }
    }
  }
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `${JSON.stringify(
      runs.map((run) => ({
        backend: run.backend,
        worstP95: run.worstLoaderP95Ms,
        medianOfMedians: run.medianOfLoaderMediansMs,
        counts: run.countsQueryMedianMs,
        cases: run.cases.map((c) => [c.case, c.loaderMedianMs, c.loaderP95Ms, c.pageQueryMedianMs]),
      })),
      null,
      2,
    )}\n`,
  );
}

await main();
