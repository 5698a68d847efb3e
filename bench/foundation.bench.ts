/**
 * Foundation benchmark (issue 2): what every later feature stands on.
 * - embedded database: first start of a new data directory (initdb + migrations), reopen, and
 *   the test template clone that replaces a per-file initdb;
 * - sign-in: argon2id verification cost (the floor under every sign-in);
 * - audit trail: loader-level time of the first, a deep keyset page and a filtered page over
 *   100k audit rows, and a full CSV export's row stream.
 * Writes bench/results/foundation.json.   npm run bench:foundation   (AUDIT_ROWS, RUNS to override)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPglite } from "../app/platform/pglite.server.ts";
import {
  auditPage,
  auditRows,
  AuditFilterSchema,
} from "../app/modules/audit/audit-query.server.ts";
import { hashPassword, verifyPassword } from "../app/modules/auth/password.server.ts";
import { openDatabase, setDatabase } from "../app/platform/db.server.ts";
import { migrate } from "../app/platform/migrator.server.ts";
import { pgliteRunner } from "../app/platform/sql-runner.server.ts";

process.env.LOG_LEVEL ??= "silent";
const AUDIT_ROWS = Number(process.env.AUDIT_ROWS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 21);
// Goals: P6 treats a 100 ms loader p95 as the worklist bar; we hold the audit page to it too.
const GOALS = { auditPageP95Ms: 100 };

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const round = (n: number): number => Math.round(n * 100) / 100;
async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}
async function repeat(work: () => Promise<unknown>) {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run += 1) samples.push((await time(work))[0]);
  return { medianMs: round(quantile(samples, 0.5)), p95Ms: round(quantile(samples, 0.95)) };
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), "pkbdesk-bench-"));
  try {
    const dataDir = path.join(dir, "pglite");
    const [firstStartMs, first] = await time(() => openDatabase({ dataDir }));
    await first.close();
    const [reopenMs, database] = await time(() => openDatabase({ dataDir }));
    setDatabase(database);

    const template = await createPglite();
    await migrate(pgliteRunner(template));
    const dump = await template.dumpDataDir("none");
    await template.close();
    const [cloneMs, clone] = await time(() => createPglite({ loadDataDir: dump }));
    await clone.close();

    const hash = await hashPassword("a benchmark passphrase");
    const signIn = await repeat(() => verifyPassword(hash, "a benchmark passphrase"));

    // 100k audit rows spread over 90 days, in bulk.
    const [seedMs] = await time(() =>
      database.sql.exec(`
        INSERT INTO "AuditEvent" ("occurredAt", "actorLabel", "action", "entityType", "entityId", "details")
        SELECT now() - (g * interval '77 seconds'), 'user' || (g % 40) || '@bench.nhs.uk',
               (ARRAY['auth.login','user.update-access','team.update','audit.export'])[1 + g % 4],
               'user', md5(g::text), '{}'::jsonb
          FROM generate_series(1, ${AUDIT_ROWS}) AS g`),
    );
    await database.sql.exec(`ANALYZE "AuditEvent"`);

    const firstPage = await repeat(() => auditPage(AuditFilterSchema.parse({})));
    let cursor: string | undefined;
    for (let page = 0; page < 200; page += 1) {
      cursor =
        (await auditPage(AuditFilterSchema.parse({ after: cursor }))).nextCursor ?? undefined;
    }
    const deepPage = await repeat(() => auditPage(AuditFilterSchema.parse({ after: cursor })));
    const filteredPage = await repeat(() =>
      auditPage(AuditFilterSchema.parse({ action: "team.", actor: "user7@" })),
    );
    const [exportMs, exported] = await time(async () => {
      let rows = 0;
      for await (const _row of auditRows(AuditFilterSchema.parse({}))) rows += 1;
      return rows;
    });
    await database.close();

    const result = {
      benchmark: "foundation",
      date: new Date().toISOString(),
      machine: { node: process.version, backend: "pglite (embedded)" },
      database: {
        firstStartMs: round(firstStartMs),
        reopenMs: round(reopenMs),
        templateCloneMs: round(cloneMs),
      },
      signIn: { argon2idVerify: signIn },
      audit: {
        rows: AUDIT_ROWS,
        seedMs: round(seedMs),
        firstPage,
        page200: deepPage,
        filteredPage,
        goalP95Ms: GOALS.auditPageP95Ms,
        worstRatioToGoal: round(
          Math.max(firstPage.p95Ms, deepPage.p95Ms, filteredPage.p95Ms) / GOALS.auditPageP95Ms,
        ),
        csvExportAllRows: { rows: exported, ms: round(exportMs) },
      },
    };
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/foundation.json", `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
