import type { Prisma } from "~/generated/prisma/client.ts";
import type { EligibilityBucket, IdentifierKind } from "~/generated/prisma/enums.ts";
import { encryptSecret, parseKeyRing, type KeyRing } from "~/platform/crypto.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { getEnv } from "~/platform/env.server.ts";
import { now } from "~/platform/clock.ts";
import {
  completeBatch,
  failBatch,
  holdLease,
  type LeasedBatch,
} from "../batches/batch-store.server.ts";
import { createTokenBatches } from "../batches/create-batches.server.ts";
import { contextOf, type ActionContext } from "../campaigns.server.ts";
import { BUCKET_LABELS } from "../eligibility/bucket.ts";
import { KIND_SYSTEMS } from "../eligibility/eligibility.server.ts";
import { transitionCampaign } from "../lifecycle.server.ts";
import { identifierKey, type CampaignFacade } from "../pkb-port.ts";

export const TOKEN_MESSAGES = {
  leftOut:
    "PKB issued no invitation code: the patient is no longer eligible (registered, deceased, not found, no date of birth or under 16 since the check)",
  refused: (detail: string) => `PKB refused this patient's number on its own: ${detail}`,
  gaveUp: (detail: string) => `PKB kept failing for this batch: ${detail}`,
  refusedBy: (bucket: EligibilityBucket) =>
    `PKB issued no invitation code: ${BUCKET_LABELS[bucket].toLowerCase()}`,
} as const;

let ring: KeyRing | undefined;
function keyRing(): KeyRing {
  ring ??= parseKeyRing(getEnv().ENCRYPTION_KEYS);
  return ring;
}

/** READY → GENERATING and the token batches written, in one transaction. */
export async function startTokenGeneration(campaignId: string, context: ActionContext) {
  const db = await prisma();
  return db.$transaction(
    async (tx) => {
      await transitionCampaign(tx, campaignId, "start-generating", contextOf(context));
      return createTokenBatches(tx, campaignId);
    },
    { timeout: 120_000 },
  );
}

/** GENERATED → GENERATING with every failed batch and its patients queued again. */
export async function retryFailedBatches(campaignId: string, context: ActionContext) {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const failed = await tx.campaignBatch.findMany({
      where: { campaignId, operation: "GENERATE_TOKENS", state: "FAILED" },
      select: { id: true },
    });
    if (failed.length === 0) return 0;
    await transitionCampaign(tx, campaignId, "retry-failed", {
      ...contextOf(context),
      details: { batches: failed.length },
    });
    const ids = failed.map((batch) => batch.id);
    // RECIPIENT_EVENTS.retry and BATCH_EVENTS.retry
    await tx.recipient.updateMany({
      where: { campaignId, batchId: { in: ids }, state: "FAILED" },
      data: { state: "BATCHED", failureReason: null },
    });
    await tx.campaignBatch.updateMany({
      where: { id: { in: ids }, state: "FAILED" },
      data: { state: "PENDING", notBefore: now(), attempts: 0, finishedAt: null },
    });
    return failed.length;
  });
}

/**
 * Calls PKB for one leased token batch and files the answer in ONE transaction: every returned
 * pair stored (encrypted, the recipient's row id as associated data) against the identifier it
 * names, and every identifier PKB left out given its reason. Recipients not in state BATCHED
 * (already filed by an earlier run) are not touched again.
 */
