import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { IDENTIFIER_SYSTEMS } from "~/modules/pkb/identifiers.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { decryptSecret, parseKeyRing } from "~/platform/crypto.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { getEnv } from "~/platform/env.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { runBatchDriver } from "./batches/batch-driver.server.ts";
import { campaignFacade, forgetCampaignFacades } from "./batches/facade-factory.server.ts";
import { STATUS_MESSAGES, startEligibilityCheck } from "./eligibility/eligibility.server.ts";
import { importedCampaign, sandboxConnection } from "./testing.server.ts";
import { retryFailedBatches, startTokenGeneration } from "./tokens/tokens.server.ts";

/**
 * Eligibility and token generation end to end against the PKB sandbox over HTTP, with the real
 * Facade client: a list exported by the sandbox itself is imported, checked, bucketed and given
 * codes; faults (429, 500, reset after commit, a poison identifier) are injected on the way.
 */
withTestDatabase();
let pkb: TestSandbox;
let connectionId: string;
const context = { actor: SYSTEM_ACTOR, clientAddress: null };
const MAPPING = {
  identifier: "nhs_number",
  givenName: "given_name",
  familyName: "family_name",
  dateOfBirth: "date_of_birth",
};

beforeAll(async () => {
  pkb = await startTestSandbox({ patients: 1500 });
  forgetCampaignFacades();
  connectionId = await sandboxConnection(pkb.sandbox.url, pkb.trustPublicId);
});
afterAll(() => pkb?.close());

async function sandboxCsv(category: string, limit: number): Promise<string> {
  const response = await fetch(
    `${pkb.sandbox.url}/_sandbox/patients?category=${category}&limit=${limit}&format=csv`,
    { headers: { "x-sandbox-admin-key": pkb.sandbox.adminKey } },
  );
  return response.text();
}

async function drive(campaignId: string, operation: "STATUS_QUERY" | "GENERATE_TOKENS") {
  const facade = await campaignFacade(campaignId);
  // Four drivers side by side, as the campaign's concurrency asks.
  await Promise.all(
    Array.from({ length: 4 }, () =>
      runBatchDriver(campaignId, operation, facade, { leaseMs: 5_000, pollMs: 50 }),
    ),
  );
}

