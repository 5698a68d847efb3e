import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { openDatabase, setDatabase, type Database } from "~/platform/db.server.ts";
import { startSandbox, type RunningSandbox } from "../../../../sandbox/src/server.ts";
import { withDatabase } from "../../../../tests/support/global-setup.ts";
import { offlineConnection } from "../testing.server.ts";
import { startWave } from "./delivery.server.ts";
import { DISPATCH_MESSAGES } from "./dispatch-store.server.ts";
import { configureSandboxNotify, seedGeneratedCampaign } from "./testing.server.ts";

/**
 * quality.md invariant 5 for delivery (H4): a real worker process running an SMS wave through the
 * sandbox's Notify is killed with SIGKILL while a send is in flight; a new worker finishes the wave.
 * Judged by the sandbox's own record of sends: nobody is texted twice, every patient whose
 * dispatch is SENT has exactly their two texts, and the send in flight at the kill (which the
 * sandbox carried out although its caller died) is OUTCOME_UNKNOWN for a person, never resent.
 * No timing is tight: the kill waits for a request the proxy below has seen arrive and not yet
 * answered, and every later step polls for a state. Runs on PGlite, and on PostgreSQL when
 * TEST_DATABASE_URL is set.
 */
const PATIENTS = 30;
let sb: RunningSandbox;
let proxy: Server;
let proxyUrl: string;
/** Notify requests the proxy has forwarded and the sandbox has not answered yet. */
let inFlight = 0;

