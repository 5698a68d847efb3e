/**
 * A worker process for the SIGKILL test (app/platform/jobs/kill-recovery.test.ts). It runs the
 * real job runtime on a real database with one extra job type whose first attempt can be made to
 * stop and wait (to be killed) either before or after its effect commits.
 *
 * argv: <dataDir | postgres connection string> <enqueue: yes|no>
 * stdout lines: READY, ENQUEUED <id> <mode>, STARTED <key> <retryCount>, EFFECT <key>, SKIPPED <key>
 */
import { z } from "zod";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { openDatabase } from "~/platform/db.server.ts";
import { completeOnce } from "~/platform/jobs/complete-once.server.ts";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { enqueue } from "~/platform/jobs/enqueue.server.ts";
import { startJobRuntime } from "~/platform/jobs/runtime.server.ts";

const [target, shouldEnqueue] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`);
const hang = () => new Promise(() => undefined);

export const exactlyOnceJob = defineJob({
  name: "test.exactly-once",
  description: "Test job: one audit row per key, whatever happens to the worker",
  payload: z.object({ key: z.string(), killPoint: z.enum(["before-commit", "after-commit"]) }),
  options: {
    expireInSeconds: 5,
    retryLimit: 5,
    retryDelaySeconds: 0,
    retryBackoff: false,
    concurrency: 2,
  },
  async handler({ key, killPoint }, { database, retryCount }) {
    say(`STARTED ${key} ${retryCount}`);
    if (retryCount === 0 && killPoint === "before-commit") await hang();
    const did = await database.prisma.$transaction(async (tx) => {
      if (!(await completeOnce(tx, `test.exactly-once:${key}`))) return false;
      await recordAudit(tx, {
        actor: { id: null, label: "system" },
        action: "test.effect",
        entityType: "test",
        entityId: key,
      });
      return true;
    });
    say(`${did ? "EFFECT" : "SKIPPED"} ${key}`);
    if (retryCount === 0 && killPoint === "after-commit") await hang();
  },
});

const database = target!.startsWith("postgres")
  ? await openDatabase({ connectionString: target })
  : await openDatabase({ dataDir: target });
await startJobRuntime({
  runWorkers: true,
  database,
  jobs: [exactlyOnceJob],
  superviseIntervalSeconds: 1,
  monitorIntervalSeconds: 1,
  queueCacheIntervalSeconds: 1,
  pollingIntervalSeconds: 0.5,
});
if (shouldEnqueue === "yes") {
  for (const killPoint of ["before-commit", "after-commit"] as const) {
    const id = await enqueue(exactlyOnceJob, { key: killPoint, killPoint });
    say(`ENQUEUED ${id} ${killPoint}`);
  }
}
say("READY");
