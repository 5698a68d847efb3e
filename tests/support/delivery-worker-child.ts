/**
 * A worker process for the SIGKILL-mid-wave test (app/modules/campaigns/delivery/wave-kill.test.ts):
 * the real job runtime and the real delivery-wave job on a real database, with short slices,
 * expiry and stale-claim age so a SIGKILL costs seconds, not minutes.
 *
 * argv: <dataDir | postgres connection string> <waveId>
 * stdout lines: READY, STATE <wave state>, DONE
 */
import { deliveryWaveJob, enqueueWave } from "~/modules/campaigns/delivery/wave.job.server.ts";
import { openDatabase, setDatabase } from "~/platform/db.server.ts";
import { startJobRuntime } from "~/platform/jobs/runtime.server.ts";

const [target, waveId] = process.argv.slice(2) as [string, string];
const say = (line: string) => process.stdout.write(`${line}\n`);

const database = target.startsWith("postgres")
  ? await openDatabase({ connectionString: target, skipMigrations: true })
  : await openDatabase({ dataDir: target });
setDatabase(database);
await startJobRuntime({
  runWorkers: true,
  database,
  jobs: [
    {
      ...deliveryWaveJob,
      options: { ...deliveryWaveJob.options, expireInSeconds: 6, retryDelaySeconds: 0 },
    },
  ],
  superviseIntervalSeconds: 1,
  monitorIntervalSeconds: 1,
  queueCacheIntervalSeconds: 1,
  pollingIntervalSeconds: 0.5,
});
// A restarted worker queues the wave again (pg-boss also retries the killed slice once it
// expires; two slices of one wave are safe: each claim is its own committed row).
await enqueueWave(waveId, { maxRunMs: 2_000, staleMs: 4_000, concurrency: 2 });
say("READY");

let last = "";
for (;;) {
  const wave = await database.prisma.deliveryWave.findUniqueOrThrow({
    where: { id: waveId },
    select: { state: true },
  });
  if (wave.state !== last) {
    say(`STATE ${(last = wave.state)}`);
    if (wave.state === "DONE") say("DONE");
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
