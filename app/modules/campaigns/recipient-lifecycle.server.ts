import type { Prisma } from "~/generated/prisma/client.ts";
import type { EligibilityBucket } from "~/generated/prisma/enums.ts";
import { RECIPIENT_EVENTS, type RecipientEvent } from "./recipient-lifecycle.ts";

/**
 * The one function that moves recipients: only rows in one of the event's `from` states move, in
 * the caller's transaction. Returns how many moved; the caller compares it with what it expected.
 */
export async function moveRecipients(
  tx: Prisma.TransactionClient,
  campaignId: string,
  recipientIds: readonly string[],
  event: RecipientEvent,
  extra: {
    bucket?: EligibilityBucket | null;
    batchId?: string | null;
    reviewReason?: string | null;
    failureReason?: string | null;
  } = {},
): Promise<number> {
  if (recipientIds.length === 0) return 0;
  const { from, to } = RECIPIENT_EVENTS[event];
  const result = await tx.recipient.updateMany({
    where: { campaignId, id: { in: [...recipientIds] }, state: { in: [...from] } },
    data: { state: to, ...extra },
  });
  return result.count;
}
