import type { Prisma } from "~/generated/prisma/client.ts";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import type { ActionContext } from "../campaigns.server.ts";

/**
 * The trust's rule for hybrid mail (pkb-api.md §8): a letter PKB accepted but the patient has not
 * read within N hours of sending is posted on paper. "Post these" lists exactly those not yet put
 * on a list; taking the list marks them `postListedAt` (audited, one transaction), so the printer
 * never gets the same letter twice. Letters read before the deadline are postage avoided.
 */
export const DEFAULT_POST_AFTER_HOURS = 72;

export function deadline(postAfterHours: number, at: Date = now()): Date {
  return new Date(at.getTime() - postAfterHours * 3_600_000);
}

/** Due for posting: accepted, unread, sent more than N hours ago, not yet on a list. */
export function dueForPostWhere(campaignId: string, postAfterHours: number, at: Date = now()) {
  return {
    campaignId,
    state: "ACCEPTED" as const,
    readAt: null,
    postListedAt: null,
    sentAt: { lt: deadline(postAfterHours, at) },
  } satisfies Prisma.HybridMailDocumentWhereInput;
}

export async function postAfterHoursOf(campaignId: string): Promise<number | null> {
  const db = await prisma();
  const setting = await db.hybridMailSetting.findUnique({ where: { campaignId } });
  return setting?.postAfterHours ?? null;
}

/** Marks every due letter as listed (one moment = one list) and audits it; returns that moment. */
export async function takePostList(
  campaignId: string,
  context: ActionContext,
): Promise<{ listedAt: Date; count: number } | null> {
  const hours = await postAfterHoursOf(campaignId);
  if (hours === null) return null;
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const listedAt = now();
    const marked = await tx.hybridMailDocument.updateMany({
      where: dueForPostWhere(campaignId, hours, listedAt),
      data: { postListedAt: listedAt },
    });
    await recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: "campaign.hybrid-mail-post-list",
      entityType: "Campaign",
      entityId: campaignId,
      details: { letters: marked.count, postAfterHours: hours },
    });
    return { listedAt, count: marked.count };
  });
}

/** Four address lines (blank lines closed up, as on the letter) and the postcode. */
export function postalAddressColumns(recipient: {
  addressLine1: string | null;
  addressLine2: string | null;
  addressLine3: string | null;
  addressLine4: string | null;
  postcode: string | null;
}): string[] {
  const lines = [
    recipient.addressLine1,
    recipient.addressLine2,
    recipient.addressLine3,
    recipient.addressLine4,
  ].filter((line): line is string => Boolean(line?.trim()));
  return [...lines, "", "", "", ""].slice(0, 4).concat(recipient.postcode ?? "");
}

/** The rows of one list for the printer's CSV, in a stable order. */
export async function* postListRows(campaignId: string, listedAt: Date, pageSize = 1000) {
  const db = await prisma();
  let after: string | undefined;
  for (;;) {
    const rows = await db.hybridMailDocument.findMany({
      where: {
        campaignId,
        postListedAt: listedAt,
        ...(after ? { documentId: { gt: after } } : {}),
      },
      orderBy: { documentId: "asc" },
      take: pageSize,
      select: {
        documentId: true,
        inviteRound: true,
        sentAt: true,
        recipient: {
          select: {
            nationalId: true,
            givenName: true,
            familyName: true,
            addressLine1: true,
            addressLine2: true,
            addressLine3: true,
            addressLine4: true,
            postcode: true,
          },
        },
      },
    });
    for (const row of rows) yield row;
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.documentId;
  }
}

export async function hybridMailSummary(campaignId: string) {
  const db = await prisma();
  const setting = await db.hybridMailSetting.findUnique({ where: { campaignId } });
  if (!setting) return null;
  const at = now();
  const hours = setting.postAfterHours;
  const [states, read, due, posted, avoided, lastRead] = await Promise.all([
    db.hybridMailDocument.groupBy({ by: ["state"], where: { campaignId }, _count: true }),
    db.hybridMailDocument.count({ where: { campaignId, readAt: { not: null } } }),
    db.hybridMailDocument.count({ where: dueForPostWhere(campaignId, hours, at) }),
    db.hybridMailDocument.count({ where: { campaignId, postListedAt: { not: null } } }),
    // Read before its deadline (sentAt + N hours) and never put on a post list.
    db.$queryRaw<Array<{ count: number }>>`
      SELECT count(*)::int AS count FROM "HybridMailDocument"
      WHERE "campaignId" = ${campaignId}::uuid AND "state" = 'ACCEPTED' AND "postListedAt" IS NULL
        AND "readAt" IS NOT NULL AND "readAt" <= "sentAt" + make_interval(hours => ${hours}::int)`,
    db.hybridMailDocument.aggregate({ where: { campaignId }, _max: { readCheckedAt: true } }),
  ]);
  const count = (state: string) => states.find((row) => row.state === state)?._count ?? 0;
  const accepted = count("ACCEPTED");
  return {
    postAfterHours: hours,
    sent: accepted + count("REJECTED"),
    pending: count("PENDING"),
    accepted,
    rejected: count("REJECTED"),
    read,
    unreadPastDeadline: due,
    posted,
    postageAvoided: avoided[0]?.count ?? 0,
    lastReadCheck: lastRead._max.readCheckedAt,
  };
}
