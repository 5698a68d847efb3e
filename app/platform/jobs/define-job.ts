import type { z } from "zod";
import type { Database } from "../db.server.ts";

/**
 * A job type: its queue name, the zod schema of its payload and its handler. Handlers must be
 * safe to run again after a crash: durable state lives in domain tables, and an effect that must
 * happen once is written with `completeOnce` (./complete-once.server.ts) in the same transaction.
 */
export interface JobContext {
  jobId: string;
  /** 0 on the first attempt, 1 on the first retry, … */
  retryCount: number;
  database: Database;
  signal: AbortSignal;
}

export interface JobQueueOptions {
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  /** A job still active after this long is presumed dead (its worker was killed) and retried. */
  expireInSeconds?: number;
  /** How many of this job one process runs at once (default 1). */
  concurrency?: number;
  /** Cron expression, in UK local time (Europe/London), for jobs that run on a schedule. */
  cron?: string;
  /**
   * pg-boss queue policy; with a `singletonKey` on enqueue, `stately` means at most one queued
   * and one running job per key (e.g. one sync per grant). Set when the queue is created.
   */
  policy?: "standard" | "singleton" | "stately";
  /**
   * A running job's worker proves it is alive this often; a job whose heartbeat stops (its worker
   * was killed) is retried after this many seconds instead of waiting for `expireInSeconds`.
   * Suits long jobs that must not be cut short by expiry. At least 10.
   */
  heartbeatSeconds?: number;
}

export interface JobDefinition<Schema extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  payload: Schema;
  options?: JobQueueOptions;
  handler(payload: z.infer<Schema>, context: JobContext): Promise<void>;
}

export function defineJob<Schema extends z.ZodType>(
  definition: JobDefinition<Schema>,
): JobDefinition<Schema> {
  return definition;
}
