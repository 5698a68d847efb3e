/**
 * Campaign import benchmark (issue 7, P1/P2): a generated patient list (≈1% bad rows, ≈0.5%
 * duplicates) is uploaded and imported end to end — sniff, stream, validate, dedupe, persist —
 * and timed, with rows per second and the process's peak RSS growth sampled every 20 ms.
 *
 *   npx tsx bench/campaign-import.bench.ts                 # 100k rows on PGlite (P1)
 *   ROWS=1000000 npx tsx bench/campaign-import.bench.ts    # P2
 *   BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/campaign-import.bench.ts
 *                                                          # on PostgreSQL (a scratch database)
 * Writes bench/results/campaign-import-<backend>-<rows>.json. Besides wall-clock time it records
 * the CPU time of this process (PGlite runs in it) and of the PostgreSQL backends, and the load
 * average: on a shared machine the CPU figures are the ones that do not depend on the neighbours.
 */
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { setDatabase } from "../app/platform/db.server.ts";
import { acceptMapping } from "../app/modules/campaigns/import/import.server.ts";
import { runImport } from "../app/modules/campaigns/import/run-import.server.ts";
import { storeUpload } from "../app/modules/campaigns/import/upload.server.ts";
import { syntheticNhsNumber } from "../app/modules/campaigns/test-support.ts";
import { offlineConnection } from "../app/modules/campaigns/testing.server.ts";
import { machineLoad, openBenchDatabase, ownCpuSeconds } from "./support/bench-database.ts";

process.env.LOG_LEVEL ??= "silent";
const ROWS = Number(process.env.ROWS ?? 100_000);
const GOALS =
  ROWS >= 1_000_000 ? { seconds: 45, rssGrowthMb: 200 } : { seconds: 5, rssGrowthMb: 150 };

async function writeList(file: string, rows: number) {
  const out = createWriteStream(file);
  out.write("NHS number,Given name,Family name,Date of birth,Mobile,Email\r\n");
  for (let index = 0; index < rows; index++) {
    const bad = index % 100 === 99;
    const duplicate = index % 200 === 150;
    const nhs = bad ? "9876544321" : syntheticNhsNumber(duplicate ? index - 1 : index);
    const line = `${nhs},Given${index},Family${index},${String((index % 28) + 1).padStart(2, "0")}/0${(index % 9) + 1}/19${50 + (index % 50)},07911 ${String(100_000 + index).slice(-6)},p${index}@example.com\r\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), "pkbdesk-import-bench-"));
  const bench = await openBenchDatabase("import");
  const { database } = bench;
  setDatabase(database);
  try {
    const file = path.join(dir, "list.csv");
    await writeList(file, ROWS);
    const bytes = statSync(file).size;
    const campaign = await database.prisma.campaign.create({
      data: {
        name: "Bench",
        pkbConnectionId: await offlineConnection(),
        channel: "LETTER",
        identifierKind: "NHS",
      },
    });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    // Heap in use (live objects and garbage not yet collected) beside RSS: RSS also keeps what
    // the allocator and V8 have not handed back, so the two together show whether memory follows
    // the batch (heap flat) or the file (heap climbing).
    const heapBaseline = process.memoryUsage().heapUsed;
    let heapPeak = heapBaseline;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peak = Math.max(peak, usage.rss);
      heapPeak = Math.max(heapPeak, usage.heapUsed + usage.external);
    }, 20);
    const loadBefore = machineLoad();
    const cpuBefore = process.cpuUsage();
    const serverBefore = await bench.serverCpuSeconds();

    const uploadStarted = performance.now();
    const stored = await storeUpload(
      campaign.id,
      "list.csv",
      createReadStream(file, { highWaterMark: 256 * 1024 }),
      null,
    );
    const uploadMs = performance.now() - uploadStarted;
    await acceptMapping(
      campaign.id,
      stored.importId,
      {
        identifier: "NHS number",
        givenName: "Given name",
        familyName: "Family name",
        dateOfBirth: "Date of birth",
        mobile: "Mobile",
        email: "Email",
      },
      undefined,
      { actor: { id: null, label: "bench" }, clientAddress: null },
    );
    const importStarted = performance.now();
    await runImport(stored.importId);
    const importMs = performance.now() - importStarted;
    clearInterval(sampler);
    const processCpuSeconds = ownCpuSeconds(cpuBefore);
    const serverAfter = await bench.serverCpuSeconds();
    const result = await database.prisma.campaignImport.findUniqueOrThrow({
      where: { id: stored.importId },
    });
    const totalSeconds = (uploadMs + importMs) / 1000;
    const report = {
      benchmark: "campaign-import",
      backend: database.backend,
      rows: ROWS,
      fileMb: Math.round((bytes / 1024 / 1024) * 10) / 10,
      uploadSeconds: Math.round(uploadMs) / 1000,
      importSeconds: Math.round(importMs) / 1000,
      totalSeconds: Math.round(totalSeconds * 1000) / 1000,
      rowsPerSecond: Math.round(ROWS / totalSeconds),
      peakRssGrowthMb: Math.round((peak - baseline) / 1024 / 1024),
      peakHeapGrowthMb: Math.round((heapPeak - heapBaseline) / 1024 / 1024),
      processCpuSeconds: Math.round(processCpuSeconds * 100) / 100,
      postgresCpuSeconds:
        serverBefore === null || serverAfter === null
          ? null
          : Math.round((serverAfter - serverBefore) * 100) / 100,
      machine: { before: loadBefore, after: machineLoad() },
      accepted: result.rowsAccepted,
      rejected: result.rowsRejected,
      duplicatesCollapsed: result.duplicatesCollapsed,
      flagged: result.rowsFlagged,
      goal: GOALS,
      meetsGoal:
        totalSeconds <= GOALS.seconds && (peak - baseline) / 1024 / 1024 <= GOALS.rssGrowthMb,
      node: process.version,
      measuredAt: new Date().toISOString(),
      note: "single run on a shared 2-core machine; upload = sniff + store in 1 MB chunks, import = stream, validate, dedupe, persist; peakHeapGrowthMb = heapUsed + external (on PGlite, external includes the engine's WASM memory, so read RSS there)",
    };
    console.log(JSON.stringify(report, null, 2));
    mkdirSync("bench/results", { recursive: true });
    writeFileSync(
      `bench/results/campaign-import-${database.backend}-${ROWS}.json`,
      `${JSON.stringify(report, null, 2)}\n`,
    );
  } finally {
    await bench.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
