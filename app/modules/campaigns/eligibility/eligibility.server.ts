import type { Prisma } from "~/generated/prisma/client.ts";
import type { EligibilityBucket, IdentifierKind } from "~/generated/prisma/enums.ts";
import { IDENTIFIER_SYSTEMS } from "~/modules/pkb/identifiers.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import {
  completeBatch,
  failBatch,
  holdLease,
  type LeasedBatch,
} from "../batches/batch-store.server.ts";
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

export const STATUS_MESSAGES = {
  refused: (detail: string) =>
    `PKB refused this patient's number in the eligibility check on its own: ${detail}`,
} as const;

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

/**
 * Files PKB's answer for one leased status batch: one transaction, matched by identifier. A fixed
 * number of set-based statements per batch (no 5000-parameter IN lists): members by join, every
 * answered patient's bucket in one UPDATE over arrays, answered members removed in one DELETE.
 */
export async function processStatusBatch(
  batch: LeasedBatch,
  kind: IdentifierKind,
  facade: CampaignFacade,
): Promise<"done" | "lease-lost" | "partial"> {
  const db = await prisma();
  const members = await db.$queryRaw<Array<{ id: string; nationalId: string }>>`
    SELECT r."id", r."nationalId" FROM "CampaignBatchMember" m
    JOIN "Recipient" r ON r."id" = m."recipientId"
    WHERE m."batchId" = ${batch.id}::uuid AND r."campaignId" = ${batch.campaignId}::uuid`;
  const system = KIND_SYSTEMS[kind];
  const answer = await facade.statusQuery(
    members.map((member) => ({ system, value: member.nationalId })),
  );
  const at = now();
  const answered: string[] = [];
  const buckets: EligibilityBucket[] = [];
  for (const member of members) {
    const status = answer.statuses.get(identifierKey({ system, value: member.nationalId }));
    if (!status) continue; // not answered: stays in the batch and is asked again
    answered.push(member.id);
    buckets.push(bucketFor(status, at));
  }
  return db.$transaction(
    async (tx) => {
      if (!(await holdLease(tx, batch))) return "lease-lost";
      await fileBuckets(tx, batch.campaignId, answered, buckets, at);
      if (answered.length < members.length) {
        await tx.$executeRaw`
          DELETE FROM "CampaignBatchMember"
          WHERE "batchId" = ${batch.id}::uuid AND "recipientId" = ANY(${answered}::uuid[])`;
        return "partial";
      }
      await tx.$executeRaw`DELETE FROM "CampaignBatchMember" WHERE "batchId" = ${batch.id}::uuid`;
      await completeBatch(tx, batch);
      return "done";
    },
    // On a busy database server, wait for a connection rather than fail the batch (Prisma: 2 s).
    { timeout: 60_000, maxWait: 10_000 },
  );
}

async function fileBuckets(
  tx: Prisma.TransactionClient,
  campaignId: string,
  ids: string[],
  buckets: EligibilityBucket[],
  at: Date,
) {
  if (ids.length === 0) return;
  // Only recipients still checkable move (RECIPIENT_EVENTS checked-eligible / checked-ineligible):
  // one a token batch has taken since is left alone.
  await tx.$executeRaw`
    UPDATE "Recipient" r
    SET "state" = (CASE WHEN t.bucket = 'ELIGIBLE' THEN 'ELIGIBLE' ELSE 'INELIGIBLE' END)::"RecipientState",
      "bucket" = t.bucket::"EligibilityBucket", "checkedAt" = ${at}, "failureReason" = NULL,
      "updatedAt" = now()
    FROM unnest(${ids}::uuid[], ${buckets}::text[]) AS t(id, bucket)
    WHERE r."id" = t.id AND r."campaignId" = ${campaignId}::uuid
      AND r."state"::text = ANY(${[...CHECKABLE]}::text[])`;
}

/**
 * A whole status batch refused with 400: one identifier in it poisons the lot (as for token
 * batches). Split into halves until the poison identifier sits alone; that batch of one fails and
 * its patient keeps its state (not checked, so never batched for a code) with PKB's reason. The
 * other patients are checked as usual.
 */
export async function splitOrFailStatusBatch(batch: LeasedBatch, detail: string) {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    if (!(await holdLease(tx, batch))) return;
    const members = await tx.$queryRaw<Array<{ recipientId: string }>>`
      SELECT "recipientId" FROM "CampaignBatchMember" WHERE "batchId" = ${batch.id}::uuid
      ORDER BY "recipientId"`;
    const ids = members.map((member) => member.recipientId);
    if (ids.length <= 1) {
      await tx.$executeRaw`
        UPDATE "Recipient" SET "failureReason" = ${STATUS_MESSAGES.refused(detail)}, "updatedAt" = now()
        WHERE "id" = ANY(${ids}::uuid[]) AND "state"::text = ANY(${[...CHECKABLE]}::text[])`;
      await failBatch(tx, batch, detail);
      return;
    }
    const half = Math.ceil(ids.length / 2);
    for (const part of [ids.slice(0, half), ids.slice(half)]) {
      const child = await tx.campaignBatch.create({
        data: {
          campaignId: batch.campaignId,
          operation: "STATUS_QUERY",
          size: part.length,
          parentId: batch.id,
        },
      });
      await tx.$executeRaw`
        UPDATE "CampaignBatchMember" SET "batchId" = ${child.id}::uuid
        WHERE "batchId" = ${batch.id}::uuid AND "recipientId" = ANY(${part}::uuid[])`;
    }
    await tx.campaignBatch.update({
      where: { id: batch.id },
      data: {
        state: "SPLIT",
        finishedAt: now(),
        leaseOwner: null,
        leaseUntil: null,
        lastError: detail,
      },
    });
  });
}
