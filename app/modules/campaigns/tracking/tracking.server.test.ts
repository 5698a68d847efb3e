import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { IDENTIFIER_SYSTEMS } from "~/modules/pkb/identifiers.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { campaignFacade, forgetCampaignFacades } from "../batches/facade-factory.server.ts";
import { sandboxConnection } from "../testing.server.ts";
import { reinviteExpired } from "./reinvite.server.ts";
import { CONTEXT, campaignWithTokens, drive, sandboxCsv } from "./testing.server.ts";
import { runTracking, trackingSummary } from "./tracking.server.ts";

/**
 * Registration tracking and re-invitation against the PKB sandbox over HTTP: patients registered
 * through the sandbox are found by the next run, expired codes are counted, and "re-invite
 * expired" gets round-2 codes from PKB through the token pipeline for exactly the unregistered.
 */
withTestDatabase();
let pkb: TestSandbox;
let connectionId: string;
const clock = new FakeClock();
const DAY = 24 * 3_600_000;

beforeAll(async () => {
  pkb = await startTestSandbox({ patients: 400 });
  forgetCampaignFacades();
  connectionId = await sandboxConnection(pkb.sandbox.url, pkb.trustPublicId);
});
afterAll(async () => {
  setClock(systemClock);
  await pkb?.close();
});
afterEach(() => pkb.setFaults({}));

async function register(nationalIds: string[]) {
  await pkb.admin("POST", "/patients/register", {
    patients: nationalIds.map((value) => ({ system: IDENTIFIER_SYSTEMS.nhs, value })),
  });
}

describe("tracking", () => {
  it("records registration the first time PKB reports it, and leaves state alone when PKB fails", async () => {
    const campaignId = await campaignWithTokens(
      connectionId,
      await sandboxCsv(pkb, "eligible", 30),
    );
    // Batches are due by the database's clock; time is moved only once the codes are stored.
    clock.set(new Date());
    setClock(clock);
    const db = await prisma();
    const issued = await db.recipient.findMany({
      where: { campaignId, state: "TOKEN_ISSUED" },
      orderBy: { nationalId: "asc" },
    });
    expect(issued.length).toBeGreaterThan(10);
    const joined = issued.slice(0, 3).map((r) => r.nationalId);
    await register(joined);

    // PKB down: nothing is filed, the run says why and the job would be retried.
    await pkb.setFaults({ "facade.status-query": { rate500: 1 } });
    await expect(runTracking(campaignId, await campaignFacade(campaignId))).rejects.toThrow();
    expect(await db.recipient.count({ where: { campaignId, registeredAt: { not: null } } })).toBe(
      0,
    );
    expect(await db.recipient.count({ where: { campaignId, trackedAt: { not: null } } })).toBe(0);
    expect((await trackingSummary(campaignId)).lastRun?.error).toBeTruthy();
    await pkb.setFaults({});

    clock.advance(3_600_000);
    const firstRunAt = clock.now();
    await pkb.clearCalls();
    const first = await runTracking(campaignId, await campaignFacade(campaignId), { chunkSize: 7 });
    expect(first).toMatchObject({ checked: issued.length, newlyRegistered: 3 });
    const log = await pkb.admin("GET", "/calls");
    expect(log.endpoints["facade.status-query"].calls).toBe(Math.ceil(issued.length / 7));
    expect(log.endpoints["facade.status-query"].maxIdentifiers).toBeLessThanOrEqual(7);
    const registered = await db.recipient.findMany({
      where: { campaignId, registeredAt: { not: null } },
    });
    expect(registered.map((r) => r.nationalId).sort()).toEqual(joined);
    expect(registered.every((r) => r.registeredAt!.getTime() === firstRunAt.getTime())).toBe(true);

    // A later run asks only about the not-yet-registered and never moves a registration date.
    clock.advance(3_600_000);
    await register([issued[5]!.nationalId]);
    const second = await runTracking(campaignId, await campaignFacade(campaignId));
    expect(second).toMatchObject({ checked: issued.length - 3, newlyRegistered: 1 });
    const again = await db.recipient.findMany({
      where: { campaignId, nationalId: { in: joined } },
    });
    expect(again.every((r) => r.registeredAt!.getTime() === firstRunAt.getTime())).toBe(true);
    const summary = await trackingSummary(campaignId);
    expect(summary).toMatchObject({ registered: 4, expired: 0 });
    expect(summary.lastRun).toMatchObject({
      checked: issued.length - 3,
      registered: 1,
      error: null,
    });
  }, 120_000);

  it("counts expired codes and re-invites exactly the unregistered ones in round 2", async () => {
    setClock(systemClock);
    const campaignId = await campaignWithTokens(
      connectionId,
      await sandboxCsv(pkb, "eligible", 20, 60),
    );
    clock.set(new Date());
    setClock(clock);
    const db = await prisma();
    const before = await db.recipient.findMany({
      where: { campaignId, state: "TOKEN_ISSUED" },
      orderBy: { nationalId: "asc" },
    });
    const joined = before.slice(0, 4);
    await register(joined.map((r) => r.nationalId));
    await runTracking(campaignId, await campaignFacade(campaignId));
    expect((await trackingSummary(campaignId)).expired).toBe(0);

    // 31 days on (PKB issued them on its own date, TEST_NOW): every code has expired; the four who joined are registered, not "expired".
    clock.advance(31 * DAY);
    // PKB's time moves with ours, so the new round's codes run 30 days from "now".
    await pkb.admin("POST", "/clock", { set: clock.now().toISOString() });
    const summary = await trackingSummary(campaignId);
    expect(summary.expired).toBe(before.length - 4);

    const result = await reinviteExpired(campaignId, summary.expired, CONTEXT);
    expect(result.recipients).toBe(before.length - 4);
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).state).toBe(
      "GENERATING",
    );
    await drive(campaignId, "GENERATE_TOKENS");
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).state).toBe(
      "GENERATED",
    );
    const after = await db.recipient.findMany({ where: { campaignId } });
    const byId = new Map(before.map((r) => [r.id, r]));
    for (const recipient of after) {
      const old = byId.get(recipient.id);
      if (!old) continue;
      if (joined.some((j) => j.id === recipient.id)) {
        // Registered patients are never touched: same round, same sealed pair.
        expect(recipient).toMatchObject({
          inviteRound: 1,
          tokenSealed: old.tokenSealed,
          state: "TOKEN_ISSUED",
        });
      } else {
        expect(recipient.inviteRound).toBe(2);
        expect(recipient.state).toBe("TOKEN_ISSUED");
        expect(recipient.tokenSealed).not.toBe(old.tokenSealed);
      }
    }
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { entityId: campaignId, action: "campaign.reinvite-expired" },
    });
    expect(audit.details).toMatchObject({ recipients: before.length - 4 });
    // Nothing left to re-invite.
    await expect(reinviteExpired(campaignId, 0, CONTEXT)).rejects.toThrow(/expired/);
  }, 120_000);
});
