import type { EligibilityBucket, IdentifierKind } from "~/generated/prisma/enums.ts";
import { PkbApiError } from "~/modules/pkb/errors.ts";
import type { RestClient } from "~/modules/pkb/rest-client.server.ts";
import { now } from "~/platform/clock.ts";
import { KIND_SYSTEMS } from "../eligibility/eligibility.server.ts";
import {
  identifierKey,
  type CampaignFacade,
  type IssuedTokens,
  type PatientIdentifier,
} from "../pkb-port.ts";

/**
 * Invitation codes for an organisation still on PKB's Custom REST API (pkb-api.md §5): per patient,
 * the user is found by national id, then `GET /json/v1/users/{pkbId}/recordAccessToken` issues
 * the pair. It answers the token pipeline through the same port as the Facade's
 * $generate-invitation-tokens, so batches, filing and the campaign page do not change. PKB's
 * documented refusals become the reasons the eligibility buckets already use (NOT_ISSUED);
 * anything else (429, 5xx, network) fails the call, and the batch is retried as usual.
 */

/** REST pairs carry no expiry; PKB's codes last 30 days [C]. */
export const REST_TOKEN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

const KIND_NAMES: Record<IdentifierKind, "nhs" | "chi" | "hc"> = {
  NHS: "nhs",
  CHI: "chi",
  HC: "hc",
};

/** PKB's documented refusal → the bucket it means, or null when it is not a refusal about the patient. */
export function refusalBucket(error: unknown): EligibilityBucket | null {
  if (!(error instanceof PkbApiError) || error.kind !== "http") return null;
  const code = error.code ?? "";
  const detail = (error.detail ?? "").toLowerCase();
  if (error.status === 401 && code === "invitation.record.access") return "NO_ACCESS";
  // The user lookup's refusal for another organisation's patient; a refusal of the client itself
  // ("has not authorised this client") is not about the patient and fails the call instead.
  if (error.status === 403 && /this record/i.test(error.detail ?? "")) return "NO_ACCESS";
  if (error.status === 404) return "NOT_FOUND";
  if (error.status !== 400) return null;
  if (code === "invitation.patient.status" || detail.includes("registration already completed")) {
    return "ALREADY_REGISTERED";
  }
  if (code === "invitation.patient.deceased" || detail.includes("deceased")) return "DECEASED";
  if (code === "invitation.patient.dob" || detail.includes("date of birth")) {
    return "NO_DATE_OF_BIRTH";
  }
  if (code === "invitation.patient.age" || detail.includes("under 16")) return "UNDER_16";
  return null;
}

export interface LegacyTokenAnswer {
  issued: Map<string, IssuedTokens>;
  notIssued: PatientIdentifier[];
  /** why PKB issued no pair, by identifier key */
  reasons: Map<string, EligibilityBucket>;
  meta: { attempts: number; outcomeUnknown: boolean };
}

export function recordAccessTokenFacade(
  facade: CampaignFacade,
  rest: Pick<RestClient, "userByNationalId" | "recordAccessToken">,
  kind: IdentifierKind,
): CampaignFacade {
  const system = KIND_SYSTEMS[kind];
  return {
    statusQuery: (identifiers) => facade.statusQuery(identifiers),
    async generateInvitationTokens(identifiers): Promise<LegacyTokenAnswer> {
      const issued = new Map<string, IssuedTokens>();
      const reasons = new Map<string, EligibilityBucket>();
      let outcomeUnknown = false;
      for (const identifier of identifiers) {
        const key = identifierKey(identifier);
        if (identifier.system !== system) {
          reasons.set(key, "NOT_FOUND");
          continue;
        }
        try {
          const user = await rest.userByNationalId(KIND_NAMES[kind], identifier.value);
          if (!user) {
            reasons.set(key, "NOT_FOUND");
            continue;
          }
          const pair = await rest.recordAccessToken(user.pkbId);
          outcomeUnknown ||= pair.meta.outcomeUnknown;
          issued.set(key, {
            invitationCode: pair.invitationCode,
            accessToken: pair.accessToken,
            expiry: new Date(now().getTime() + REST_TOKEN_LIFETIME_MS),
          });
        } catch (error) {
          const bucket = refusalBucket(error);
          if (bucket) {
            reasons.set(key, bucket);
            continue;
          }
          // Pairs already issued in this call are lost with it: the retried batch asks again,
          // and PKB may then have issued a second pair (counted as outcome unknown, ADR 0009).
          if (error instanceof PkbApiError && issued.size > 0) error.settle(error.attempts, true);
          throw error;
        }
      }
      const notIssued = identifiers.filter((id) => !issued.has(identifierKey(id)));
      return { issued, notIssued, reasons, meta: { attempts: 1, outcomeUnknown } };
    },
  };
}
