/**
 * Invitation delivery benchmark (issue 9):
 *   1. print-ready PDF letters for N recipients (one A4 page each, QR code, compressed, as the
 *      download route makes them): total time, pages/s, peak RSS of this process;
 *   2. an SMS wave of N recipients (two texts each) through the sandbox's Notify-compatible API
 *      with 50 ms latency per call, with the portal's wave loops (`runWaveSlice`, real client,
 *      real HTTP), reported as the ratio to its network bound:
 *        bound = sends × latency / concurrency = (2 × N) × 50 ms / loops in flight.
 *      Every send is also checked against the sandbox's record (two per patient, none twice).
 * quality.md has no goal for either (P3's shape — ≤ 1.25 × the network bound — is the yardstick).
 *
 *   npx tsx bench/campaign-delivery.bench.ts                   # N = 10 000
 *   RECIPIENTS=2000 npx tsx bench/campaign-delivery.bench.ts   # quick
 *   DATABASE_URL=postgresql://… npx tsx bench/campaign-delivery.bench.ts
 * Writes bench/results/campaign-delivery-<backend>-<N>.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { SYSTEM_ACTOR } from "../app/modules/audit/audit.server.ts";
import { createFileBatch, startWave } from "../app/modules/campaigns/delivery/delivery.server.ts";
import {
  createLetterDocument,
  writeLetters,
} from "../app/modules/campaigns/delivery/letter/letter-pdf.server.ts";
import { batchRecipients } from "../app/modules/campaigns/delivery/letter/letter-rows.server.ts";
import { loadNotifyProvider } from "../app/modules/campaigns/delivery/providers/notify-provider.server.ts";
import { deliveryContext } from "../app/modules/campaigns/delivery/recipient-content.server.ts";
import {
  configureSandboxNotify,
  seedGeneratedCampaign,
} from "../app/modules/campaigns/delivery/testing.server.ts";
import { runWaveSlice } from "../app/modules/campaigns/delivery/wave.server.ts";
import { offlineConnection } from "../app/modules/campaigns/testing.server.ts";
import { setDatabase } from "../app/platform/db.server.ts";
import { machineLoad, openBenchDatabase, ownCpuSeconds } from "./support/bench-database.ts";
import { startSandboxProcess } from "./support/sandbox-process.ts";

process.env.LOG_LEVEL ??= "silent";
const N = Number(process.env.RECIPIENTS ?? 10_000);
const LATENCY_MS = 50;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const context = { actor: SYSTEM_ACTOR, clientAddress: null };
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function letters(campaignId: string) {
  const batch = await createFileBatch(campaignId, "LETTER", context);
  const ctx = await deliveryContext(campaignId);
  const options = { qr: true, date: new Date(), trustName: ctx.trustName };
  let peakRss = process.memoryUsage().rss;
  const rssBefore = peakRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const doc = createLetterDocument(options);
  doc.pipe(sink);
  const finished = new Promise((resolve) => sink.on("finish", resolve));
  const rows = (async function* () {
    for await (const { row } of batchRecipients(campaignId, "LETTER", batch.batchId, ctx)) {
      yield row;
    }
  })();
  const pages = await writeLetters(doc, ctx.templates.LETTER, rows, options);
  await finished;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return {
    letters: batch.count,
    pages,
    seconds: Math.round(seconds * 100) / 100,
    pagesPerSecond: Math.round(pages / seconds),
    pdfMegabytes: Math.round((bytes / 1024 / 1024) * 10) / 10,
    peakRssMb: mb(peakRss),
    rssGrowthMb: mb(peakRss - rssBefore),
    processCpuSeconds: Math.round(ownCpuSeconds(cpu) * 100) / 100,
  };
}

async function smsWave(campaignId: string, sandbox: { url: string; adminKey: string }) {
  const admin = async (method: string, path: string) =>
    (await (
      await fetch(`${sandbox.url}/_sandbox${path}`, {
        method,
        headers: { "x-sandbox-admin-key": sandbox.adminKey },
      })
    ).json()) as Record<string, unknown>;
  await admin("DELETE", "/notify/sends");
  const { waveId } = await startWave(campaignId, "SMS", context);
  const provider = (await loadNotifyProvider(30_000))!;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let slices = 0;
  for (;;) {
    slices++;
    const result = await runWaveSlice(waveId, provider, {
      concurrency: CONCURRENCY,
      staleMs: 10 * 60_000,
      signal: AbortSignal.timeout(60_000),
    });
    if (result.kind === "done" || result.kind === "paused") break;
    if (result.kind === "waiting") {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, result.nextDueAt.getTime() - Date.now())),
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const record = (await admin("GET", "/notify/sends?type=sms&limit=1")) as {
    total: number;
    perRecipient: Record<string, number>;
    sentMoreThanOnce: string[];
  };
  const counts = Object.values(record.perRecipient);
  const sends = 2 * N;
  const boundSeconds = (sends * LATENCY_MS) / CONCURRENCY / 1000;
  return {
    recipients: N,
    sends: record.total,
    everyPatientExactlyTwo: counts.length === N && counts.every((n) => n === 2),
    slices,
    seconds: Math.round(seconds * 100) / 100,
    sendsPerSecond: Math.round(record.total / seconds),
    concurrency: CONCURRENCY,
    latencyMs: LATENCY_MS,
    networkBoundSeconds: Math.round(boundSeconds * 100) / 100,
    ratioToBound: Math.round((seconds / boundSeconds) * 100) / 100,
    processCpuSeconds: Math.round(ownCpuSeconds(cpu) * 100) / 100,
  };
}

async function main() {
  // Notify is another machine: the sandbox runs in its own process.
  const sandbox = await startSandboxProcess({ patients: 5, latencyMs: LATENCY_MS, seed: 7 });
  const bench = await openBenchDatabase("delivery");
  setDatabase(bench.database);
  const loadBefore = machineLoad();
  try {
    const connectionId = await offlineConnection();
    const seedStarted = performance.now();
    const { campaignId } = await seedGeneratedCampaign(
      connectionId,
      Array.from({ length: N }, () => ({})),
      { name: "Bench delivery" },
    );
    const seedSeconds = Math.round(performance.now() - seedStarted) / 1000;
    await configureSandboxNotify(sandbox.url);
    const pdf = await letters(campaignId);
    const wave = await smsWave(campaignId, sandbox);
    const report = {
      benchmark: "campaign-delivery",
      backend: bench.database.backend,
      recipients: N,
      seedSeconds,
      letterPdf: pdf,
      smsWave: wave,
      bound:
        "SMS network bound = sends × latency / concurrency = (2 × recipients) × 50 ms / loops in flight; the sandbox answers each send after 50 ms",
      goal: "none in quality.md; P3's ≤ 1.25 × network bound used as the yardstick for the wave",
      machine: { before: loadBefore, after: machineLoad() },
      node: process.version,
      measuredAt: new Date().toISOString(),
      note: "single run on a 2-core machine, the sandbox in its own process on the same machine",
    };
    console.log(JSON.stringify(report, null, 2));
    mkdirSync("bench/results", { recursive: true });
    writeFileSync(
      `bench/results/campaign-delivery-${bench.database.backend}-${N}.json`,
      `${JSON.stringify(report, null, 2)}\n`,
    );
  } finally {
    await bench.close();
    await sandbox.close();
  }
}

await main();
