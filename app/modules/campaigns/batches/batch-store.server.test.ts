import { describe, expect, it } from "vitest";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { syntheticNhsNumber } from "../test-support.ts";
import { offlineConnection } from "../testing.server.ts";
import { holdLease, leaseNextBatch } from "./batch-store.server.ts";
import { createStatusBatches, createTokenBatches } from "./create-batches.server.ts";

withTestDatabase();

async function campaignWith(eligible: number) {
  const db = await prisma();
  const campaign = await db.campaign.create({
    data: {
      name: "Batches",
      pkbConnectionId: await offlineConnection(),
      channel: "LETTER",
      identifierKind: "NHS",
      state: "READY",
    },
  });
  await db.$executeRaw`
    INSERT INTO "Recipient" ("id", "campaignId", "nationalId", "sourceRow", "state", "updatedAt")
    SELECT gen_random_uuid(), ${campaign.id}::uuid, n, r, 'ELIGIBLE', now()
    FROM unnest(${Array.from({ length: eligible }, (_, i) => syntheticNhsNumber(i))}::text[],
      ${Array.from({ length: eligible }, (_, i) => i + 2)}::int[]) AS t(n, r)`;
  return campaign.id;
}

describe("durable batches", () => {
  it("cuts every eligible recipient into token batches of at most 500, once", async () => {
    const campaignId = await campaignWith(1234);
    const db = await prisma();
    expect(await db.$transaction((tx) => createTokenBatches(tx, campaignId))).toBe(3);
    const batches = await db.campaignBatch.findMany({
      where: { campaignId },
      orderBy: { size: "desc" },
    });
    expect(batches.map((batch) => batch.size)).toEqual([500, 500, 234]);
    for (const batch of batches) {
      expect(await db.recipient.count({ where: { batchId: batch.id, state: "BATCHED" } })).toBe(
        batch.size,
      );
    }
    expect(await db.recipient.count({ where: { campaignId, state: { not: "BATCHED" } } })).toBe(0);
    // Nobody is eligible any more, so a second cut makes nothing.
    expect(await db.$transaction((tx) => createTokenBatches(tx, campaignId))).toBe(0);
  });

  it("cuts status batches of at most 5000 without moving anyone", async () => {
    const campaignId = await campaignWith(5001);
    const db = await prisma();
    expect(await db.$transaction((tx) => createStatusBatches(tx, campaignId, ["ELIGIBLE"]))).toBe(
      2,
    );
    expect(await db.campaignBatchMember.count({ where: { batch: { campaignId } } })).toBe(5001);
    expect(await db.recipient.count({ where: { campaignId, state: "ELIGIBLE" } })).toBe(5001);
  });

  it("gives two workers different batches, and a batch whose lease ran out to the next", async () => {
    const campaignId = await campaignWith(1000);
    const db = await prisma();
    await db.$transaction((tx) => createTokenBatches(tx, campaignId));
    const clock = new FakeClock(new Date());
    setClock(clock);
    try {
      const [first, second] = await Promise.all([
        leaseNextBatch(db, campaignId, "GENERATE_TOKENS", 10_000),
        leaseNextBatch(db, campaignId, "GENERATE_TOKENS", 10_000),
      ]);
      expect(first && second && first.id !== second.id).toBe(true);
      expect(await leaseNextBatch(db, campaignId, "GENERATE_TOKENS", 10_000)).toBeNull();
      clock.advance(10_001);
      const again = await leaseNextBatch(db, campaignId, "GENERATE_TOKENS", 10_000);
      expect([first!.id, second!.id]).toContain(again!.id);
      expect(again!.attempts).toBe(2);
      const stale = again!.id === first!.id ? first! : second!;
      // The worker that lost the lease cannot file its answer.
      expect(await db.$transaction((tx) => holdLease(tx, stale))).toBe(false);
      expect(await db.$transaction((tx) => holdLease(tx, again!))).toBe(true);
    } finally {
      setClock(systemClock);
    }
  });
});
