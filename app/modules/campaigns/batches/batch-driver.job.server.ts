import { z } from "zod";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { prisma } from "~/platform/db.server.ts";
import { runBatchDriver } from "./batch-driver.server.ts";
import { campaignFacade } from "./facade-factory.server.ts";

const DriverPayload = z.object({
  campaignId: z.uuid(),
  operation: z.enum(["STATUS_QUERY", "GENERATE_TOKENS"]),
  slot: z.number().int().min(0),
  /** A driver hands over to a successor after this long, so no job outlives its expiry. */
  maxRunMs: z.number().int().positive().default(25_000),
  leaseMs: z.number().int().positive().default(60_000),
});

/**
 * One of a campaign's N drivers (N = its concurrency). Bounded in time: it drains batches for
 * `maxRunMs`, then queues its successor if work is left. A driver whose worker is killed expires
 * and pg-boss retries it; its leased batch is taken again when the lease runs out.
 */
export const batchDriverJob = defineJob({
  name: "campaigns.batch-driver",
  description: "Calls PKB for a campaign's status or token batches",
  payload: DriverPayload,
  options: {
    retryLimit: 50,
    retryDelaySeconds: 1,
    retryBackoff: false,
    expireInSeconds: 90,
    concurrency: 8,
  },
  async handler(payload, { signal }) {
    const facade = await campaignFacade(payload.campaignId);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(payload.maxRunMs)]);
    await runBatchDriver(payload.campaignId, payload.operation, facade, {
      leaseMs: payload.leaseMs,
      signal: deadline,
    });
    if (signal.aborted) return;
    const db = await prisma();
    const left = await db.campaignBatch.count({
      where: {
        campaignId: payload.campaignId,
        operation: payload.operation,
        state: { in: ["PENDING", "LEASED"] },
      },
    });
    const campaign = await db.campaign.findUnique({
      where: { id: payload.campaignId },
      select: { state: true, concurrency: true },
    });
    const active = payload.operation === "STATUS_QUERY" ? "CHECKING" : "GENERATING";
    // A slot above a lowered concurrency hands over to nobody: that is how the campaign slows down.
    if (left > 0 && campaign?.state === active && payload.slot < campaign.concurrency) {
      await enqueue(batchDriverJob, payload);
    }
  },
});

/**
 * Loaded when first needed: the job runtime imports the job catalog, which imports this module,
 * so a static import here would be a cycle that leaves this job undefined in the catalog.
 */
async function enqueue(job: typeof batchDriverJob, payload: z.input<typeof DriverPayload>) {
  const jobs = await import("~/platform/jobs/enqueue.server.ts");
  return jobs.enqueue(job, payload);
}

/** Queues the campaign's drivers for one operation (slots `fromSlot` … concurrency − 1). */
export async function startDrivers(
  campaignId: string,
  operation: "STATUS_QUERY" | "GENERATE_TOKENS",
  concurrency: number,
  tuning: { maxRunMs?: number; leaseMs?: number } = {},
  fromSlot = 0,
) {
  for (let slot = fromSlot; slot < concurrency; slot++) {
    await enqueue(batchDriverJob, { campaignId, operation, slot, ...tuning });
  }
}
