/**
 * The seam between the clinician grant (this branch) and the PKB HTTP clients (another branch).
 * These declarations are copied verbatim from the clients' contract so both sides compile
 * alone; the lead reconciles them into endpoints.ts / errors.ts at merge.
 */
export interface PkbEndpoints {
  webBaseUrl: string;
  systemTokenUrl: string;
  aggregatedTokenUrl: string;
  facadeBaseUrl: string;
  restBaseUrl: string;
  aggregatedBaseUrl: string;
}

export interface UserTokenSource {
  accessToken(): Promise<string>; // a valid access token for the grant
  afterUnauthorized(rejected: string): Promise<string>; // refresh (single-flight) and return the new one; throws GrantNeedsReauthorisationError when the grant is dead
}

/**
 * The grant cannot give tokens until someone re-grants (PKB answered `invalid_grant`), or it was
 * disconnected. Callers stop (no retry): retrying a dead session cannot succeed.
 */
export class GrantNeedsReauthorisationError extends Error {
  override name = "GrantNeedsReauthorisationError";
  constructor(
    readonly grantId: string,
    readonly status: "NEEDS_REAUTHORISATION" | "DISCONNECTED",
  ) {
    super(
      status === "DISCONNECTED"
        ? "The PKB grant was disconnected; an administrator must grant access again."
        : "PKB no longer accepts this grant; an administrator must grant access again.",
    );
  }
}
