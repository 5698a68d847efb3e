import { describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { IMPORT_MESSAGES } from "./import/run-import.server.ts";
import { decideReview, reviewPage } from "./review.server.ts";
import { syntheticNhsNumber } from "./test-support.ts";
import { importedCampaign, offlineConnection } from "./testing.server.ts";

withTestDatabase();
const context = { actor: SYSTEM_ACTOR, clientAddress: null };

describe("review of flagged patients (H3)", () => {
  it("lists patients sharing a mobile and records each person's decision once", async () => {
    const [a, b, c] = [syntheticNhsNumber(1), syntheticNhsNumber(2), syntheticNhsNumber(3)];
    const campaignId = await importedCampaign(
      await offlineConnection(),
      `NHS number,Mobile\n${a},07700 900001\n${b},07700 900001\n${c},07700 900002\n`,
      { identifier: "NHS number", mobile: "Mobile" },
    );
    const page = await reviewPage(campaignId);
    expect(page.count).toBe(2);
    expect(page.shown.map((row) => [row.maskedId, row.reason])).toEqual([
      [`******${a.slice(-4)}`, IMPORT_MESSAGES.sharedMobile(2)],
      [`******${b.slice(-4)}`, IMPORT_MESSAGES.sharedMobile(2)],
    ]);
    const [first, second] = page.shown;
    expect(await decideReview(campaignId, first!.id, "keep", context)).toBe(true);
    expect(await decideReview(campaignId, second!.id, "leave-out", context)).toBe(true);
    expect(await decideReview(campaignId, second!.id, "keep", context)).toBe(false);
    const db = await prisma();
    const states = await db.recipient.findMany({
      where: { campaignId },
      orderBy: { sourceRow: "asc" },
    });
    expect(states.map((r) => r.state)).toEqual(["IMPORTED", "EXCLUDED", "IMPORTED"]);
    expect(
      await db.auditEvent.count({ where: { action: { startsWith: "campaign.review-" } } }),
    ).toBe(2);
  });
});
