import type { EligibilityBucket } from "~/generated/prisma/enums.ts";

/**
 * What campaigns need from PKB's Facade: the two mass-registration operations, results keyed by
 * `system|value` (never by position). The Facade client in app/modules/pkb satisfies this; the
 * campaign code depends on this narrow shape so it can be read without the HTTP details.
 */
export interface PatientIdentifier {
  system: string;
  value: string;
}

export interface CallMeta {
  attempts: number;
  /** the connection was lost after PKB may have acted */
  outcomeUnknown: boolean;
}

export interface PatientStatusAnswer {
  found: boolean;
  diagnostics?: string;
  deceased?: boolean;
  registered?: boolean;
  /** YYYY-MM-DD */
  dateOfBirth?: string;
}

export interface IssuedTokens {
  invitationCode: string;
  accessToken: string;
  expiry: Date;
}

export interface CampaignFacade {
  statusQuery(identifiers: readonly PatientIdentifier[]): Promise<{
    statuses: Map<string, PatientStatusAnswer>;
    missing: PatientIdentifier[];
    meta: CallMeta;
  }>;
  generateInvitationTokens(identifiers: readonly PatientIdentifier[]): Promise<{
    issued: Map<string, IssuedTokens>;
    notIssued: PatientIdentifier[];
    /**
     * Why PKB issued no pair, when the API says (Custom REST's recordAccessToken does; the
     * Facade's operation only leaves the patient out), keyed like `issued`.
     */
    reasons?: Map<string, EligibilityBucket>;
    meta: CallMeta;
  }>;
}

export function identifierKey(identifier: PatientIdentifier): string {
  return `${identifier.system}|${identifier.value}`;
}

/** How a failed call is handled; PkbApiError carries these fields. */
export interface CallFailure {
  status?: number;
  /** attempts made inside the call (the client retries) */
  attempts: number;
  retryable: boolean;
  outcomeUnknown: boolean;
  retryAfterMs?: number;
}

export function asCallFailure(error: unknown): CallFailure | null {
  if (!(error instanceof Error) || !("retryable" in error)) return null;
  const failure = error as Error & Partial<CallFailure> & { retryAfterMs?: number };
  return {
    status: typeof failure.status === "number" ? failure.status : undefined,
    attempts: typeof failure.attempts === "number" ? failure.attempts : 1,
    retryable: failure.retryable === true,
    outcomeUnknown: failure.outcomeUnknown === true,
    retryAfterMs: failure.retryAfterMs,
  };
}
