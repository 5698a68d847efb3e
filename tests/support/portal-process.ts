import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Role } from "~/generated/prisma/enums.ts";
import { upsertStaffAccount } from "~/modules/auth/staff-seed.server.ts";
import { openDatabase, type Database } from "~/platform/db.server.ts";

/** A real portal process (the production build behind server/index.ts) for browser tests. */
export interface RunningPortal {
  url: string;
  dataDir: string;
  logs: () => string;
  stop(): Promise<void>;
}

export const TEST_PASSWORD = "correct horse battery staple";

export const STAFF_BY_ROLE: Record<
  Role,
  { email: string; displayName: string; teamNames: string[] }
> = {
  ADMIN: { email: "admin@e2e.test", displayName: "Ada Admin", teamNames: [] },
  CAMPAIGN_MANAGER: { email: "campaigns@e2e.test", displayName: "Cam Campaign", teamNames: [] },
  TEAM_LEAD: {
    email: "lead@e2e.test",
    displayName: "Lou Lead",
    teamNames: ["Cardiology appointments"],
  },
  REQUEST_HANDLER: {
    email: "handler@e2e.test",
    displayName: "Hal Handler",
    teamNames: ["Cardiology appointments"],
  },
  VIEWER: { email: "viewer@e2e.test", displayName: "Val Viewer", teamNames: [] },
  KIOSK: { email: "kiosk@e2e.test", displayName: "Outpatients kiosk", teamNames: [] },
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export async function startPortal(
  env: Record<string, string> = {},
  /** Extra set-up on the portal's database before it starts (e.g. a PKB connection). */
  prepare?: (database: Database) => Promise<void>,
): Promise<RunningPortal> {
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
  // Two-step sign-in is off for the seeded staff so every browser test signs in with the
  // password alone; tests/e2e/two-step.test.ts turns it on where it tests it (ADR 0017).
  await database.prisma.twoStepRolePolicy.createMany({
    data: Object.keys(STAFF_BY_ROLE).map((role) => ({ role: role as Role, required: false })),
    skipDuplicates: true,
  });
  await prepare?.(database);
  await database.close();

  // A test that must know the address before the start (e.g. to register it with an identity
  // provider) passes PORT; APP_ORIGIN follows it.
  const port = env.PORT ? Number(env.PORT) : await freePort();
  let output = "";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/index.ts"], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      APP_ORIGIN: `http://127.0.0.1:${port}`,
      PGLITE_DATA_DIR: pgliteDir,
      SESSION_SECRET: "e2e-session-secret-that-is-long-enough-123",
      ENCRYPTION_KEYS: `e2e1:${Buffer.alloc(32, 7).toString("base64")}`,
      LOG_LEVEL: "info",
      // No scheduled run (five-minute request sync, hourly tracking) may land mid-test: the tests
      // start every run they need themselves.
      JOB_SCHEDULES: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode != null) throw new Error(`portal exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not up yet
    }
    // Two minutes: a first start on a busy CI machine (PGlite initdb + migrations) can take one.
    if (attempt > 480) throw new Error(`portal did not become ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    dataDir: pgliteDir,
    logs: () => output,
    async stop() {
      if (child.exitCode == null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
