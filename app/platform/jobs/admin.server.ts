import type { Database } from "../db.server.ts";
import { getJobRuntime } from "./runtime.server.ts";
import { JOBS } from "./catalog.server.ts";

/** What the admin jobs page shows: per-queue counts and the most recent failures. */
export interface QueueSummary {
  name: string;
  description: string;
  queued: number;
  active: number;
  failed: number;
  total: number;
}

export interface FailedJob {
  id: string;
  queue: string;
  failedAt: Date | null;
  retryCount: number;
  error: string;
}

export async function queueSummaries(): Promise<QueueSummary[]> {
  const { boss } = await getJobRuntime();
  const queues = await boss.getQueues(JOBS.map((job) => job.name));
  const byName = new Map(queues.map((queue) => [queue.name, queue]));
  return JOBS.map((job) => {
    const queue = byName.get(job.name);
    return {
      name: job.name,
      description: job.description,
      queued: queue?.queuedCount ?? 0,
      active: queue?.activeCount ?? 0,
      failed: queue?.failedCount ?? 0,
      total: queue?.totalCount ?? 0,
    };
  });
}

/**
 * Recent terminal failures with their error message. pg-boss has no "list failed jobs" call,
 * so this reads its job table directly (read-only).
 */
export async function recentFailures(database: Database, limit = 25): Promise<FailedJob[]> {
  await getJobRuntime(); // pg-boss creates its schema when it first starts
  const rows = await database.sql.query<{
    id: string;
    name: string;
    completed_on: Date | null;
    retry_count: number;
    output: unknown;
  }>(
    `SELECT id::text, name, completed_on, retry_count, output
       FROM pgboss.job WHERE state = 'failed' AND name = ANY($1::text[])
      ORDER BY completed_on DESC NULLS LAST LIMIT $2`,
    [JOBS.map((job) => job.name), limit],
  );
  return rows.map((row) => ({
    id: row.id,
    queue: row.name,
    failedAt: row.completed_on,
    retryCount: row.retry_count,
    error: describeFailure(row.output),
  }));
}

function describeFailure(output: unknown): string {
  if (output && typeof output === "object") {
    const value = output as { message?: unknown; value?: unknown };
    if (typeof value.message === "string") return value.message;
    if (typeof value.value === "string") return value.value;
  }
  return "No error message recorded";
}

export async function retryFailedJob(queue: string, id: string): Promise<boolean> {
  if (!JOBS.some((job) => job.name === queue)) return false;
  const { boss } = await getJobRuntime();
  const job = await boss.getJobById(queue, id);
  if (!job || job.state !== "failed") return false;
  await boss.retry(queue, id);
  return true;
}
