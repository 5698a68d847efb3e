import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Role } from "~/generated/prisma/enums.ts";
import { upsertStaffAccount } from "~/modules/auth/staff-seed.server.ts";
import { openDatabase, type Database } from "~/platform/db.server.ts";
import { freePort, STAFF_BY_ROLE, TEST_PASSWORD } from "./portal-process.ts";

/**
 * A portal process like startPortal's (the production build behind server/index.ts, the same
 * seeded staff) that can be stopped and started again on the same embedded database and address.
 * Between the two runs the test has the database to itself (PGlite allows one process), which is
 * how a browser test lets hours pass for rules that count them: it moves the stored times back.
 */
export interface RestartablePortal {
  url: string;
  logs: () => string;
  /** Stops the portal, runs `between` on its database, and starts it again at the same URL. */
  restart(between?: (database: Database) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export async function startRestartablePortal(
  env: Record<string, string> = {},
  prepare?: (database: Database) => Promise<void>,
): Promise<RestartablePortal> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "pkbdesk-e2e-"));
  const pgliteDir = path.join(dataDir, "pglite");
  const database = await openDatabase({ dataDir: pgliteDir });
  for (const [role, staff] of Object.entries(STAFF_BY_ROLE)) {
    await upsertStaffAccount(database.prisma, {
      ...staff,
      role: role as Role,
      password: TEST_PASSWORD,
    });
  }
  // As in startPortal: the seeded staff sign in with the password alone (ADR 0017).
  await database.prisma.twoStepRolePolicy.createMany({
    data: Object.keys(STAFF_BY_ROLE).map((role) => ({ role: role as Role, required: false })),
    skipDuplicates: true,
  });
  await prepare?.(database);
  await database.close();

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  let child: ChildProcess | undefined;

  async function start() {
    const started = spawn(process.execPath, ["--import", "tsx", "server/index.ts"], {
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        HOST: "127.0.0.1",
        APP_ORIGIN: url,
        PGLITE_DATA_DIR: pgliteDir,
        SESSION_SECRET: "e2e-session-secret-that-is-long-enough-123",
        ENCRYPTION_KEYS: `e2e1:${Buffer.alloc(32, 7).toString("base64")}`,
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    started.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    for (let attempt = 0; ; attempt += 1) {
      if (started.exitCode != null) throw new Error(`portal exited early:\n${output}`);
      try {
        if ((await fetch(`${url}/readyz`)).ok) return;
      } catch {
        // not up yet
      }
      if (attempt > 480) throw new Error(`portal did not become ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function halt() {
    const running = child;
    if (running && running.exitCode == null) {
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGTERM");
      await exited;
    }
  }

  await start();
  return {
    url,
    logs: () => output,
    async restart(between) {
      await halt();
      if (between) {
        const db = await openDatabase({ dataDir: pgliteDir });
        try {
          await between(db);
        } finally {
          await db.close();
        }
      }
      await start();
    },
    async stop() {
      await halt();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
