import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import type { TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { runBatchDriver } from "../batches/batch-driver.server.ts";
import { campaignFacade } from "../batches/facade-factory.server.ts";
import { startEligibilityCheck } from "../eligibility/eligibility.server.ts";
import { importedCampaign } from "../testing.server.ts";
import { startTokenGeneration } from "../tokens/tokens.server.ts";

/** Test helpers for tracking and hybrid mail: a campaign of sandbox patients holding codes. */
export const CONTEXT = { actor: SYSTEM_ACTOR, clientAddress: null };
export const MAPPING = {
  identifier: "nhs_number",
  givenName: "given_name",
  familyName: "family_name",
  dateOfBirth: "date_of_birth",
};

export async function sandboxCsv(pkb: TestSandbox, category: string, limit: number, offset = 0) {
  const response = await fetch(
    `${pkb.sandbox.url}/_sandbox/patients?category=${category}&limit=${limit}&offset=${offset}&format=csv`,
    { headers: { "x-sandbox-admin-key": pkb.sandbox.adminKey } },
  );
  return response.text();
}

export async function drive(campaignId: string, operation: "STATUS_QUERY" | "GENERATE_TOKENS") {
  const facade = await campaignFacade(campaignId);
  await runBatchDriver(campaignId, operation, facade, { leaseMs: 5_000, pollMs: 20 });
}

/** Imports `csv`, checks eligibility and generates codes, all against the sandbox. */
export async function campaignWithTokens(connectionId: string, csv: string): Promise<string> {
  const campaignId = await importedCampaign(connectionId, csv, MAPPING);
  await startEligibilityCheck(campaignId, CONTEXT);
  await drive(campaignId, "STATUS_QUERY");
  await startTokenGeneration(campaignId, CONTEXT);
  await drive(campaignId, "GENERATE_TOKENS");
  return campaignId;
}
