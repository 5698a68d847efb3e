/**
 * Where a client gets its bearer token. The REST client takes one so it works with a clinician's
 * grant (the grant module implements `UserTokenSource`) or with the system client's token.
 */
export interface AccessTokenSource {
  /** A valid access token. */
  accessToken(): Promise<string>;
  /**
   * PKB refused `rejected` with 401: get a new token (single-flight) and return it. Throws when
   * no new token can be had (for a user grant: it needs re-authorisation).
   */
  afterUnauthorized(rejected: string): Promise<string>;
}

/** A clinician's grant as the clients see it; implemented by the grant module. */
export interface UserTokenSource extends AccessTokenSource {
  accessToken(): Promise<string>; // a valid access token for the grant
  afterUnauthorized(rejected: string): Promise<string>; // refresh (single-flight) and return the new one; throws when the grant needs re-authorisation
}
