import { recordAudit } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { startDrivers } from "../batches/batch-driver.job.server.ts";
import type { ActionContext } from "../campaigns.server.ts";
import { reinviteExpired } from "./reinvite.server.ts";
import { queueHybridMailSend, queueTracking } from "./tracking.job.server.ts";

/** What the campaign page's tracking buttons do: durable state first, then the jobs. */
export async function trackNow(campaignId: string) {
  await queueTracking(campaignId);
}

export async function reinviteAndGenerate(
  campaignId: string,
  expected: number,
  context: ActionContext,
) {
  const result = await reinviteExpired(campaignId, expected, context);
  const db = await prisma();
  const { concurrency } = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { concurrency: true },
  });
  await startDrivers(campaignId, "GENERATE_TOKENS", Math.min(result.batches || 1, concurrency));
  return result;
}

/** Turns hybrid mail on for a campaign (or changes its hours), audited. */
export async function saveHybridMailSetting(
  campaignId: string,
  postAfterHours: number,
  context: ActionContext,
) {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    await tx.hybridMailSetting.upsert({
      where: { campaignId },
      create: { campaignId, postAfterHours },
      update: { postAfterHours },
    });
    await recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: "campaign.hybrid-mail-settings",
      entityType: "Campaign",
      entityId: campaignId,
      details: { postAfterHours },
    });
  });
}

export async function sendHybridMailNow(campaignId: string, context: ActionContext) {
  const db = await prisma();
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: "campaign.hybrid-mail-send",
      entityType: "Campaign",
      entityId: campaignId,
    }),
  );
  await queueHybridMailSend(campaignId);
}
