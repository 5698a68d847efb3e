import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { openDatabase, type Database } from "../db.server.ts";
import { withDatabase } from "../../../tests/support/global-setup.ts";

/**
 * A worker is killed with SIGKILL in the middle of two jobs — one before its effect committed,
 * one after — and a new worker is started. Both jobs are retried and each effect happens
 * exactly once (quality.md, reliability invariant 5).
 */
class Worker {
  private output = "";
  private readonly child: ChildProcess;
  constructor(target: string, enqueue: boolean) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", "tests/support/job-worker-child.ts", target, enqueue ? "yes" : "no"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "silent" } },
    );
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }
  lines() {
    return this.output.split("\n").filter(Boolean);
  }
  async waitFor(predicate: (lines: string[]) => boolean, what: string, timeoutMs = 60_000) {
    const started = Date.now();
    while (!predicate(this.lines())) {
      if (this.child.exitCode != null) {
        throw new Error(`worker exited while waiting for ${what}:\n${this.output}`);
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(`timed out waiting for ${what}:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  async kill(signal: NodeJS.Signals) {
    if (this.child.exitCode != null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill(signal);
    await exited;
  }
}

async function prepareTarget(): Promise<{
  target: string;
  open: () => Promise<Database>;
  cleanup: () => Promise<void>;
}> {
  const url = process.env.TEST_DATABASE_URL;
  const template = inject("postgresTemplate");
  if (url && template) {
    const name = `pkbdesk_kill_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
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
  const dir = await mkdtemp(path.join(tmpdir(), "pkbdesk-kill-"));
  const target = path.join(dir, "pglite");
  return {
    target,
    open: () => openDatabase({ dataDir: target }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

describe("a worker killed with SIGKILL mid-job", () => {
  it(
    "is retried after restart and each job's effect happens exactly once",
    { timeout: 120_000 },
    async () => {
      const { target, open, cleanup } = await prepareTarget();
      try {
        // Migrate (embedded: creates the data directory) before any worker opens it.
        await (await open()).close();

        const first = new Worker(target, true);
        await first.waitFor(
          (lines) =>
            lines.includes("STARTED before-commit 0") && lines.includes("EFFECT after-commit"),
          "both jobs to reach their kill points",
        );
        await first.kill("SIGKILL");
        expect(first.lines().some((line) => line.startsWith("EFFECT before-commit"))).toBe(false);

        const second = new Worker(target, false);
        await second.waitFor(
          (lines) =>
            lines.includes("EFFECT before-commit") && lines.includes("SKIPPED after-commit"),
          "the retries to finish",
        );
        // Let pg-boss record completion, then stop gracefully.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await second.kill("SIGTERM");
        expect(second.lines()).toContain("STARTED before-commit 1");
        expect(second.lines()).toContain("STARTED after-commit 1");

        const database = await open();
        try {
          const effects = await database.prisma.auditEvent.groupBy({
            by: ["entityId"],
            where: { action: "test.effect" },
            _count: true,
          });
          expect(Object.fromEntries(effects.map((row) => [row.entityId, row._count]))).toEqual({
            "before-commit": 1,
            "after-commit": 1,
          });
          const states = await database.sql.query<{ state: string }>(
            `SELECT state FROM pgboss.job WHERE name = 'test.exactly-once' ORDER BY state`,
          );
          expect(states.map((row) => row.state)).toEqual(["completed", "completed"]);
        } finally {
          await database.close();
        }
      } finally {
        await cleanup();
      }
    },
  );
});
