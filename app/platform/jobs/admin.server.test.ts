import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { defineJob } from "./define-job.ts";
import { enqueue } from "./enqueue.server.ts";
import { recentFailures, retryFailedJob } from "./admin.server.ts";
import { getJobRuntime, startJobRuntime, stopJobRuntime } from "./runtime.server.ts";
import { JOBS } from "./catalog.server.ts";

const database = withTestDatabase();
afterAll(() => stopJobRuntime());

let attempts = 0;
// Fails on its first run, succeeds when an admin retries it.
const flakyJob = defineJob({
  name: "auth.housekeeping",
  description: "stands in for a catalogue job so the admin functions accept it",
  payload: z.object({}).passthrough(),
  options: { retryLimit: 0, expireInSeconds: 60 },
  async handler() {
    attempts += 1;
    if (attempts === 1) throw new Error("PKB answered 503 Service Unavailable");
  },
});

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("condition not met in time");
}

describe("job admin", () => {
  it("lists a failed job with its error, and an admin's retry runs it again to completion", async () => {
    expect(JOBS.some((job) => job.name === flakyJob.name)).toBe(true);
    await startJobRuntime({
      runWorkers: true,
      database: database.current(),
      jobs: [flakyJob],
      pollingIntervalSeconds: 0.5,
    });
    const id = await enqueue(flakyJob, {});
    const failures = await waitFor(
      () => recentFailures(database.current()),
      (rows) => rows.some((row) => row.id === id),
    );
    expect(failures.find((row) => row.id === id)).toMatchObject({
      queue: "auth.housekeeping",
      error: "PKB answered 503 Service Unavailable",
    });

    expect(await retryFailedJob("no.such.queue", id!)).toBe(false);
    expect(await retryFailedJob(flakyJob.name, id!)).toBe(true);
    const { boss } = await getJobRuntime();
    const job = await waitFor(
      () => boss.getJobById(flakyJob.name, id!),
      (value) => value?.state === "completed",
    );
    expect(job?.state).toBe("completed");
    expect(attempts).toBe(2);
    // A completed job cannot be "retried".
    expect(await retryFailedJob(flakyJob.name, id!)).toBe(false);
  });
});
