import { closeDatabase, getDatabase } from "./db.server.ts";
import { getEnv } from "./env.server.ts";
import { getLogger } from "./logger.server.ts";
import { migrationsUpToDate } from "./migrator.server.ts";
import { startJobRuntime, stopJobRuntime, workersRunning } from "./jobs/runtime.server.ts";

/**
 * Start-up and shut-down of everything the web process owns. Exported from entry.server so the
 * HTTP server (server/index.ts) drives the very module instances the routes use.
 */
export async function startPlatform(): Promise<void> {
  const env = getEnv();
  const database = await getDatabase();
  await startJobRuntime({
    runWorkers: env.RUN_WORKERS,
    schedules: env.JOB_SCHEDULES,
    database,
  });
  getLogger().info({ backend: database.backend, workers: env.RUN_WORKERS }, "platform started");
}

export async function stopPlatform(): Promise<void> {
  await stopJobRuntime();
  await closeDatabase();
  getLogger().info("platform stopped");
}

export interface PlatformStatus {
  database: boolean;
  migrations: boolean;
  workers: boolean;
}

/** For /readyz: database reachable, migrations applied, workers running (where expected). */
export async function platformStatus(): Promise<PlatformStatus> {
  const status: PlatformStatus = { database: false, migrations: false, workers: false };
  try {
    const database = await getDatabase();
    await database.sql.query("SELECT 1");
    status.database = true;
    status.migrations = await migrationsUpToDate(database.sql);
  } catch (error) {
    getLogger().warn({ err: error }, "readiness check failed");
  }
  // When workers run in their own process (RUN_WORKERS=false) this process is ready without them.
  status.workers = getEnv().RUN_WORKERS ? workersRunning() : true;
  return status;
}
