import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { IDENTIFIER_SYSTEMS } from "~/modules/pkb/identifiers.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { decryptSecret, parseKeyRing } from "~/platform/crypto.server.ts";
import { openDatabase, setDatabase, type Database } from "~/platform/db.server.ts";
import { getEnv } from "~/platform/env.server.ts";
import { withDatabase } from "../../../tests/support/global-setup.ts";
import { SYSTEM_ACTOR } from "../audit/audit.server.ts";
import { startEligibilityCheck } from "./eligibility/eligibility.server.ts";
import { importedCampaign, sandboxConnection } from "./testing.server.ts";

/**
 * quality.md P4 at CI size: a ~20k-recipient campaign is checked and given invitation codes by
 * real worker processes while PKB answers 5% 429, 2% 500, drops 1% of connections after acting,
 * refuses one poison identifier, and the worker is SIGKILLed three times. Afterwards reliability
 * invariants 1–4 are checked against the database and the sandbox's own call log. On PostgreSQL
 * (npm run test:postgres) two worker processes run side by side.
 */
const PATIENTS = 22_300; // ~90% carry NHS numbers: ~20k recipients
/** bench/campaign-kill-and-fault.ts sets PKB latency (50 ms in quality.md P3/P4); CI runs with none. */
const LATENCY_MS = Number(process.env.CAMPAIGN_P4_LATENCY_MS ?? 0);
let pkb: TestSandbox;

class Worker {
  output = "";
  private readonly child: ChildProcess;
  constructor(target: string, campaignId: string) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", "tests/support/campaign-worker-child.ts", target, campaignId],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "info" } },
    );
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }
  has(line: string) {
    return this.output.split("\n").includes(line);
  }
  get alive() {
    return this.child.exitCode == null && this.child.signalCode == null;
  }
  async kill(signal: NodeJS.Signals) {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill(signal);
    await exited;
  }
}

