/**
 * A worker process for the request-sync SIGKILL test (app/modules/requests/sync/kill-recovery.test.ts).
 * It runs the real job runtime with the real `requests.sync` job on an embedded database that
 * already holds a PKB connection and grant (pointing at a sandbox in the test process).
 *
 * argv: <dataDir> <grantId> <enqueue: yes|no>
 * stdout lines: READY, ENQUEUED, SYNCED <runs> (once a run has succeeded)
 */
import { requestSyncJob } from "~/modules/requests/jobs.server.ts";
import { openDatabase, setDatabase } from "~/platform/db.server.ts";
import { enqueue } from "~/platform/jobs/enqueue.server.ts";
import { startJobRuntime } from "~/platform/jobs/runtime.server.ts";

const [dataDir, grantId, shouldEnqueue] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`);

const database = await openDatabase({ dataDir: dataDir! });
// The grant module reads the process database: this one.
setDatabase(database);
await startJobRuntime({
  runWorkers: true,
  database,
  jobs: [requestSyncJob],
  superviseIntervalSeconds: 1,
  monitorIntervalSeconds: 1,
  queueCacheIntervalSeconds: 1,
  pollingIntervalSeconds: 0.5,
});
if (shouldEnqueue === "yes") {
  await enqueue(
    requestSyncJob,
    { grantId: grantId!, trigger: "manual" },
    { singletonKey: grantId! },
  );
  say("ENQUEUED");
}
say("READY");
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const succeeded = await database.prisma.requestSyncRun.count({
    where: { grantId: grantId!, status: "SUCCEEDED" },
  });
  if (succeeded > 0) {
    say(`SYNCED ${succeeded}`);
    break;
  }
}
