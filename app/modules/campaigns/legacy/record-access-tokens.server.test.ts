import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IDENTIFIER_SYSTEMS } from "~/modules/pkb/identifiers.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { campaignFacade, forgetCampaignFacades } from "../batches/facade-factory.server.ts";
import { startEligibilityCheck } from "../eligibility/eligibility.server.ts";
import { syntheticNhsNumber } from "../test-support.ts";
import { importedCampaign, sandboxConnection } from "../testing.server.ts";
import { startTokenGeneration } from "../tokens/tokens.server.ts";
import { CONTEXT, MAPPING, drive, sandboxCsv } from "../tracking/testing.server.ts";

/**
 * An organisation on PKB's Custom REST API gets its codes from recordAccessToken per patient,
 * behind the campaign's PKB port: PKB's documented refusals land in the existing reasons and
 * buckets, and the rest of the campaign flow is the one the Facade uses.
 */
withTestDatabase();
let pkb: TestSandbox;
let connectionId: string;

beforeAll(async () => {
  pkb = await startTestSandbox({ patients: 400 });
  forgetCampaignFacades();
  connectionId = await sandboxConnection(pkb.sandbox.url, pkb.trustPublicId, "Legacy trust");
  const db = await prisma();
  await db.pkbConnectionTokenApi.create({ data: { connectionId, tokenApi: "CUSTOM_REST" } });
});
afterAll(() => pkb?.close());

async function firstOf(category: string): Promise<string> {
  const answer = await pkb.admin("GET", `/patients?category=${category}&limit=1`);
  return answer.patients[0].identifier.value;
}

describe("recordAccessToken (Custom REST) behind the token port", () => {
  it("maps PKB's documented refusals to the eligibility reasons", async () => {
    const campaignId = await importedCampaign(connectionId, "nhs_number\n9434765919\n", {
      identifier: "nhs_number",
    });
    const facade = await campaignFacade(campaignId);
    const ids = {
      eligible: await firstOf("eligible"),
      registered: await firstOf("registered"),
      deceased: await firstOf("deceased"),
      noDob: await firstOf("no-date-of-birth"),
      noAccess: await firstOf("no-access"),
      unknown: syntheticNhsNumber(424_242),
    };
    const lookup = await fetch(`${pkb.sandbox.url}/_sandbox/patients/${ids.unknown}`, {
      headers: { "x-sandbox-admin-key": pkb.sandbox.adminKey },
    });
    expect(lookup.status).toBe(404);
    const nhs = (value: string) => ({ system: IDENTIFIER_SYSTEMS.nhs, value });
    await pkb.clearCalls();
    const answer = await facade.generateInvitationTokens(Object.values(ids).map(nhs));
    const key = (value: string) => `${IDENTIFIER_SYSTEMS.nhs}|${value}`;
    expect([...answer.issued.keys()]).toEqual([key(ids.eligible)]);
    expect(answer.issued.get(key(ids.eligible))!.invitationCode).toHaveLength(10);
    expect(Object.fromEntries(answer.reasons ?? [])).toEqual({
      [key(ids.registered)]: "ALREADY_REGISTERED",
      [key(ids.deceased)]: "DECEASED",
      [key(ids.noDob)]: "NO_DATE_OF_BIRTH",
      [key(ids.noAccess)]: "NO_ACCESS",
      [key(ids.unknown)]: "NOT_FOUND",
    });
    // The Facade's token operation was not used; the REST calls were.
    expect(await pkb.calls("facade.generate-invitation-tokens")).toBe(0);
    expect(await pkb.calls("rest.record-access-token")).toBeGreaterThanOrEqual(4);
  });

  it("runs the usual campaign flow, filing a patient who registered meanwhile as already registered", async () => {
    const campaignId = await importedCampaign(
      connectionId,
      await sandboxCsv(pkb, "eligible", 12, 30),
      MAPPING,
    );
    await startEligibilityCheck(campaignId, CONTEXT);
    await drive(campaignId, "STATUS_QUERY");
    const db = await prisma();
    const eligible = await db.recipient.findMany({
      where: { campaignId, state: "ELIGIBLE" },
      orderBy: { nationalId: "asc" },
    });
    expect(eligible.length).toBeGreaterThan(5);
    await pkb.admin("POST", "/patients/register", {
      patients: [{ system: IDENTIFIER_SYSTEMS.nhs, value: eligible[0]!.nationalId }],
    });
    await startTokenGeneration(campaignId, CONTEXT);
    await drive(campaignId, "GENERATE_TOKENS");
    const after = await db.recipient.findMany({ where: { campaignId, bucket: { not: null } } });
    const joined = after.find((r) => r.id === eligible[0]!.id)!;
    expect(joined).toMatchObject({ state: "NOT_ISSUED", bucket: "ALREADY_REGISTERED" });
    expect(joined.failureReason).toMatch(/already registered/i);
    const issued = after.filter((r) => r.state === "TOKEN_ISSUED");
    expect(issued.length + after.filter((r) => r.state === "NOT_ISSUED").length).toBe(
      eligible.length,
    );
    expect(issued.every((r) => r.tokenSealed && r.tokenExpiresAt)).toBe(true);
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).state).toBe(
      "GENERATED",
    );
  }, 120_000);

  it("answers recordAccessToken as PKB's page shows (status after an e-mail invitation, developerMessage null)", async () => {
    const eligible = await pkb.admin("GET", "/patients?category=eligible&limit=1&offset=50");
    const patient = eligible.patients[0];
    const token = await (
      await fetch(`${pkb.sandbox.url}/api/oauth/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from("pkb-desk-system:pkb-desk-system-secret").toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "grant_type=client_credentials",
      })
    ).json();
    const get = (path: string) =>
      fetch(`${pkb.sandbox.url}/json${path}`, {
        headers: {
          authorization: `Bearer ${token.access_token}`,
          "x-org-public-id": pkb.trustPublicId,
        },
      });
    const first = await (await get(`/v1/users/${patient.pkbId}/recordAccessToken`)).json();
    // Tokens generated before do not make a patient "invited": only PKB's e-mail does.
    expect(first.status).toBe("NOT_INVITED_NOT_REGISTERED");
    await pkb.admin("POST", "/patients/email-invite", {
      patients: [{ publicId: patient.publicId }],
    });
    const second = await (await get(`/v1/users/${patient.pkbId}/recordAccessToken`)).json();
    expect(second.status).toBe("INVITED_NOT_REGISTERED");
    const registered = (await pkb.admin("GET", "/patients?category=registered&limit=1"))
      .patients[0];
    const refusal = await get(`/v1/users/${registered.pkbId}/recordAccessToken`);
    expect(refusal.status).toBe(400);
    expect(await refusal.json()).toMatchObject({
      statusCode: 400,
      developerMessage: null,
      errorDetails: [{ errorCode: "invitation.patient.status" }],
    });
  });
});
