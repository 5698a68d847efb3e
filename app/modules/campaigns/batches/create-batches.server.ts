import type { Prisma } from "~/generated/prisma/client.ts";
import type { RecipientState } from "~/generated/prisma/enums.ts";
import { BATCH_LIMITS } from "./batch-store.server.ts";

/**
 * Cuts a campaign's recipients into batches in SQL (no recipient list in memory): one batch row
 * per slice of at most the operation's limit, and every recipient linked to its slice, in one
 * statement. A campaign's identifiers share its one declared system, so a batch is one system.
 */
export async function createStatusBatches(
  tx: Prisma.TransactionClient,
  campaignId: string,
  states: RecipientState[],
): Promise<number> {
  const limit = BATCH_LIMITS.STATUS_QUERY;
  const rows = await tx.$queryRaw<Array<{ batches: number }>>`
    WITH numbered AS (
      SELECT "id", (row_number() OVER (ORDER BY "id") - 1) / ${limit} AS slice
      FROM "Recipient"
      WHERE "campaignId" = ${campaignId}::uuid AND "state"::text = ANY(${states}::text[])
    ), slices AS (
      SELECT slice, count(*)::int AS size, gen_random_uuid() AS "batchId" FROM numbered GROUP BY slice
    ), batches AS (
      INSERT INTO "CampaignBatch" ("id", "campaignId", "operation", "state", "size", "notBefore", "createdAt")
      SELECT "batchId", ${campaignId}::uuid, 'STATUS_QUERY', 'PENDING', size, now(), now() FROM slices
      RETURNING "id"
    ), members AS (
      INSERT INTO "CampaignBatchMember" ("batchId", "recipientId")
      SELECT s."batchId", n."id" FROM numbered n JOIN slices s USING (slice)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM batches)::int AS batches, (SELECT count(*) FROM members)::int AS members`;
  return rows[0]?.batches ?? 0;
}

/** Token batches take ELIGIBLE recipients and move them to BATCHED (RECIPIENT_EVENTS.batch). */
export async function createTokenBatches(
  tx: Prisma.TransactionClient,
  campaignId: string,
): Promise<number> {
  const limit = BATCH_LIMITS.GENERATE_TOKENS;
  const rows = await tx.$queryRaw<Array<{ batches: number }>>`
    WITH numbered AS (
      SELECT "id", (row_number() OVER (ORDER BY "id") - 1) / ${limit} AS slice
      FROM "Recipient"
      WHERE "campaignId" = ${campaignId}::uuid AND "state" = 'ELIGIBLE'
    ), slices AS (
      SELECT slice, count(*)::int AS size, gen_random_uuid() AS "batchId" FROM numbered GROUP BY slice
    ), batches AS (
      INSERT INTO "CampaignBatch" ("id", "campaignId", "operation", "state", "size", "notBefore", "createdAt")
      SELECT "batchId", ${campaignId}::uuid, 'GENERATE_TOKENS', 'PENDING', size, now(), now() FROM slices
      RETURNING "id"
    ), moved AS (
      UPDATE "Recipient" r SET "state" = 'BATCHED', "batchId" = s."batchId", "updatedAt" = now()
      FROM numbered n JOIN slices s USING (slice)
      WHERE r."id" = n."id" AND r."state" = 'ELIGIBLE'
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM batches)::int AS batches, (SELECT count(*) FROM moved)::int AS moved`;
  return rows[0]?.batches ?? 0;
}
