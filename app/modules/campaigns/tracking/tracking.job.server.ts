import { z } from "zod";
import { prisma } from "~/platform/db.server.ts";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { campaignFacade, campaignReadReceipts } from "../batches/facade-factory.server.ts";
import { pollReadReceipts } from "../hybrid-mail/read-receipts.server.ts";
import { sendHybridMail } from "../hybrid-mail/send.server.ts";
import { runTracking } from "./tracking.server.ts";

/**
 * Tracking as background jobs. Every hour (UK time) the schedule fans out one job per campaign
 * that has invitations out; "Check registrations now" on the campaign page queues the same job.
 * Each run: registration re-check ($status-query), then for hybrid-mail campaigns the letters
 * still PENDING are sent again with their own TXA-12.1 and read receipts are polled. Any upstream
 * failure fails the job, which pg-boss retries; nothing was filed for the failed call.
 */
const TrackingPayload = z.object({ campaignId: z.uuid().optional() });

export const trackingJob = defineJob({
  name: "campaigns.tracking",
  description: "Re-checks invited patients' registration and hybrid-mail read receipts with PKB",
  payload: TrackingPayload,
  options: {
    cron: "41 * * * *",
    retryLimit: 5,
    retryDelaySeconds: 60,
    retryBackoff: true,
    expireInSeconds: 1800,
    policy: "stately",
  },
  async handler(payload) {
    if (!payload.campaignId) {
      const db = await prisma();
      const campaigns = await db.campaign.findMany({
        where: { state: { in: ["GENERATED", "GENERATING"] } },
        select: { id: true },
      });
      for (const campaign of campaigns) await queueTracking(campaign.id);
      getLogger().info({ campaigns: campaigns.length }, "tracking runs queued");
      return;
    }
    await trackCampaign(payload.campaignId);
  },
});

/** One campaign's tracking run (also what tests call). */
export async function trackCampaign(campaignId: string) {
  const tracking = await runTracking(campaignId, await campaignFacade(campaignId));
  const db = await prisma();
  const hybrid = await db.hybridMailSetting.findUnique({ where: { campaignId } });
  if (!hybrid) return { tracking, hybridMail: null };
  const resent = await sendHybridMail(campaignId, { claimNew: false });
  const receipts = await pollReadReceipts(campaignId, await campaignReadReceipts(campaignId));
  if (resent.noAnswer > 0) {
    throw new Error(`${resent.noAnswer} hybrid-mail letter(s) got no answer; they stay pending`);
  }
  return { tracking, hybridMail: { resent, receipts } };
}

const HybridMailPayload = z.object({ campaignId: z.uuid() });

/** "Send hybrid-mail letters": claims a document per invited patient and sends them. */
export const hybridMailSendJob = defineJob({
  name: "campaigns.hybrid-mail-send",
  description: "Sends a campaign's invitation letters to PKB as HL7 MDM^T02 documents",
  payload: HybridMailPayload,
  options: {
    retryLimit: 10,
    retryDelaySeconds: 30,
    retryBackoff: true,
    expireInSeconds: 1800,
    policy: "stately",
  },
  async handler(payload) {
    const result = await sendHybridMail(payload.campaignId);
    // Letters without an answer stay PENDING; failing the job makes pg-boss send them again later.
    if (result.noAnswer > 0) {
      throw new Error(`${result.noAnswer} hybrid-mail letter(s) got no answer; they stay pending`);
    }
  },
});

/**
 * Loaded when first needed: the job runtime imports the job catalog, which imports this module
 * (the same cycle batch-driver.job.server.ts avoids).
 */
export async function queueTracking(campaignId: string) {
  const jobs = await import("~/platform/jobs/enqueue.server.ts");
  return jobs.enqueue(trackingJob, { campaignId }, { singletonKey: campaignId });
}

export async function queueHybridMailSend(campaignId: string) {
  const jobs = await import("~/platform/jobs/enqueue.server.ts");
  return jobs.enqueue(hybridMailSendJob, { campaignId }, { singletonKey: campaignId });
}