async function prepareTarget() {
  const url = process.env.TEST_DATABASE_URL;
  const template = inject("postgresTemplate");
  if (url && template) {
    const name = `pkbdesk_campaign_kill_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
    const target = withDatabase(url, name);
    return {
      target,
      workers: 2,
      open: () => openDatabase({ connectionString: target, skipMigrations: true }),
      cleanup: async () => {
        const dropper = new pg.Client({ connectionString: url });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropper.end();
      },
    };
  }
  const dir = await mkdtemp(path.join(tmpdir(), "pkbdesk-campaign-kill-"));
  const target = path.join(dir, "pglite");
  return {
    target,
    workers: 1, // PGlite belongs to one process
    open: () => openDatabase({ dataDir: target }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function until(what: string, check: () => boolean, workers: Worker[], timeoutMs = 100_000) {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `timed out waiting for ${what}:\n${workers.map((w) => w.output.slice(-3000)).join("\n---\n")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  // The workers are separate processes on the real clock, so PKB's clock is today too: with the
  // shared test date, a patient who has turned 16 since then looks eligible to the portal's own
  // age check but is under 16 to PKB, and the test breaks as the calendar moves.
  pkb = await startTestSandbox({
    patients: PATIENTS,
    seed: 11,
    latencyMs: LATENCY_MS,
    now: new Date().toISOString(),
  });
});
afterAll(() => pkb?.close());

describe("a campaign under faults and SIGKILL", () => {
  it("finishes with every eligible patient holding exactly one stored code", async () => {
    const { target, workers: workerCount, open, cleanup } = await prepareTarget();
    let database: Database | undefined = await open();
    const workers: Worker[] = [];
    try {
      setDatabase(database);
      const connectionId = await sandboxConnection(pkb.sandbox.url, pkb.trustPublicId);
      const csv = await (
        await fetch(
          `${pkb.sandbox.url}/_sandbox/patients?category=any&limit=${PATIENTS}&format=csv`,
          {
            headers: { "x-sandbox-admin-key": pkb.sandbox.adminKey },
          },
        )
      ).text();
      const campaignId = await importedCampaign(connectionId, csv, {
        identifier: "nhs_number",
        givenName: "given_name",
        familyName: "family_name",
      });
      const recipients = await database.prisma.recipient.count({ where: { campaignId } });
      expect(recipients).toBeGreaterThan(19_500);
      await startEligibilityCheck(campaignId, { actor: SYSTEM_ACTOR, clientAddress: null });
      // One eligible-looking NHS number (the fixed fixture) poisons its token batch.
      const poison = "9434765919";
      await pkb.clearCalls();
      await pkb.setFaults({
        ...(LATENCY_MS > 0 ? { "*": { latencyMs: LATENCY_MS } } : {}),
        facade: { rate429: 0.05, rate500: 0.02, resetAfterCommitRate: 0.01, retryAfterSeconds: 1 },
        "facade.generate-invitation-tokens": { poisonIdentifiers: [poison] },
      });
      setDatabase(undefined);
      await database.close();
      database = undefined;

      const workersStarted = performance.now();
      const start = () => workers.push(new Worker(target, campaignId));
      for (let index = 0; index < workerCount; index++) start();
      // Three SIGKILLs of the first worker: during the check, and twice while generating.
      const kills: string[] = [];
      for (const stage of ["STATE CHECKING", "STATE GENERATING", "STATE GENERATING"]) {
        const victim = workers.find((worker) => worker.alive)!;
        await until(
          stage,
          () => workers.some((w) => w.has(stage)) || workers.some((w) => w.has("DONE")),
          workers,
        );
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        await victim.kill("SIGKILL");
        kills.push(stage);
        start();
      }
      expect(kills).toHaveLength(3);
      await until(
        "the campaign to finish",
        () => workers.some((w) => w.alive && w.has("DONE")),
        workers,
      );
      const workSeconds = (performance.now() - workersStarted) / 1000;
      for (const worker of workers) await worker.kill("SIGTERM");
      await pkb.setFaults({});
      // quality.md P4 is timed, never asserted here: bench/campaign-kill-and-fault.ts reads this.
      if (process.env.CAMPAIGN_P4_REPORT) {
        await writeFile(
          process.env.CAMPAIGN_P4_REPORT,
          JSON.stringify({ workSeconds, workers: workerCount, recipients, kills: kills.length }),
        );
      }

      database = await open();
      const db = database.prisma;
      // Invariant 1: every recipient in exactly one final state; none left behind.
      const states = await db.recipient.groupBy({
        by: ["state"],
        where: { campaignId },
        _count: true,
      });
      const byState = Object.fromEntries(states.map((row) => [row.state, row._count]));
      expect(Object.keys(byState).sort()).toEqual(["FAILED", "INELIGIBLE", "TOKEN_ISSUED"]);
      expect(byState.FAILED).toBe(1);
      const failed = await db.recipient.findFirstOrThrow({
        where: { campaignId, state: "FAILED" },
      });
      expect(failed.nationalId).toBe(poison);
      const eligible = await db.recipient.count({ where: { campaignId, bucket: "ELIGIBLE" } });
      expect(byState.TOKEN_ISSUED).toBe(eligible - 1);

      // Invariant 2 and the call log: PKB issued pairs to exactly the patients holding one; where
      // it issued a second pair (an outcome-unknown retry), the portal recorded it.
      const log = await pkb.admin("GET", "/calls?identifiers=true");
      const perIdentifier = log.tokensIssuedPerIdentifier as Record<string, number>;
      const holders = await db.recipient.findMany({
        where: { campaignId, state: "TOKEN_ISSUED" },
        select: {
          id: true,
          nationalId: true,
          tokenSealed: true,
          codeSealed: true,
          tokensIssued: true,
        },
      });
      expect(Object.keys(perIdentifier).sort()).toEqual(
        holders.map((h) => `${IDENTIFIER_SYSTEMS.nhs}|${h.nationalId}`).sort(),
      );
      for (const holder of holders) {
        expect(holder.tokensIssued).toBeGreaterThanOrEqual(
          perIdentifier[`${IDENTIFIER_SYSTEMS.nhs}|${holder.nationalId}`]!,
        );
      }
      // Invariant 3: every call within PKB's limits (one system: the sandbox 400s a mixed batch).
      expect(log.endpoints["facade.generate-invitation-tokens"].maxIdentifiers).toBeLessThanOrEqual(
        500,
      );
      expect(log.endpoints["facade.status-query"].maxIdentifiers).toBeLessThanOrEqual(5000);
      expect(log.endpoints["facade.generate-invitation-tokens"].faults).toBeGreaterThan(0);
      // Invariant 4: tokens at rest are ciphertext bound to their row; none in the workers' logs.
      const ring = parseKeyRing(getEnv().ENCRYPTION_KEYS);
      const logs = workers.map((worker) => worker.output).join("\n");
      for (const holder of holders.slice(0, 200)) {
        const token = decryptSecret(ring, holder.tokenSealed!, holder.id);
        expect(holder.tokenSealed).not.toContain(token);
        expect(logs).not.toContain(token);
        expect(logs).not.toContain(holder.nationalId);
      }
      expect((await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).state).toBe(
        "GENERATED",
      );
    } finally {
      for (const worker of workers) await worker.kill("SIGKILL");
      await database?.close();
      await cleanup();
    }
  }, 240_000);
});
