import type { Prisma } from "~/generated/prisma/client.ts";

/**
 * Claims an idempotency key inside the caller's transaction. Returns false when the key was
 * already claimed by an earlier (committed) run, in which case the caller skips its effect.
 * Because the claim and the effect commit together, a worker killed at any point either left
 * both or neither: a retry does the work exactly once.
 */
export async function completeOnce(tx: Prisma.TransactionClient, key: string): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO "JobCompletion" ("key", "completedAt") VALUES (${key}, now())
    ON CONFLICT ("key") DO NOTHING`;
  return inserted === 1;
}
