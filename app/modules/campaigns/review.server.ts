import { recordAudit } from "~/modules/audit/audit.server.ts";
import { maskNationalId } from "~/modules/pkb/identifiers.ts";
import { prisma } from "~/platform/db.server.ts";
import type { ActionContext } from "./campaigns.server.ts";
import { moveRecipients } from "./recipient-lifecycle.server.ts";

/** Patients flagged at import (conflicting duplicates, shared contacts: H3) waiting for a person. */
export async function reviewPage(campaignId: string) {
  const db = await prisma();
  const [count, rows] = await Promise.all([
    db.recipient.count({ where: { campaignId, state: "NEEDS_REVIEW" } }),
    db.recipient.findMany({
      where: { campaignId, state: "NEEDS_REVIEW" },
      orderBy: { sourceRow: "asc" },
      take: 200,
      select: {
        id: true,
        nationalId: true,
        givenName: true,
        familyName: true,
        sourceRow: true,
        reviewReason: true,
      },
    }),
  ]);
  return {
    count,
    shown: rows.map((row) => ({
      id: row.id,
      maskedId: maskNationalId(row.nationalId),
      name: [row.givenName, row.familyName].filter(Boolean).join(" "),
      sourceRow: row.sourceRow,
      reason: row.reviewReason ?? "",
    })),
  };
}

/** A person's decision on one flagged patient: keep them in the campaign, or leave them out. */
export async function decideReview(
  campaignId: string,
  recipientId: string,
  decision: "keep" | "leave-out",
  context: ActionContext,
): Promise<boolean> {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const moved = await moveRecipients(
      tx,
      campaignId,
      [recipientId],
      decision === "keep" ? "release" : "exclude",
    );
    if (moved === 0) return false;
    await recordAudit(tx, {
      actor: context.actor,
      action: decision === "keep" ? "campaign.review-keep" : "campaign.review-leave-out",
      entityType: "Recipient",
      entityId: recipientId,
      clientAddress: context.clientAddress,
      details: { campaignId },
    });
    return true;
  });
}
