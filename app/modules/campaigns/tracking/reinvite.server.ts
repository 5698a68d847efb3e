import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { createTokenBatches } from "../batches/create-batches.server.ts";
import { contextOf, type ActionContext } from "../campaigns.server.ts";
import { CampaignTransitionError, transitionCampaign } from "../lifecycle.server.ts";
import { RECIPIENT_EVENTS } from "../recipient-lifecycle.ts";
import { expiredWhere } from "./tracking.server.ts";

/**
 * "Re-invite expired": a new invitation round for every patient whose code expired unused and
 * whom PKB has not been seen to register. In ONE transaction (audited through the campaign's
 * transition): the campaign moves GENERATED → GENERATING; those patients' old sealed pair is
 * cleared, their round goes up by one and they are batched for the existing token pipeline, so
 * the drivers fetch new codes and delivery then sends round N+1 (its unique key includes the
 * round, so the earlier dispatch does not block it and nothing of round N is sent again).
 * Patients seen registered are never touched (registeredAt is set). Returns how many were
 * queued and the number of token batches written.
 */
export async function reinviteExpired(
  campaignId: string,
  expectedCount: number,
  context: ActionContext,
): Promise<{ recipients: number; batches: number }> {
  const db = await prisma();
  return db.$transaction(
    async (tx) => {
      const at = now();
      const where = expiredWhere(campaignId, at);
      const count = await tx.recipient.count({ where });
      if (count === 0) {
        throw new CampaignTransitionError("No invitation code has expired unused.");
      }
      await transitionCampaign(tx, campaignId, "reinvite-expired", {
        ...contextOf(context),
        // What the person confirmed, and what was done (they differ if codes expired meanwhile).
        details: { confirmedCount: expectedCount, recipients: count },
      });
      const { from, to } = RECIPIENT_EVENTS.reinvite;
      const moved = await tx.$executeRaw`
        UPDATE "Recipient" SET "state" = ${to}::"RecipientState", "inviteRound" = "inviteRound" + 1,
          "tokenSealed" = NULL, "codeSealed" = NULL, "tokenExpiresAt" = NULL, "batchId" = NULL,
          "failureReason" = NULL, "updatedAt" = now()
        WHERE "campaignId" = ${campaignId}::uuid AND "state"::text = ANY(${[...from]}::text[])
          AND "registeredAt" IS NULL AND "tokenExpiresAt" < ${at}`;
      const batches = await createTokenBatches(tx, campaignId);
      return { recipients: moved, batches };
    },
    { timeout: 120_000 },
  );
}
