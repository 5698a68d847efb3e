import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { endpointsForOrigin } from "~/modules/pkb/endpoints.ts";
import { userTokenSource } from "~/modules/pkb/grants.server.ts";
import { restClient } from "~/modules/pkb/rest-client.server.ts";
import { openDatabase, setDatabase } from "~/platform/db.server.ts";
import { startSandbox } from "../../../../sandbox/src/server.ts";
import { grantOnSandbox } from "../../../../tests/support/requests-sync.ts";

/**
 * A worker running the real `requests.sync` job against the sandbox (real HTTP, real grant) is
 * killed with SIGKILL in the middle of a run; a new worker is started. Afterwards every message
 * the sandbox lists is stored exactly once (request or counted non-request), the killed run is
 * marked interrupted, and the sandbox's call log shows the resumed sync read on from the stored
 * cursor instead of from the beginning (quality.md invariants 1, 2 and 5).
 *
 * Embedded PGlite belongs to one process, so the test opens the database only while no worker runs.
 */
class Worker {
  private output = "";
  private readonly child: ChildProcess;
  constructor(dataDir: string, grantId: string, enqueue: boolean) {
    this.child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "tests/support/request-sync-worker-child.ts",
        dataDir,
        grantId,
        enqueue ? "yes" : "no",
      ],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "silent" } },
    );
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }
  lines() {
    return this.output.split("\n").filter(Boolean);
  }
  async waitFor(predicate: () => boolean, what: string, timeoutMs = 90_000) {
    const started = Date.now();
    while (!predicate()) {
      if (this.child.exitCode != null) {
        throw new Error(`worker exited while waiting for ${what}:\n${this.output}`);
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(`timed out waiting for ${what}:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  async kill(signal: NodeJS.Signals) {
    if (this.child.exitCode != null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill(signal);
    await exited;
  }
}

describe("a request sync killed with SIGKILL mid-run", () => {
  it(
    "resumes in a new worker with no request lost or stored twice",
    { timeout: 240_000 },
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "pkbdesk-sync-kill-"));
      const dataDir = path.join(dir, "pglite");
      // Latency makes each page take a while, so the kill lands inside one.
      const sandbox = await startSandbox({
        port: 0,
        patients: 2500,
        seed: 5,
        now: "2026-11-21T10:00:00Z",
        frozenClock: true,
        latencyMs: 15,
      });
      const calls = (endpoint: string) =>
        sandbox.app.calls.summary({ includeIdentifiers: false }).endpoints[endpoint]?.calls ?? 0;
      try {
        let database = await openDatabase({ dataDir });
        setDatabase(database);
        const grantId = await grantOnSandbox(sandbox);
        setDatabase(undefined);
        await database.close();
        sandbox.app.calls.clear();

        const first = new Worker(dataDir, grantId, true);
        // Kill once the first page has committed and the next is being prepared.
        await first.waitFor(
          () => calls("rest.messages-after") >= 3,
          "the sync to read its third page",
        );
        const searchesAtPageStart = calls("aggregated.appointment-search");
        await first.waitFor(
          () => calls("aggregated.appointment-search") >= searchesAtPageStart + 20,
          "the third page to be half prepared",
        );
        await first.kill("SIGKILL");
        const pagesBeforeKill = calls("rest.messages-after");

        const second = new Worker(dataDir, grantId, true);
        await second.waitFor(
          () => second.lines().some((l) => l.startsWith("SYNCED")),
          "the resumed sync to succeed",
        );
        await second.kill("SIGTERM");
        const pagesInAll = calls("rest.messages-after");

        database = await openDatabase({ dataDir });
        setDatabase(database);
        try {
          const rest = restClient({
            endpoints: endpointsForOrigin(sandbox.url),
            token: userTokenSource(grantId),
          });
          const listed: string[] = [];
          for await (const page of rest.messagePages({ afterMs: 0, idsAtCursor: [] })) {
            listed.push(...page.messages.map((m) => m.id));
          }
          const db = database.prisma;
          const requests = await db.appointmentRequest.findMany({
            where: { grantId },
            select: { pkbMessageId: true },
          });
          const others = await db.nonRequestMessage.findMany({
            where: { grantId },
            select: { pkbMessageId: true },
          });
          const stored = [...requests, ...others].map((r) => r.pkbMessageId);
          expect(listed.length).toBeGreaterThan(300);
          expect(stored.length).toBe(listed.length);
          expect([...stored].sort()).toEqual([...listed].sort());

          const runs = await db.requestSyncRun.findMany({
            where: { grantId },
            orderBy: { startedAt: "asc" },
          });
          expect(runs[0]?.status).toBe("INTERRUPTED");
          // The killed job's retry and the new worker's own sync both run (one at a time); the
          // worker is stopped as soon as one has succeeded, so a later one may show as running.
          expect(runs.some((r) => r.status === "SUCCEEDED")).toBe(true);
          // Counters are committed with each page: together they add up to every message once.
          expect(runs.reduce((sum, r) => sum + r.requests + r.nonRequests, 0)).toBe(listed.length);
          expect(runs[0]!.pages).toBeGreaterThanOrEqual(1);
          // The resumed run read on from the cursor: the interrupted page once more at most,
          // never the pages already stored (each run also makes one final empty read).
          const pagesNeeded = Math.ceil(listed.length / 100);
          expect(pagesInAll - pagesBeforeKill).toBeLessThanOrEqual(
            pagesNeeded - runs[0]!.pages + 2 * (runs.length - 1),
          );
          process.stdout.write(
            `kill test: ${listed.length} messages; killed after ${runs[0]!.pages} committed page(s) ` +
              `and ${pagesBeforeKill} page reads; ${runs.length} runs ` +
              `(${runs.map((r) => r.status).join(", ")}); ${pagesInAll} page reads in all\n`,
          );
        } finally {
          setDatabase(undefined);
          await database.close();
        }
      } finally {
        await sandbox.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
