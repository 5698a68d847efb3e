/**
 * What the clinician grant offers the PKB clients: the endpoint and token-source types (defined
 * once, in endpoints.ts and token-source.ts) and the error that stops every caller of a dead grant.
 */
export type { PkbEndpoints } from "./endpoints.ts";
export type { UserTokenSource } from "./token-source.ts";

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
