import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";

/**
 * $read-receipt-query polling (pkb-api.md §4): accepted letters not yet seen read are asked about
 * in chunks of at most 5000 document identifiers (PKB's limit). Each chunk is filed in one
 * transaction: `readAt` from PKB's readTimestamp (now, if PKB gave none), `readCheckedAt` on every
 * document PKB answered for. A failed call leaves the chunk as it was; the next poll asks again.
 */
export const READ_RECEIPT_LIMIT = 5000;

export interface ReadReceiptPort {
  readReceiptQuery(documentIds: readonly string[]): Promise<{
    receipts: Map<string, { read: boolean; readAt?: Date }>;
  }>;
}

export async function pollReadReceipts(
  campaignId: string,
  facade: ReadReceiptPort,
  options: { chunkSize?: number } = {},
): Promise<{ asked: number; read: number; calls: number }> {
  const chunkSize = Math.min(options.chunkSize ?? READ_RECEIPT_LIMIT, READ_RECEIPT_LIMIT);
  const db = await prisma();
  let after: string | undefined;
  let asked = 0;
  let read = 0;
  let calls = 0;
  for (;;) {
    const chunk = await db.hybridMailDocument.findMany({
      where: {
        campaignId,
        state: "ACCEPTED",
        readAt: null,
        ...(after ? { documentId: { gt: after } } : {}),
      },
      select: { id: true, documentId: true },
      orderBy: { documentId: "asc" },
      take: chunkSize,
    });
    if (chunk.length === 0) break;
    after = chunk[chunk.length - 1]!.documentId;
    const answer = await facade.readReceiptQuery(chunk.map((doc) => doc.documentId));
    calls++;
    asked += chunk.length;
    const at = now();
    const answered: string[] = [];
    const readRows: Array<{ id: string; readAt: Date }> = [];
    for (const doc of chunk) {
      const receipt = answer.receipts.get(doc.documentId);
      if (!receipt) continue;
      answered.push(doc.id);
      if (receipt.read) readRows.push({ id: doc.id, readAt: receipt.readAt ?? at });
    }
    await db.$transaction(
      async (tx) => {
        await tx.hybridMailDocument.updateMany({
          where: { id: { in: answered } },
          data: { readCheckedAt: at },
        });
        if (readRows.length > 0) {
          await tx.$executeRaw`
            UPDATE "HybridMailDocument" d SET "readAt" = t.read_at
            FROM unnest(${readRows.map((row) => row.id)}::uuid[],
              ${readRows.map((row) => row.readAt.toISOString())}::timestamptz[]) AS t(id, read_at)
            WHERE d."id" = t.id AND d."readAt" IS NULL`;
        }
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
    read += readRows.length;
    if (chunk.length < chunkSize) break;
  }
  getLogger().info({ campaignId, asked, read, calls }, "read receipts polled");
  return { asked, read, calls };
}
