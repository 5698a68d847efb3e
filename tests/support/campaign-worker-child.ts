/**
 * A worker process for the campaign kill-and-fault test (app/modules/campaigns/kill-and-fault.test.ts):
 * the real job runtime and the real batch-driver job (with short expiry, leases and run slices so
 * a SIGKILL costs seconds, not minutes), on a real database.
 *
 * argv: <dataDir | postgres connection string> <campaignId>
 * stdout lines: READY, STATE <state>, DONE
 */
import {
  batchDriverJob,
  startDrivers,
} from "~/modules/campaigns/batches/batch-driver.job.server.ts";
import { CampaignTransitionError } from "~/modules/campaigns/lifecycle.server.ts";
import { startTokenGeneration } from "~/modules/campaigns/tokens/tokens.server.ts";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { openDatabase, setDatabase } from "~/platform/db.server.ts";
import { startJobRuntime } from "~/platform/jobs/runtime.server.ts";

const [target, campaignId] = process.argv.slice(2) as [string, string];
const say = (line: string) => process.stdout.write(`${line}\n`);
const TUNING = { maxRunMs: 2_000, leaseMs: 3_000 };

const database = target.startsWith("postgres")
  ? await openDatabase({ connectionString: target, skipMigrations: true })
  : await openDatabase({ dataDir: target });
setDatabase(database);
await startJobRuntime({
  runWorkers: true,
  database,
  jobs: [
    {
      ...batchDriverJob,
      options: { ...batchDriverJob.options, expireInSeconds: 4, retryDelaySeconds: 0 },
    },
  ],
  superviseIntervalSeconds: 1,
  monitorIntervalSeconds: 1,
  queueCacheIntervalSeconds: 1,
  pollingIntervalSeconds: 0.5,
});
say("READY");

let last = "";
let kicked = false;
for (;;) {
  const campaign = await database.prisma.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { state: true, concurrency: true },
  });
  if (campaign.state !== last) {
    say(`STATE ${(last = campaign.state)}`);
    if (campaign.state === "GENERATED") say("DONE");
  }
  if (!kicked && (campaign.state === "CHECKING" || campaign.state === "GENERATING")) {
    // After a restart: queue drivers again (pg-boss also retries the killed ones; extra drivers
    // find the batches leased and stop).
    kicked = true;
    const operation = campaign.state === "CHECKING" ? "STATUS_QUERY" : "GENERATE_TOKENS";
    await startDrivers(campaignId, operation, campaign.concurrency, TUNING);
  }
  if (campaign.state === "READY") {
    try {
      await startTokenGeneration(campaignId, { actor: SYSTEM_ACTOR, clientAddress: null });
      await startDrivers(campaignId, "GENERATE_TOKENS", campaign.concurrency, TUNING);
    } catch (error) {
      // The other worker process started it first.
      if (!(error instanceof CampaignTransitionError)) throw error;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