class Worker {
  output = "";
  private readonly child: ChildProcess;
  constructor(target: string, waveId: string) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", "tests/support/delivery-worker-child.ts", target, waveId],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "warn" } },
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

async function until(what: string, check: () => boolean | Promise<boolean>, workers: Worker[]) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 150_000) {
      throw new Error(
        `timed out waiting for ${what}:\n${workers.map((w) => w.output.slice(-3000)).join("\n---\n")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function admin(method: string, route: string, body?: unknown) {
  const response = await fetch(`${sb.url}/_sandbox${route}`, {
    method,
    headers: { "x-sandbox-admin-key": sb.adminKey, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, unknown>;
}

interface Send {
  normalisedTo: string;
  reference: string;
}
async function sandboxSends(): Promise<Send[]> {
  return (await admin("GET", "/notify/sends?limit=100000")).sends as Send[];
}

async function prepareTarget() {
  const url = process.env.TEST_DATABASE_URL;
  const template = inject("postgresTemplate");
  if (url && template) {
    const name = `pkbdesk_wave_kill_${randomBytes(4).toString("hex")}`;
    const adminClient = new pg.Client({ connectionString: url });
    await adminClient.connect();
    await adminClient.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await adminClient.end();
    const target = withDatabase(url, name);
    return {
      target,
      open: () => openDatabase({ connectionString: target, skipMigrations: true }),
      cleanup: async () => {
        const dropper = new pg.Client({ connectionString: url });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropper.end();
      },
    };
  }
  const dir = await mkdtemp(path.join(tmpdir(), "pkbdesk-wave-kill-"));
  const target = path.join(dir, "pglite");
  return {
    target,
    open: () => openDatabase({ dataDir: target }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

beforeAll(async () => {
  sb = await startSandbox({ port: 0, patients: 5 });
  const upstream = new URL(sb.url);
  // Counts requests in flight. It never aborts the upstream request when the caller dies: what
  // the worker wrote in full reaches Notify, as it would in real life.
  proxy = createServer((req, res) => {
    inFlight++;
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.on("error", () => undefined);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", () => inFlight--);
      },
    );
    forward.on("error", () => {
      inFlight--;
      res.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await sb?.close();
});

describe("an SMS wave whose worker is SIGKILLed mid-wave", () => {
  it(
    "never texts anyone twice; the send in flight at the kill waits for a person",
    { timeout: 300_000 },
    async () => {
      const { target, open, cleanup } = await prepareTarget();
      let database: Database | undefined = await open();
      const workers: Worker[] = [];
      try {
        setDatabase(database);
        const connectionId = await offlineConnection();
        const { campaignId, recipientIds } = await seedGeneratedCampaign(
          connectionId,
          Array.from({ length: PATIENTS }, () => ({})),
        );
        await configureSandboxNotify(proxyUrl);
        const { waveId } = await startWave(campaignId, "SMS", {
          actor: SYSTEM_ACTOR,
          clientAddress: null,
        });
        await admin("DELETE", "/notify/sends");
        await admin("PUT", "/faults", { notify: { latencyMs: 50 } });
        setDatabase(undefined);
        await database.close();
        database = undefined;

        const first = new Worker(target, waveId);
        workers.push(first);
        await until(
          "a third of the texts",
          async () => (await sandboxSends()).length >= 20,
          workers,
        );
        // Slow Notify right down, then kill the worker once a send has arrived and not been answered.
        await admin("PUT", "/faults", { notify: { latencyMs: 4_000 } });
        const sentBefore = (await sandboxSends()).length;
        await until("a send in flight at the slow Notify", () => inFlight > 0, workers);
        await first.kill("SIGKILL");
        // The sandbox carries out what it was sent, although its caller is gone.
        await until("the in-flight sends to land", () => inFlight === 0, workers);
        const atKill = await sandboxSends();
        expect(atKill.length).toBeGreaterThan(sentBefore);
        await admin("PUT", "/faults", { notify: { latencyMs: 50 } });

        // What the dead worker left: claims nobody settled.
        database = await open();
        const orphaned = await database.prisma.invitationDispatch.findMany({
          where: { campaignId, state: "CLAIMED" },
          select: { id: true, recipientId: true },
        });
        expect(orphaned.length).toBeGreaterThan(0);
        await database.close();
        database = undefined;

        const second = new Worker(target, waveId);
        workers.push(second);
        await until("the wave to finish", () => second.has("DONE"), workers);
        await second.kill("SIGTERM");

        database = await open();
        const db = database.prisma;
        const dispatches = await db.invitationDispatch.findMany({
          where: { campaignId },
          select: { id: true, recipientId: true, state: true, reason: true },
        });
        // Every patient has exactly one dispatch, and none is left "sending".
        expect(dispatches).toHaveLength(PATIENTS);
        expect(new Set(dispatches.map((d) => d.recipientId)).size).toBe(PATIENTS);
        expect(dispatches.filter((d) => d.state === "CLAIMED")).toEqual([]);

        const sends = await sandboxSends();
        const perDispatch = new Map<string, number>();
        for (const s of sends) {
          const id = s.reference.split(".")[0]!;
          perDispatch.set(id, (perDispatch.get(id) ?? 0) + 1);
        }
        const perReference = new Map<string, number>();
        for (const s of sends) {
          perReference.set(s.reference, (perReference.get(s.reference) ?? 0) + 1);
        }
        // Nobody texted twice: each part at most once, each patient at most their two texts.
        expect([...perReference.values()].every((n) => n === 1)).toBe(true);
        const perMobile = new Map<string, number>();
        for (const s of sends) {
          perMobile.set(s.normalisedTo, (perMobile.get(s.normalisedTo) ?? 0) + 1);
        }
        expect([...perMobile.values()].every((n) => n <= 2)).toBe(true);

        for (const d of dispatches) {
          if (d.state === "SENT" || d.state === "DELIVERED") expect(perDispatch.get(d.id)).toBe(2);
        }
        // The claims in flight at the kill: waiting for a person with the reason, never resent.
        // (A second loop may have claimed and died before writing its request: also unknown.)
        const reachedNotify: string[] = [];
        for (const claim of orphaned) {
          const now = dispatches.find((d) => d.id === claim.id)!;
          expect(now.state).toBe("OUTCOME_UNKNOWN");
          expect(now.reason).toBe(DISPATCH_MESSAGES.staleClaim);
          const before = atKill.filter((s) => s.reference.startsWith(claim.id)).length;
          if (before > 0) reachedNotify.push(claim.id);
          expect(sends.filter((s) => s.reference.startsWith(claim.id)).length).toBe(before);
        }
        expect(reachedNotify.length).toBeGreaterThan(0);
        // The rest were sent by the two workers, each once.
        const unknown = dispatches.filter((d) => d.state === "OUTCOME_UNKNOWN");
        expect(dispatches.filter((d) => d.state === "SENT").length + unknown.length).toBe(PATIENTS);
        expect(recipientIds).toHaveLength(PATIENTS);
      } finally {
        for (const worker of workers) await worker.kill("SIGKILL");
        setDatabase(undefined);
        await database?.close();
        await cleanup();
      }
    },
  );
});
