import type { z } from "zod";
import type { JobDefinition } from "./define-job.ts";
import { getJobRuntime } from "./runtime.server.ts";

/** Queues a job after validating its payload; returns the job id (null if deduplicated). */
export async function enqueue<Schema extends z.ZodType>(
  job: JobDefinition<Schema>,
  payload: z.input<Schema>,
  options: { singletonKey?: string; startAfterSeconds?: number } = {},
): Promise<string | null> {
  const data = job.payload.parse(payload) as object;
  const { boss } = await getJobRuntime();
  return boss.send(job.name, data, {
    ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
}
