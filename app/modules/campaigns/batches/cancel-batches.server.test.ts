import { describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { changeCampaignState } from "../campaigns.server.ts";
import { syntheticNhsNumber } from "../test-support.ts";
import { offlineConnection } from "../testing.server.ts";
import { CANCELLED_BATCH_MESSAGE } from "./cancel-batches.server.ts";

/** Cancelling a campaign leaves nothing queued and every patient in a state that says so. */
withTestDatabase();
const context = { actor: SYSTEM_ACTOR, clientAddress: null };
const MINUTE = 60_000;

describe("cancelling a campaign with batches still to run", () => {
  it("cancels waiting and abandoned batches, returns their patients to eligible, leaves a live lease alone", async () => {
    const db = await prisma();
    const campaign = await db.campaign.create({
      data: {
        name: "To cancel",
        pkbConnectionId: await offlineConnection(),
        channel: "LETTER",
        identifierKind: "NHS",
        state: "GENERATING",
      },
    });
    let n = 0;
    const recipient = (state: "BATCHED" | "TOKEN_ISSUED" | "IMPORTED", batchId?: string) =>
      db.recipient.create({
        data: {
          campaignId: campaign.id,
          nationalId: syntheticNhsNumber(++n),
          sourceRow: n + 1,
          state,
          batchId: batchId ?? null,
          bucket: state === "IMPORTED" ? null : "ELIGIBLE",
        },
      });
    const batch = (data: {
      operation?: "STATUS_QUERY" | "GENERATE_TOKENS";
      state: "PENDING" | "LEASED" | "DONE";
      outcomeUnknown?: number;
      leaseUntil?: Date;
    }) =>
      db.campaignBatch.create({
        data: { campaignId: campaign.id, operation: "GENERATE_TOKENS", size: 1, ...data },
      });
    // Waiting its next turn after a call whose outcome was unknown: PKB may have issued a pair.
    const waiting = await batch({ state: "PENDING", outcomeUnknown: 1 });
    const waitingPatients = [
      await recipient("BATCHED", waiting.id),
      await recipient("BATCHED", waiting.id),
    ];
    // Its worker died holding it (lease ran out): counted as one more call that may have acted.
    const abandoned = await batch({ state: "LEASED", leaseUntil: new Date(Date.now() - MINUTE) });
    const abandonedPatient = await recipient("BATCHED", abandoned.id);
    // A live worker is calling PKB for it right now: left to finish.
    const live = await batch({ state: "LEASED", leaseUntil: new Date(Date.now() + 10 * MINUTE) });
    const livePatient = await recipient("BATCHED", live.id);
    const done = await batch({ state: "DONE" });
    const issuedPatient = await recipient("TOKEN_ISSUED", done.id);
    // A status batch from a re-check that had not run: its membership goes too.
    const statusBatch = await batch({ operation: "STATUS_QUERY", state: "PENDING" });
    const unchecked = await recipient("IMPORTED");
    await db.campaignBatchMember.create({
      data: { batchId: statusBatch.id, recipientId: unchecked.id },
    });

    await changeCampaignState(campaign.id, "cancel", context);

    const batches = new Map(
      (await db.campaignBatch.findMany({ where: { campaignId: campaign.id } })).map((row) => [
        row.id,
        row,
      ]),
    );
    expect(batches.get(waiting.id)).toMatchObject({
      state: "CANCELLED",
      outcomeUnknown: 1,
      lastError: CANCELLED_BATCH_MESSAGE,
    });
    expect(batches.get(abandoned.id)).toMatchObject({ state: "CANCELLED", outcomeUnknown: 1 });
    expect(batches.get(statusBatch.id)?.state).toBe("CANCELLED");
    expect(batches.get(live.id)?.state).toBe("LEASED");
    expect(batches.get(done.id)?.state).toBe("DONE");
    expect(await db.campaignBatchMember.count({ where: { batchId: statusBatch.id } })).toBe(0);

    const patients = new Map(
      (await db.recipient.findMany({ where: { campaignId: campaign.id } })).map((row) => [
        row.id,
        row,
      ]),
    );
    for (const patient of waitingPatients) {
      expect(patients.get(patient.id)).toMatchObject({ state: "ELIGIBLE", tokensIssued: 1 });
    }
    expect(patients.get(abandonedPatient.id)).toMatchObject({ state: "ELIGIBLE", tokensIssued: 1 });
    expect(patients.get(livePatient.id)?.state).toBe("BATCHED");
    expect(patients.get(issuedPatient.id)?.state).toBe("TOKEN_ISSUED");
    expect(patients.get(unchecked.id)?.state).toBe("IMPORTED");
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).state).toBe(
      "CANCELLED",
    );
  });
});
