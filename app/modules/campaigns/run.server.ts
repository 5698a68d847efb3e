import { prisma } from "~/platform/db.server.ts";
import { startDrivers } from "./batches/batch-driver.job.server.ts";
import {
  changeCampaignState,
  setCampaignConcurrency,
  type ActionContext,
} from "./campaigns.server.ts";
import { startEligibilityCheck } from "./eligibility/eligibility.server.ts";
import { retryFailedBatches, startTokenGeneration } from "./tokens/tokens.server.ts";

/**
 * What the campaign page's buttons do: each writes its durable state (campaign state, batch rows)
 * in one transaction first, then queues the drivers that work through it. A driver queued for
 * work that is already gone finds nothing and stops.
 */
async function concurrencyOf(campaignId: string): Promise<number> {
  const db = await prisma();
  const campaign = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { concurrency: true },
  });
  return campaign.concurrency;
}

export async function checkEligibility(campaignId: string, context: ActionContext) {
  const batches = await startEligibilityCheck(campaignId, context);
  await startDrivers(
    campaignId,
    "STATUS_QUERY",
    Math.min(batches || 1, await concurrencyOf(campaignId)),
  );
}

export async function generateInvitationCodes(campaignId: string, context: ActionContext) {
  const batches = await startTokenGeneration(campaignId, context);
  await startDrivers(
    campaignId,
    "GENERATE_TOKENS",
    Math.min(batches || 1, await concurrencyOf(campaignId)),
  );
}

export async function retryFailed(campaignId: string, context: ActionContext) {
  const batches = await retryFailedBatches(campaignId, context);
  if (batches > 0) {
    await startDrivers(campaignId, "GENERATE_TOKENS", await concurrencyOf(campaignId));
  }
  return batches;
}

export async function pauseResumeOrCancel(
  campaignId: string,
  event: "pause" | "resume" | "cancel",
  context: ActionContext,
) {
  await changeCampaignState(campaignId, event, context);
  if (event !== "resume") return;
  const db = await prisma();
  const { state } = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { state: true },
  });
  if (state === "CHECKING") {
    await startDrivers(campaignId, "STATUS_QUERY", await concurrencyOf(campaignId));
  }
  if (state === "GENERATING") {
    await startDrivers(campaignId, "GENERATE_TOKENS", await concurrencyOf(campaignId));
  }
}

/**
 * A new number of PKB calls in flight. Raised while a step runs: the extra drivers start now.
 * Lowered: drivers above the new number stop at their next hand-over (within maxRunMs, 25 s).
 */
export async function changeConcurrency(
  campaignId: string,
  concurrency: number,
  context: ActionContext,
) {
  const before = await setCampaignConcurrency(campaignId, concurrency, context);
  const operation =
    before.state === "CHECKING"
      ? "STATUS_QUERY"
      : before.state === "GENERATING"
        ? "GENERATE_TOKENS"
        : null;
  if (!operation || concurrency <= before.concurrency) return;
  await startDrivers(campaignId, operation, concurrency, {}, before.concurrency);
}
