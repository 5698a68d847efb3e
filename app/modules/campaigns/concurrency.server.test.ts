import { afterAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { CampaignPageSchema, CampaignSchema } from "./campaign-forms.ts";
import { CampaignError, createCampaign } from "./campaigns.server.ts";
import { changeConcurrency } from "./run.server.ts";
import { offlineConnection } from "./testing.server.ts";

/** "Concurrency configurable (default 4)": the form, the audit trail and the drivers it starts. */
const db = withTestDatabase();
afterAll(() => stopJobRuntime());
const context = { actor: SYSTEM_ACTOR, clientAddress: null };

async function queuedDriverSlots(campaignId: string): Promise<number[]> {
  const rows = await db.current().sql.query<{ slot: number }>(
    `SELECT (data->>'slot')::int AS slot FROM pgboss.job
       WHERE name = 'campaigns.batch-driver' AND data->>'campaignId' = $1 ORDER BY 1`,
    [campaignId],
  );
  return rows.map((row) => row.slot);
}

describe("campaign concurrency", () => {
  it("defaults to 4 and refuses anything outside 1–8 with a plain message", async () => {
    const base = {
      name: "Speed",
      pkbConnectionId: await offlineConnection(),
      channel: "LETTER",
      identifierKind: "NHS",
    };
    const parsed = CampaignSchema.parse(base);
    expect(parsed.concurrency).toBe(4);
    const campaign = await createCampaign(parsed, context);
    expect(campaign.concurrency).toBe(4);
    for (const bad of ["0", "9", "2.5", "fast"]) {
      const result = CampaignPageSchema.safeParse({ intent: "set-concurrency", concurrency: bad });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe("Choose between 1 and 8 calls at once");
    }
    expect(CampaignSchema.parse({ ...base, concurrency: "2" }).concurrency).toBe(2);
  });

  it("raised while codes are generated starts only the extra drivers; every change is audited", async () => {
    const prismaClient = await prisma();
    const campaign = await prismaClient.campaign.create({
      data: {
        name: "Running",
        pkbConnectionId: await offlineConnection(),
        channel: "SMS",
        identifierKind: "NHS",
        state: "GENERATING",
        concurrency: 2,
      },
    });
    await changeConcurrency(campaign.id, 5, context);
    expect(await queuedDriverSlots(campaign.id)).toEqual([2, 3, 4]);
    // Lowered: no new driver; the ones above the new number stop at their next hand-over.
    await changeConcurrency(campaign.id, 1, context);
    expect(await queuedDriverSlots(campaign.id)).toEqual([2, 3, 4]);
    const audit = await prismaClient.auditEvent.findMany({
      where: { entityId: campaign.id, action: "campaign.concurrency" },
      orderBy: { id: "asc" },
    });
    expect(audit.map((row) => row.details)).toEqual([
      { from: 2, to: 5 },
      { from: 5, to: 1 },
    ]);
    expect(
      (await prismaClient.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).concurrency,
    ).toBe(1);
  });

  it("a campaign that is not running only stores it; a cancelled one refuses", async () => {
    const prismaClient = await prisma();
    const ready = await prismaClient.campaign.create({
      data: {
        name: "Ready",
        pkbConnectionId: await offlineConnection(),
        channel: "LETTER",
        identifierKind: "NHS",
        state: "READY",
      },
    });
    await changeConcurrency(ready.id, 8, context);
    expect(await queuedDriverSlots(ready.id)).toEqual([]);
    const cancelled = await prismaClient.campaign.update({
      where: { id: ready.id },
      data: { state: "CANCELLED" },
    });
    await expect(changeConcurrency(cancelled.id, 2, context)).rejects.toThrow(CampaignError);
    await expect(changeConcurrency(cancelled.id, 2, context)).rejects.toThrow(
      "This campaign was cancelled; its speed can no longer change.",
    );
  });
});
