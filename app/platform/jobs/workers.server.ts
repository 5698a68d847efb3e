import type { PgBoss } from "pg-boss";
import { getLogger } from "../logger.server.ts";
import { UK_TIME_ZONE } from "../uk-time.ts";
import type { Database } from "../db.server.ts";
import type { JobDefinition } from "./define-job.ts";

const DEFAULTS = {
  retryLimit: 5,
  retryDelaySeconds: 10,
  retryBackoff: true,
  expireInSeconds: 15 * 60,
};

/** Creates (or updates) each job's queue with its retry and expiry policy, and its schedule. */
export async function ensureQueues(
  boss: PgBoss,
  jobs: readonly JobDefinition[],
  options: { schedules: boolean } = { schedules: true },
): Promise<void> {
  for (const job of jobs) {
    const settings = { ...DEFAULTS, ...job.options };
    const queue = {
      retryLimit: settings.retryLimit,
      retryDelay: settings.retryDelaySeconds,
      retryBackoff: settings.retryBackoff,
      expireInSeconds: settings.expireInSeconds,
      ...(settings.heartbeatSeconds ? { heartbeatSeconds: settings.heartbeatSeconds } : {}),
    };
    const existing = await boss.getQueue(job.name);
    if (existing) await boss.updateQueue(job.name, queue);
    // The policy is fixed when the queue is created (pg-boss cannot change it later).
    else await boss.createQueue(job.name, { ...queue, policy: settings.policy ?? "standard" });
    // Schedules read as UK wall-clock time, so "02:00" stays 02:00 across the clock changes.
    if (settings.cron && options.schedules) {
      await boss.schedule(job.name, settings.cron, {}, { tz: UK_TIME_ZONE });
    }
  }
}

/** Starts a worker per job type. Payloads are parsed with the job's zod schema before handling. */
export async function startWorkers(
  boss: PgBoss,
  database: Database,
  jobs: readonly JobDefinition[],
  options: { pollingIntervalSeconds?: number } = {},
): Promise<void> {
  const logger = getLogger();
  for (const job of jobs) {
    await boss.work<unknown>(
      job.name,
      {
        batchSize: 1,
        localConcurrency: job.options?.concurrency ?? 1,
        pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
      },
      async ([received]) => {
        if (!received) return;
        const started = Date.now();
        const payload = job.payload.safeParse(received.data);
        if (!payload.success) {
          // A malformed payload will not improve on retry, but failing keeps it visible to admins.
          throw new Error(
            `invalid payload for ${job.name}: ${payload.error.issues.length} issue(s)`,
          );
        }
        await job.handler(payload.data, {
          jobId: received.id,
          retryCount: received.retryCount,
          database,
          signal: received.signal,
        });
        logger.info(
          {
            job: job.name,
            jobId: received.id,
            retryCount: received.retryCount,
            ms: Date.now() - started,
          },
          "job completed",
        );
      },
    );
  }
}
