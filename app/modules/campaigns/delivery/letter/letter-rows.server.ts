import { prisma } from "~/platform/db.server.ts";
import { FILE_REF_PREFIX } from "../delivery.server.ts";
import type { PlaceholderValues } from "../templates/placeholders.ts";
import {
  CONTENT_SELECT,
  deliveryContext,
  recipientValues,
  type CampaignDeliveryContext,
} from "../recipient-content.server.ts";

/**
 * The letters of one file batch, in list order, read in pages so 100k letters never sit in
 * memory as rows. The date of birth is never selected: a letter cannot print what it never read.
 */
export interface LetterRow {
  dispatchId: string;
  address: string[];
  postcode: string;
  values: PlaceholderValues;
}

export async function* batchRecipients(
  campaignId: string,
  channel: "LETTER" | "SMS" | "EMAIL",
  batchId: string,
  context?: CampaignDeliveryContext,
): AsyncGenerator<{
  dispatchId: string;
  row: LetterRow & { mobile: string | null; email: string | null };
}> {
  const db = await prisma();
  const ctx = context ?? (await deliveryContext(campaignId));
  let cursor: string | undefined;
  for (;;) {
    const page = await db.invitationDispatch.findMany({
      where: {
        campaignId,
        channel,
        providerRef: `${FILE_REF_PREFIX}${batchId}`,
        state: { not: "CANCELLED" },
      },
      orderBy: { id: "asc" },
      take: 500,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      select: {
        id: true,
        recipient: {
          select: {
            ...CONTENT_SELECT,
            mobile: true,
            addressLine1: true,
            addressLine2: true,
            addressLine3: true,
            addressLine4: true,
            postcode: true,
          },
        },
      },
    });
    if (page.length === 0) return;
    for (const dispatch of page) {
      const r = dispatch.recipient;
      const values = recipientValues(ctx, r, { withEmail: channel === "EMAIL" });
      if (!values) continue;
      yield {
        dispatchId: dispatch.id,
        row: {
          dispatchId: dispatch.id,
          address: [r.addressLine1, r.addressLine2, r.addressLine3, r.addressLine4].filter(
            (line): line is string => Boolean(line?.trim()),
          ),
          postcode: r.postcode ?? "",
          values,
          mobile: r.mobile,
          email: r.email,
        },
      };
    }
    cursor = page[page.length - 1]!.id;
  }
}

/** File batches of a campaign and channel, newest first. */
export async function fileBatches(campaignId: string, channel: "LETTER" | "SMS" | "EMAIL") {
  const db = await prisma();
  const groups = await db.invitationDispatch.groupBy({
    by: ["providerRef"],
    where: { campaignId, channel, providerRef: { startsWith: FILE_REF_PREFIX } },
    _count: { _all: true },
    _min: { sentAt: true },
  });
  return groups
    .filter((g) => g.providerRef && g._min.sentAt)
    .map((g) => ({
      batchId: g.providerRef!.slice(FILE_REF_PREFIX.length),
      count: g._count._all,
      createdAt: g._min.sentAt!,
    }))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}
