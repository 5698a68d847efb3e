import type { PgBoss } from "pg-boss";
import type { Database } from "../db.server.ts";
import { getDatabase } from "../db.server.ts";
import { getLogger } from "../logger.server.ts";
import { createBoss, type BossOptions } from "./boss.server.ts";
import { JOBS } from "./catalog.server.ts";
import type { JobDefinition } from "./define-job.ts";
import { ensureQueues, startWorkers } from "./workers.server.ts";

export interface JobRuntime {
  boss: PgBoss;
  workersRunning: boolean;
}

const holder = globalThis as unknown as {
  __pkbDeskJobs?: Promise<JobRuntime>;
  /** True only between a completed start with workers and the start of a stop. */
  __pkbDeskWorkersRunning?: boolean;
};

export interface StartJobRuntimeOptions extends BossOptions {
  runWorkers: boolean;
  /** Register the jobs' cron schedules (default true; see JOB_SCHEDULES). */
  schedules?: boolean;
  database?: Database;
  /** Defaults to the catalog; tests add their own. */
  jobs?: readonly JobDefinition[];
}

/** Starts pg-boss (creating its schema on first run) and, when asked, the workers. */
export function startJobRuntime(options: StartJobRuntimeOptions): Promise<JobRuntime> {
  holder.__pkbDeskJobs ??= (async () => {
    const database = options.database ?? (await getDatabase());
    const jobs = options.jobs ?? JOBS;
    const boss = createBoss(database, options);
    await boss.start();
    await ensureQueues(boss, jobs, { schedules: options.schedules ?? true });
    if (options.runWorkers) {
      await startWorkers(boss, database, jobs, options);
    }
    boss.on("stopped", () => (holder.__pkbDeskWorkersRunning = false));
    holder.__pkbDeskWorkersRunning = options.runWorkers;
    getLogger().info({ queues: jobs.length, workers: options.runWorkers }, "job runtime started");
    return { boss, workersRunning: options.runWorkers };
  })().catch((error: unknown) => {
    holder.__pkbDeskJobs = undefined;
    throw error;
  });
  return holder.__pkbDeskJobs;
}

/** The running job runtime; starts a sender-only one (no workers) if none is running. */
export function getJobRuntime(): Promise<JobRuntime> {
  return holder.__pkbDeskJobs ?? startJobRuntime({ runWorkers: false });
}

/** For /readyz: workers have started in this process and are not stopping. */
export function workersRunning(): boolean {
  return holder.__pkbDeskWorkersRunning === true;
}

/** Graceful: lets active jobs finish (up to `timeoutMs`), then stops. */
export async function stopJobRuntime(timeoutMs = 20_000): Promise<void> {
  const pending = holder.__pkbDeskJobs;
  holder.__pkbDeskJobs = undefined;
  holder.__pkbDeskWorkersRunning = false;
  if (!pending) return;
  const runtime = await pending;
  await runtime.boss.stop({ graceful: true, timeout: timeoutMs, close: true });
}
