import type { Prisma } from "~/generated/prisma/client.ts";
import type { EligibilityBucket, IdentifierKind } from "~/generated/prisma/enums.ts";
import { IDENTIFIER_SYSTEMS } from "~/modules/pkb/identifiers.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { completeBatch, holdLease, type LeasedBatch } from "../batches/batch-store.server.ts";
import { createStatusBatches } from "../batches/create-batches.server.ts";
import { contextOf, type ActionContext } from "../campaigns.server.ts";
import { transitionCampaign } from "../lifecycle.server.ts";
import { identifierKey, type CampaignFacade } from "../pkb-port.ts";
import { bucketFor } from "./bucket.ts";

export const KIND_SYSTEMS: Record<IdentifierKind, string> = {
  NHS: IDENTIFIER_SYSTEMS.nhs,
  CHI: IDENTIFIER_SYSTEMS.chi,
  HC: IDENTIFIER_SYSTEMS.hc,
};

/** Patients a check covers: not yet checked, or checked before (a re-check refreshes them). */
const CHECKABLE = ["IMPORTED", "ELIGIBLE", "INELIGIBLE"] as const;

/**
 * Starts (or repeats) the eligibility check: the campaign moves to CHECKING and the status-query
 * batches are written, in one transaction. Workers then drain the batches (batch-driver).
 */
export async function startEligibilityCheck(campaignId: string, context: ActionContext) {
  const db = await prisma();
  return db.$transaction(
    async (tx) => {
      // Batches of an earlier check that never ran are replaced by this one.
      await tx.campaignBatch.deleteMany({
        where: { campaignId, operation: "STATUS_QUERY", state: { in: ["PENDING", "LEASED"] } },
      });
      await transitionCampaign(tx, campaignId, "start-check", contextOf(context));
      const batches = await createStatusBatches(tx, campaignId, [...CHECKABLE]);
      return batches;
    },
    { timeout: 120_000 },
  );
}

/** Files PKB's answer for one leased status batch: one transaction, matched by identifier. */
export async function processStatusBatch(
  batch: LeasedBatch,
  kind: IdentifierKind,
  facade: CampaignFacade,
): Promise<"done" | "lease-lost" | "partial"> {
  const db = await prisma();
  const members = await db.recipient.findMany({
    where: { campaignId: batch.campaignId, id: { in: await memberIds(db, batch.id) } },
    select: { id: true, nationalId: true },
  });
  const system = KIND_SYSTEMS[kind];
  const answer = await facade.statusQuery(
    members.map((member) => ({ system, value: member.nationalId })),
  );
  const at = now();
  const byBucket = new Map<EligibilityBucket, string[]>();
  const answered: string[] = [];
  for (const member of members) {
    const status = answer.statuses.get(identifierKey({ system, value: member.nationalId }));
    if (!status) continue; // not answered: stays in the batch and is asked again
    const bucket = bucketFor(status, at);
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), member.id]);
    answered.push(member.id);
  }
  return db.$transaction(
    async (tx) => {
      if (!(await holdLease(tx, batch))) return "lease-lost";
      for (const [bucket, ids] of byBucket) await fileBucket(tx, batch.campaignId, ids, bucket, at);
      await tx.campaignBatchMember.deleteMany({
        where: { batchId: batch.id, recipientId: { in: answered } },
      });
      if (answered.length < members.length) return "partial";
      await completeBatch(tx, batch);
      return "done";
    },
    { timeout: 60_000 },
  );
}

async function memberIds(db: Prisma.TransactionClient, batchId: string): Promise<string[]> {
  const rows = await db.campaignBatchMember.findMany({
    where: { batchId },
    select: { recipientId: true },
  });
  return rows.map((row) => row.recipientId);
}

async function fileBucket(
  tx: Prisma.TransactionClient,
  campaignId: string,
  ids: string[],
  bucket: EligibilityBucket,
  at: Date,
) {
  // Only recipients still checkable move (RECIPIENT_EVENTS checked-eligible / checked-ineligible):
  // one a token batch has taken since is left alone.
  await tx.recipient.updateMany({
    where: { campaignId, id: { in: ids }, state: { in: [...CHECKABLE] } },
    data: { state: bucket === "ELIGIBLE" ? "ELIGIBLE" : "INELIGIBLE", bucket, checkedAt: at },
  });
}
