import type { Prisma } from "~/generated/prisma/client.ts";
import { now } from "~/platform/clock.ts";
import { BATCH_EVENTS, RECIPIENT_EVENTS } from "../recipient-lifecycle.ts";

export const CANCELLED_BATCH_MESSAGE = "The campaign was cancelled before this batch was sent.";

/**
 * Part of cancelling a campaign, in its transaction (BATCH_EVENTS.cancel): every batch still
 * waiting — pending, or leased by a worker that died (lease run out) — is cancelled, so nothing is
 * left queued for a campaign that will never run again. Their patients go back to eligible
 * without a code (RECIPIENT_EVENTS["batch-cancelled"]), keeping the count of code pairs PKB may
 * have issued on earlier calls whose outcome was unknown. A batch a live worker holds is left to
 * finish: PKB may be answering it now, and its answer is filed as usual.
 */
export async function cancelWaitingBatches(
  tx: Prisma.TransactionClient,
  campaignId: string,
): Promise<{ batches: number; recipients: number }> {
  const at = now();
  const [pending, leased] = BATCH_EVENTS.cancel.from;
  const cancelled = await tx.$queryRaw<Array<{ id: string; operation: string }>>`
    UPDATE "CampaignBatch" SET "state" = ${BATCH_EVENTS.cancel.to}::"BatchState",
      "finishedAt" = ${at}, "leaseUntil" = NULL, "leaseOwner" = NULL,
      "lastError" = ${CANCELLED_BATCH_MESSAGE},
      -- A lease that ran out: its worker died, perhaps after PKB had acted (as leaseNextBatch counts).
      "outcomeUnknown" = "outcomeUnknown" + (CASE WHEN "state" = ${leased}::"BatchState" THEN 1 ELSE 0 END)
    WHERE "campaignId" = ${campaignId}::uuid
      AND ("state" = ${pending}::"BatchState"
        OR ("state" = ${leased}::"BatchState" AND "leaseUntil" < ${at}))
    RETURNING "id", "operation"::text AS "operation"`;
  const ids = (operation: string) =>
    cancelled.filter((batch) => batch.operation === operation).map((batch) => batch.id);
  const statusIds = ids("STATUS_QUERY");
  if (statusIds.length > 0) {
    await tx.$executeRaw`
      DELETE FROM "CampaignBatchMember" WHERE "batchId" = ANY(${statusIds}::uuid[])`;
  }
  const tokenIds = ids("GENERATE_TOKENS");
  const { from, to } = RECIPIENT_EVENTS["batch-cancelled"];
  const recipients =
    tokenIds.length === 0
      ? 0
      : await tx.$executeRaw`
          UPDATE "Recipient" r SET "state" = ${to}::"RecipientState",
            "tokensIssued" = b."outcomeUnknown", "updatedAt" = now()
          FROM "CampaignBatch" b
          WHERE r."batchId" = b."id" AND b."id" = ANY(${tokenIds}::uuid[])
            AND r."campaignId" = ${campaignId}::uuid AND r."state"::text = ANY(${[...from]}::text[])`;
  return { batches: cancelled.length, recipients };
}