describe("eligibility and invitation codes against the sandbox", () => {
  it("splits a status batch PKB refuses whole, so only the poison identifier goes unchecked", async () => {
    const csv = await sandboxCsv("any", 300);
    const campaignId = await importedCampaign(connectionId, csv, MAPPING);
    const db = await prisma();
    const recipients = await db.recipient.findMany({
      where: { campaignId },
      select: { nationalId: true },
      orderBy: { nationalId: "asc" },
    });
    const poison = recipients[Math.floor(recipients.length / 2)]!.nationalId;
    await pkb.setFaults({ "facade.status-query": { poisonIdentifiers: [poison] } });
    try {
      await startEligibilityCheck(campaignId, context);
      await drive(campaignId, "STATUS_QUERY");
    } finally {
      await pkb.setFaults({});
    }
    const after = await db.recipient.findMany({ where: { campaignId } });
    const unchecked = after.filter((recipient) => recipient.bucket === null);
    expect(unchecked.map((r) => [r.nationalId, r.state])).toEqual([[poison, "IMPORTED"]]);
    // The reason names PKB's refusal, followed by PKB's own words.
    expect(unchecked[0]!.failureReason?.startsWith(STATUS_MESSAGES.refused(""))).toBe(true);
    const batches = await db.campaignBatch.findMany({
      where: { campaignId, operation: "STATUS_QUERY" },
    });
    const failed = batches.filter((batch) => batch.state === "FAILED");
    expect(failed.map((batch) => batch.size)).toEqual([1]);
    expect(batches.every((batch) => ["DONE", "SPLIT", "FAILED"].includes(batch.state))).toBe(true);
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).state).toBe(
      "READY",
    );
  });

  it("buckets every patient, then stores exactly one code per eligible patient", async () => {
    const csv = await sandboxCsv("any", 1500);
    const campaignId = await importedCampaign(connectionId, csv, MAPPING);
    const db = await prisma();
    const imported = await db.recipient.count({ where: { campaignId } });
    expect(imported).toBeGreaterThan(1200); // the CHI and H&C patients fail as NHS numbers

    await pkb.clearCalls();
    await startEligibilityCheck(campaignId, context);
    await drive(campaignId, "STATUS_QUERY");
    const campaign = await db.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    expect(campaign.state).toBe("READY");
    const buckets = await db.recipient.groupBy({
      by: ["bucket"],
      where: { campaignId },
      _count: true,
    });
    const count = (bucket: string) => buckets.find((row) => row.bucket === bucket)?._count ?? 0;
    expect(buckets.every((row) => row.bucket !== null)).toBe(true);
    for (const bucket of ["ELIGIBLE", "ALREADY_REGISTERED", "UNDER_16", "NO_ACCESS", "DECEASED"]) {
      expect(count(bucket), bucket).toBeGreaterThan(0);
    }
    const statusLog = await pkb.admin("GET", "/calls");
    expect(statusLog.endpoints["facade.status-query"].maxIdentifiers).toBeLessThanOrEqual(5000);

    // Faults on the way: throttling, errors, a dropped connection after PKB acted, a poison number.
    const eligible = await db.recipient.findMany({
      where: { campaignId, state: "ELIGIBLE" },
      select: { nationalId: true },
    });
    const poison = eligible[7]!.nationalId;
    await pkb.setFaults({
      "facade.generate-invitation-tokens": {
        rate429: 0.1,
        rate500: 0.1,
        resetAfterCommitRate: 0.25,
        retryAfterSeconds: 0,
        poisonIdentifiers: [poison],
      },
    });
    await startTokenGeneration(campaignId, context);
    await drive(campaignId, "GENERATE_TOKENS");
    await pkb.setFaults({});

    const after = await db.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    expect(after.state).toBe("GENERATED");
    const states = await db.recipient.groupBy({
      by: ["state"],
      where: { campaignId, bucket: "ELIGIBLE" },
      _count: true,
    });
    const byState = Object.fromEntries(states.map((row) => [row.state, row._count]));
    expect(byState).toEqual({ TOKEN_ISSUED: eligible.length - 1, FAILED: 1 });
    const failed = await db.recipient.findFirstOrThrow({ where: { campaignId, state: "FAILED" } });
    expect(failed.nationalId).toBe(poison);
    expect(failed.failureReason).toMatch(/^PKB refused this patient's number on its own/);

    // Tokens are ciphertext bound to their row; the sandbox issued them to exactly these patients.
    const ring = parseKeyRing(getEnv().ENCRYPTION_KEYS);
    const issued = await db.recipient.findMany({ where: { campaignId, state: "TOKEN_ISSUED" } });
    const log = await pkb.admin("GET", "/calls?identifiers=true");
    const perIdentifier = log.tokensIssuedPerIdentifier as Record<string, number>;
    // PKB issued pairs to exactly the patients holding one: none left behind, none extra.
    expect(Object.keys(perIdentifier).sort()).toEqual(
      issued.map((recipient) => `${IDENTIFIER_SYSTEMS.nhs}|${recipient.nationalId}`).sort(),
    );
    for (const recipient of issued) {
      expect(recipient.tokenSealed).toMatch(/^v1\./);
      expect(decryptSecret(ring, recipient.tokenSealed!, recipient.id)).toHaveLength(10);
      // A second pair only where an earlier call's outcome was unknown, and then it is recorded.
      const pairs = perIdentifier[`${IDENTIFIER_SYSTEMS.nhs}|${recipient.nationalId}`]!;
      expect(recipient.tokensIssued).toBeGreaterThanOrEqual(pairs);
    }
    expect(log.endpoints["facade.generate-invitation-tokens"].maxIdentifiers).toBeLessThanOrEqual(
      500,
    );
    expect(issued.filter((recipient) => recipient.tokensIssued > 1).length).toBeGreaterThanOrEqual(
      log.tokens.issuedMoreThanOnce,
    );

    // Retry failed: the poison number fails again on its own, nothing else is called twice.
    await pkb.setFaults({ "facade.generate-invitation-tokens": { poisonIdentifiers: [poison] } });
    expect(await retryFailedBatches(campaignId, context)).toBe(1);
    await drive(campaignId, "GENERATE_TOKENS");
    await pkb.setFaults({});
    expect(await db.recipient.count({ where: { campaignId, state: "FAILED" } })).toBe(1);
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).state).toBe(
      "GENERATED",
    );
  }, 120_000);
});