export async function processTokenBatch(
  batch: LeasedBatch,
  kind: IdentifierKind,
  facade: CampaignFacade,
): Promise<"done" | "lease-lost"> {
  const db = await prisma();
  const members = await db.recipient.findMany({
    where: { campaignId: batch.campaignId, batchId: batch.id, state: "BATCHED" },
    select: { id: true, nationalId: true },
  });
  const system = KIND_SYSTEMS[kind];
  if (members.length === 0) {
    return db.$transaction(async (tx) => {
      if (!(await holdLease(tx, batch))) return "lease-lost" as const;
      await completeBatch(tx, batch);
      return "done" as const;
    });
  }
  const answer = await facade.generateInvitationTokens(
    members.map((member) => ({ system, value: member.nationalId })),
  );
  // Earlier calls for this batch whose outcome was unknown may each have issued a pair.
  // (An upper bound: any of this call's earlier attempts may have acted when one was unknown.)
  const earlierUnknown =
    batch.outcomeUnknown + (answer.meta.outcomeUnknown ? answer.meta.attempts - 1 : 0);
  const stored: Array<{ id: string; token: string; code: string; expiry: Date }> = [];
  const leftOut: string[] = [];
  const explained = new Map<EligibilityBucket, string[]>();
  for (const member of members) {
    const key = identifierKey({ system, value: member.nationalId });
    const issued = answer.issued.get(key);
    const reason = answer.reasons?.get(key);
    if (!issued && reason) explained.set(reason, [...(explained.get(reason) ?? []), member.id]);
    else if (!issued) leftOut.push(member.id);
    else {
      stored.push({
        id: member.id,
        token: encryptSecret(keyRing(), issued.accessToken, member.id),
        code: encryptSecret(keyRing(), issued.invitationCode, member.id),
        expiry: issued.expiry,
      });
    }
  }
  return db.$transaction(
    async (tx) => {
      if (!(await holdLease(tx, batch))) return "lease-lost" as const;
      await storeTokens(tx, batch.id, stored, 1 + earlierUnknown);
      if (leftOut.length > 0) {
        await tx.recipient.updateMany({
          where: { id: { in: leftOut }, batchId: batch.id, state: "BATCHED" },
          data: { state: "NOT_ISSUED", failureReason: TOKEN_MESSAGES.leftOut },
        });
      }
      // RECIPIENT_EVENTS["left-out"] with PKB's own reason, in the bucket the check would use.
      for (const [bucket, ids] of explained) {
        await tx.recipient.updateMany({
          where: { id: { in: ids }, batchId: batch.id, state: "BATCHED" },
          data: { state: "NOT_ISSUED", bucket, failureReason: TOKEN_MESSAGES.refusedBy(bucket) },
        });
      }
      await completeBatch(tx, batch);
      return "done" as const;
    },
    // On a busy database server, wait for a connection rather than fail the batch (Prisma: 2 s).
    { timeout: 60_000, maxWait: 10_000 },
  );
}

async function storeTokens(
  tx: Prisma.TransactionClient,
  batchId: string,
  stored: Array<{ id: string; token: string; code: string; expiry: Date }>,
  pairsIssued: number,
) {
  if (stored.length === 0) return;
  // RECIPIENT_EVENTS["token-stored"]: BATCHED → TOKEN_ISSUED, by row id (never by position).
  await tx.$executeRaw`
    UPDATE "Recipient" r SET "state" = 'TOKEN_ISSUED', "tokenSealed" = t.token, "codeSealed" = t.code,
      "tokenExpiresAt" = t.expiry, "tokensIssued" = ${pairsIssued}, "updatedAt" = now()
    FROM unnest(${stored.map((row) => row.id)}::uuid[], ${stored.map((row) => row.token)}::text[],
      ${stored.map((row) => row.code)}::text[], ${stored.map((row) => row.expiry.toISOString())}::timestamptz[])
      AS t(id, token, code, expiry)
    WHERE r."id" = t.id AND r."batchId" = ${batchId}::uuid AND r."state" = 'BATCHED'`;
}

/**
 * A whole-batch 400: PKB refused the request because of something in it (one bad identifier
 * poisons the lot). Split it into halves so the good identifiers go through; a batch of one that
 * is still refused holds the poison identifier, which fails on its own.
 */
export async function splitOrFailTokenBatch(batch: LeasedBatch, detail: string) {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    if (!(await holdLease(tx, batch))) return;
    const members = await tx.recipient.findMany({
      where: { batchId: batch.id, state: "BATCHED" },
      select: { id: true },
      orderBy: { id: "asc" },
    });
    if (members.length <= 1) {
      await tx.recipient.updateMany({
        where: { batchId: batch.id, state: "BATCHED" },
        data: { state: "FAILED", failureReason: TOKEN_MESSAGES.refused(detail) },
      });
      await failBatch(tx, batch, detail);
      return;
    }
    const half = Math.ceil(members.length / 2);
    for (const part of [members.slice(0, half), members.slice(half)]) {
      const child = await tx.campaignBatch.create({
        data: {
          campaignId: batch.campaignId,
          operation: "GENERATE_TOKENS",
          size: part.length,
          parentId: batch.id,
          outcomeUnknown: batch.outcomeUnknown,
        },
      });
      await tx.recipient.updateMany({
        where: { id: { in: part.map((member) => member.id) }, batchId: batch.id },
        data: { batchId: child.id },
      });
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

/** Retries ran out on a batch: its patients are marked failed (staff can retry them). */
export async function giveUpTokenBatch(batch: LeasedBatch, detail: string) {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    if (!(await holdLease(tx, batch))) return;
    await tx.recipient.updateMany({
      where: { batchId: batch.id, state: "BATCHED" },
      data: { state: "FAILED", failureReason: TOKEN_MESSAGES.gaveUp(detail) },
    });
    await failBatch(tx, batch, detail);
  });
}
