import { randomUUID } from "node:crypto";
import type { Prisma } from "~/generated/prisma/client.ts";
import type { BatchOperation } from "~/generated/prisma/enums.ts";
import { now } from "~/platform/clock.ts";

/**
 * Durable batch rows (docs/decisions/0009; moves as in BATCH_EVENTS): a batch is written before PKB is called, leased by
 * one worker at a time, and finished in the same transaction as its results. A worker that dies
 * holding a lease simply lets it run out; the next worker takes the batch again.
 */
export const BATCH_LIMITS: Record<BatchOperation, number> = {
  STATUS_QUERY: 5000,
  GENERATE_TOKENS: 500,
};

export interface LeasedBatch {
  id: string;
  campaignId: string;
  operation: BatchOperation;
  size: number;
  attempts: number;
  outcomeUnknown: number;
  leaseOwner: string;
}

/** Takes the next due batch (or one whose lease ran out); null when none is due now. */
export async function leaseNextBatch(
  db: Prisma.TransactionClient,
  campaignId: string,
  operation: BatchOperation,
  leaseMs: number,
): Promise<LeasedBatch | null> {
  const owner = randomUUID();
  const at = now();
  const leaseUntil = new Date(at.getTime() + leaseMs);
  // SKIP LOCKED: two workers asking at once get different batches, never the same one.
  const rows = await db.$queryRaw<LeasedBatch[]>`
    UPDATE "CampaignBatch" SET "state" = 'LEASED', "leaseUntil" = ${leaseUntil}, "leaseOwner" = ${owner},
      "attempts" = "attempts" + 1,
      -- Taking over a lease that ran out: its worker died, perhaps after PKB had acted.
      "outcomeUnknown" = "outcomeUnknown" + (CASE WHEN "state" = 'LEASED' THEN 1 ELSE 0 END)
    WHERE "id" = (
      SELECT "id" FROM "CampaignBatch"
      WHERE "campaignId" = ${campaignId}::uuid AND "operation" = ${operation}::"BatchOperation"
        AND (("state" = 'PENDING' AND "notBefore" <= ${at}) OR ("state" = 'LEASED' AND "leaseUntil" < ${at}))
      ORDER BY "notBefore", "createdAt", "id"
      LIMIT 1
      FOR UPDATE SKIP LOCKED)
    RETURNING "id", "campaignId", "operation"::text AS "operation", "size", "attempts", "outcomeUnknown", "leaseOwner"`;
  return rows[0] ?? null;
}

/**
 * Locks a leased batch for its result transaction; false when the lease was lost (it ran out and
 * another worker took the batch), in which case this worker's answer is dropped.
 */
export async function holdLease(
  tx: Prisma.TransactionClient,
  batch: LeasedBatch,
): Promise<boolean> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT "id" FROM "CampaignBatch"
    WHERE "id" = ${batch.id}::uuid AND "state" = 'LEASED' AND "leaseOwner" = ${batch.leaseOwner}
    FOR UPDATE`;
  return rows.length === 1;
}

export async function completeBatch(tx: Prisma.TransactionClient, batch: LeasedBatch) {
  await tx.campaignBatch.update({
    where: { id: batch.id },
    data: { state: "DONE", finishedAt: now(), leaseUntil: null, leaseOwner: null, lastError: null },
  });
}

/** Back to the queue after a retryable failure, due again after `delayMs`. */
export async function releaseBatch(
  tx: Prisma.TransactionClient,
  batch: LeasedBatch,
  delayMs: number,
  lastError: string,
  /** calls PKB may have acted on without our seeing the answer */
  outcomeUnknown: number,
) {
  await tx.campaignBatch.updateMany({
    where: { id: batch.id, state: "LEASED", leaseOwner: batch.leaseOwner },
    data: {
      state: "PENDING",
      notBefore: new Date(now().getTime() + delayMs),
      leaseUntil: null,
      leaseOwner: null,
      lastError,
      outcomeUnknown: { increment: outcomeUnknown },
    },
  });
}

export async function failBatch(
  tx: Prisma.TransactionClient,
  batch: LeasedBatch,
  lastError: string,
) {
  await tx.campaignBatch.update({
    where: { id: batch.id },
    data: { state: "FAILED", finishedAt: now(), leaseUntil: null, leaseOwner: null, lastError },
  });
}

/** Backoff with full jitter: a random wait up to 1 s × 2^attempt, capped at 60 s (or Retry-After). */
export function retryDelayMs(
  attempts: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const ceiling = Math.min(60_000, 1000 * 2 ** Math.min(attempts, 6));
  const jittered = Math.round(ceiling * (0.5 + random() / 2));
  return Math.max(retryAfterMs ?? 0, jittered);
}

/** Batches of one operation not yet finished (pending or leased). */
export async function unfinishedBatches(
  db: Prisma.TransactionClient,
  campaignId: string,
  operation: BatchOperation,
): Promise<number> {
  return db.campaignBatch.count({
    where: { campaignId, operation, state: { in: ["PENDING", "LEASED"] } },
  });
}
