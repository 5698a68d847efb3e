/**
 * Campaign reports benchmark (ADR 0019). quality.md has no campaign-report goal; P7 (a report
 * page p95 ≤ 300 ms, set for the request reports) is used as the yardstick.
 *
 * Seeds one campaign of RECIPIENTS patients with bulk SQL (generate_series): 90% eligible with a
 * code, 10% deceased; one dispatch per patient with a code (letter, SMS or e-mail; 5% held, 3%
 * failed for good, the rest sent or delivered), a second round for 5%; 40% registered over 60
 * days; a hybrid-mail letter per letter dispatch, 40% read, half post-listed. Then times what the
 * two report pages' loaders run (every section: campaignReport) for that campaign and for all
 * campaigns — median and p95 of RUNS runs after warm-up — and the whole patient-level export
 * once (rows per second). PGlite (on disk) and PostgreSQL (a throwaway database on
 * BENCH_POSTGRES_URL's server, dropped after).
 *
 *     npm run bench:campaign-reports                      # both backends, 100k patients
 *     RECIPIENTS=20000 BACKENDS=pglite npm run bench:campaign-reports
 *
 * Writes bench/results/campaign-reports-<backend>-<recipients>.json.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { offlineConnection } from "../app/modules/campaigns/testing.server.ts";
import {
  byChannel,
  campaignReport,
  funnelByCampaign,
  funnelByCampaignSql,
  hybridMail,
  registrationsOverTime,
  type CampaignScope,
} from "../app/modules/reports/campaigns/campaign-reports.server.ts";
import { startRecipientExport } from "../app/modules/reports/campaigns/recipient-export.server.ts";
import type { ReportFilter } from "../app/modules/reports/report-filter.ts";
import { openDatabase, setDatabase, type Database } from "../app/platform/db.server.ts";

process.env.LOG_LEVEL ??= "silent";
process.env.ENCRYPTION_KEYS ??= `bench1:${randomBytes(32).toString("base64")}`;
const RECIPIENTS = Number(process.env.RECIPIENTS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 10);
const WARMUP = 2;
const GOAL_P95_MS = 300;
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const BACKENDS = (process.env.BACKENDS ?? "pglite,postgres").split(",");
const FILTER: ReportFilter = { from: "2026-09-01", to: "2026-11-29", granularity: "week" };

const round = (n: number) => Math.round(n * 10) / 10;

async function seed(database: Database): Promise<{ campaignId: string; seconds: number }> {
  const started = performance.now();
  const db = database.prisma;
  const connection = await offlineConnection();
  const campaign = await db.campaign.create({
    data: {
      name: "Bench campaign",
      pkbConnectionId: connection,
      channel: "LETTER",
      identifierKind: "NHS",
      state: "GENERATED",
    },
  });
  const list = await db.campaignImport.create({
    data: {
      campaignId: campaign.id,
      originalFileName: "bench.csv",
      byteSize: 1,
      encoding: "utf-8",
      delimiter: ",",
      headers: ["nhs"],
      state: "DONE",
      rowsRead: RECIPIENTS + Math.round(RECIPIENTS / 50),
      rowsAccepted: RECIPIENTS,
    },
  });
  await db.$executeRaw`
    INSERT INTO "Recipient" ("id", "campaignId", "nationalId", "givenName", "familyName", "sourceRow",
                             "importId", "state", "bucket", "tokenSealed", "tokensIssued", "inviteRound",
                             "registeredAt", "updatedAt")
    SELECT gen_random_uuid(), ${campaign.id}::uuid, (9000000000::bigint + g)::text, 'Given' || g, 'Family' || g, g + 1,
           ${list.id}::uuid,
           (CASE WHEN g % 10 = 0 THEN 'INELIGIBLE' ELSE 'TOKEN_ISSUED' END)::"RecipientState",
           (CASE WHEN g % 10 = 0 THEN 'DECEASED' ELSE 'ELIGIBLE' END)::"EligibilityBucket",
           CASE WHEN g % 10 = 0 THEN NULL ELSE 'v1:bench' END,
           CASE WHEN g % 10 = 0 THEN 0 ELSE 1 END,
           CASE WHEN g % 20 = 1 THEN 2 ELSE 1 END,
           CASE WHEN g % 5 IN (1, 2)
                THEN timestamp '2026-10-01' + (g % 60) * interval '1 day' + (g % 1440) * interval '1 minute' END,
           now()
      FROM generate_series(1, ${RECIPIENTS}::int) AS g`;
  await db.$executeRaw`
    INSERT INTO "InvitationDispatch" ("id", "campaignId", "recipientId", "channel", "inviteRound", "state", "sentAt", "updatedAt")
    SELECT gen_random_uuid(), r."campaignId", r."id",
           (ARRAY['LETTER', 'SMS', 'EMAIL'])[1 + r."sourceRow" % 3]::"DeliveryChannel", rounds.n,
           (CASE WHEN r."sourceRow" % 100 < 5 THEN 'HELD'
                 WHEN r."sourceRow" % 100 < 8 THEN 'PERMANENT_FAILURE'
                 WHEN r."sourceRow" % 2 = 0 THEN 'DELIVERED' ELSE 'SENT' END)::"DispatchState",
           now(), now()
      FROM "Recipient" r
      JOIN LATERAL generate_series(1, r."inviteRound") AS rounds(n) ON TRUE
     WHERE r."campaignId" = ${campaign.id}::uuid AND r."tokenSealed" IS NOT NULL`;
  await db.$executeRaw`
    INSERT INTO "HybridMailDocument" ("id", "campaignId", "recipientId", "inviteRound", "documentId", "state",
                                      "sentAt", "readAt", "postListedAt")
    SELECT gen_random_uuid(), d."campaignId", d."recipientId", d."inviteRound", gen_random_uuid()::text,
           'ACCEPTED'::"HybridMailState", now(),
           CASE WHEN r."sourceRow" % 5 < 2 THEN timestamp '2026-10-02' + (r."sourceRow" % 72) * interval '1 hour' END,
           CASE WHEN r."sourceRow" % 2 = 0 THEN timestamp '2026-10-04' END
      FROM "InvitationDispatch" d JOIN "Recipient" r ON r."id" = d."recipientId"
     WHERE d."campaignId" = ${campaign.id}::uuid AND d."channel" = 'LETTER'`;
  for (const table of ["Recipient", "InvitationDispatch", "HybridMailDocument", "CampaignImport"]) {
    await database.sql.exec(`VACUUM ANALYZE "${table}"`);
  }
  return { campaignId: campaign.id, seconds: (performance.now() - started) / 1000 };
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

async function runOn(backend: "pglite" | "postgres") {
  const dir = mkdtempSync(path.join(tmpdir(), "pkbdesk-bench-campaign-reports-"));
  const dbName = `pkbdesk_bench_campaign_reports_${process.pid}`;
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
    const seeded = await seed(database);
    const scopes: Array<{ name: string; scope: CampaignScope }> = [
      { name: "one campaign (/campaigns/:id/report)", scope: { campaignId: seeded.campaignId } },
      { name: "all campaigns (/reports/campaigns)", scope: "all" },
    ];
    const pages = [];
    for (const { name, scope } of scopes) {
      const timing = await time(() => campaignReport(scope, FILTER));
      pages.push({ page: name, ...timing, meetsYardstick: timing.p95Ms <= GOAL_P95_MS });
      process.stdout.write(
        `${backend} ${name}: median ${timing.medianMs} ms, p95 ${timing.p95Ms} ms\n`,
      );
    }
    // Where one campaign's report spends its time, section by section.
    const one: CampaignScope = { campaignId: seeded.campaignId };
    const sections = {
      funnel: await time(() => funnelByCampaign(one)),
      byChannel: await time(() => byChannel(one, 0)),
      registrationsOverTime: await time(() => registrationsOverTime(one, FILTER)),
      hybridMail: await time(() => hybridMail(one)),
    };
    process.stdout.write(
      `${backend} sections (median ms): ${Object.entries(sections)
        .map(([name, timing]) => `${name} ${timing.medianMs}`)
        .join(", ")}\n`,
    );
    const report = await campaignReport(one, FILTER);
    const exportStarted = performance.now();
    const started = await startRecipientExport(seeded.campaignId, {
      actor: { id: null, label: "bench" },
      clientAddress: null,
    });
    let bytes = 0;
    for await (const chunk of started!.chunks) bytes += chunk.length;
    const exportSeconds = (performance.now() - exportStarted) / 1000;
    process.stdout.write(`${backend} export: ${started!.rows} rows in ${round(exportSeconds)} s\n`);
    const plan = await database.prisma.$queryRawUnsafe<Array<{ "QUERY PLAN": string }>>(
      `EXPLAIN (ANALYZE, BUFFERS) ${funnelByCampaignSql({ campaignId: seeded.campaignId }).text}`,
      ...funnelByCampaignSql({ campaignId: seeded.campaignId }).values,
    );
    const version =
      await database.prisma.$queryRawUnsafe<Array<{ version: string }>>("SELECT version()");
    const output = {
      benchmark: "campaign-reports",
      yardstick: { id: "P7 (request reports; no campaign-report goal)", p95Ms: GOAL_P95_MS },
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        backend: backend === "pglite" ? "pglite (embedded, on disk)" : "postgresql (localhost)",
        serverVersion: version[0]?.version,
        loadAverageAtEnd: loadavg().map(round),
      },
      population: {
        recipients: RECIPIENTS,
        funnel: report.funnel.map((row) => [row.label, row.count]),
        seedSeconds: round(seeded.seconds),
      },
      filter: FILTER,
      runsPerMeasure: RUNS,
      warmupRuns: WARMUP,
      pages,
      oneCampaignSections: sections,
      recipientExport: {
        rows: started!.rows,
        bytes,
        seconds: round(exportSeconds),
        rowsPerSecond: Math.round(started!.rows / exportSeconds),
      },
      funnelPlan: plan.map((row) => row["QUERY PLAN"]),
    };
    mkdirSync("bench/results", { recursive: true });
    writeFileSync(
      `bench/results/campaign-reports-${backend}-${RECIPIENTS}.json`,
      `${JSON.stringify(output, null, 2)}\n`,
    );
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
  await runOn(backend);
}
