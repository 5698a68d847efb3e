import * as oidc from "openid-client";
import type { ConnectionCredentials } from "./connections.server.ts";

/**
 * The clinician's OAuth client at PKB (pkb-api.md §2): authorization code + PKCE S256 + state,
 * and refresh. PKB publishes no discovery document, so the server metadata is written by hand
 * from the connection's web address. `allowInsecureRequests` only for http:// (the sandbox).
 */
export const PKB_SCOPE = "CLINICIAN";
/** Token calls give up after this long: a hung PKB must not hold a refresh lock for ever. */
export const TOKEN_TIMEOUT_SECONDS = 10;

export interface PkbTokens {
  accessToken: string;
  /** Absent when PKB keeps the old one (RFC 6749 §6). */
  refreshToken: string | undefined;
  expiresInSeconds: number;
  scope: string;
}

function configuration(
  credentials: ConnectionCredentials,
  timeoutSeconds = TOKEN_TIMEOUT_SECONDS,
): oidc.Configuration {
  const web = credentials.endpoints.webBaseUrl.replace(/\/+$/, "");
  const config = new oidc.Configuration(
    {
      issuer: web,
      authorization_endpoint: `${web}/apiAuthorize.action`,
      token_endpoint: `${web}/apiToken.action`,
      code_challenge_methods_supported: ["S256"],
    },
    credentials.userClient.id,
    { client_secret: credentials.userClient.secret },
    oidc.ClientSecretPost(credentials.userClient.secret),
  );
  config.timeout = timeoutSeconds;
  if (new URL(web).protocol === "http:") oidc.allowInsecureRequests(config);
  return config;
}

export interface AuthorisationStart {
  url: string;
  state: string;
  codeVerifier: string;
}

/** A fresh state and PKCE verifier, and the PKB sign-in address that carries them. */
export async function beginAuthorisation(
  credentials: ConnectionCredentials,
): Promise<AuthorisationStart> {
  const state = oidc.randomState();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(configuration(credentials), {
    redirect_uri: credentials.userClient.redirectUri,
    scope: PKB_SCOPE,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  return { url: url.href, state, codeVerifier };
}

/**
 * Exchanges the code PKB sent back. The callback address is rebuilt from the configured redirect
 * URI (not the request's own URL, which a proxy may have rewritten) so the token request repeats
 * exactly the redirect_uri the authorisation request sent.
 */
export async function exchangeCode(
  credentials: ConnectionCredentials,
  callbackParams: URLSearchParams,
  expected: { state: string; codeVerifier: string },
): Promise<PkbTokens> {
  const current = new URL(credentials.userClient.redirectUri);
  for (const [key, value] of callbackParams) current.searchParams.append(key, value);
  const response = await oidc.authorizationCodeGrant(configuration(credentials), current, {
    expectedState: expected.state,
    pkceCodeVerifier: expected.codeVerifier,
  });
  return tokensFrom(response);
}

export async function refreshTokens(
  credentials: ConnectionCredentials,
  refreshToken: string,
  options: { timeoutSeconds?: number } = {},
): Promise<PkbTokens> {
  const response = await oidc.refreshTokenGrant(
    configuration(credentials, options.timeoutSeconds),
    refreshToken,
  );
  return tokensFrom(response);
}

function tokensFrom(response: oidc.TokenEndpointResponse): PkbTokens {
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    // PKB's pages disagree (600 or 1800 s); trust what it says, and assume the shorter if silent.
    expiresInSeconds:
      typeof response.expires_in === "number" && response.expires_in > 0
        ? response.expires_in
        : 600,
    scope: typeof response.scope === "string" ? response.scope : PKB_SCOPE,
  };
}

/**
 * What a failed token call means for the grant:
 * - `dead`: PKB ended the API session (`invalid_grant`: reused, revoked or expired refresh token);
 *   only a new grant helps, so nothing may retry it.
 * - `configuration`: PKB refused the client itself (`invalid_client`, …); an administrator must fix
 *   the settings. The grant is unchanged.
 * - `transient`: 5xx, timeout, connection reset, unreadable JSON; the grant is unchanged and the
 *   next attempt may succeed.
 */
export type TokenFailure =
  | { kind: "dead"; code: string }
  | { kind: "configuration"; code: string }
  | { kind: "transient"; code: string };

export function classifyTokenError(error: unknown): TokenFailure {
  if (error instanceof oidc.ResponseBodyError) {
    const description =
      typeof error.error_description === "string" ? error.error_description : undefined;
    const code = description && /^[A-Z_]{3,60}$/.test(description) ? description : error.error;
    if (error.status >= 500 || error.status === 429) return { kind: "transient", code };
    if (error.error === "invalid_grant") return { kind: "dead", code };
    if (error.error === "temporarily_unavailable" || error.error === "slow_down") {
      return { kind: "transient", code };
    }
    return { kind: "configuration", code };
  }
  if (error instanceof oidc.ClientError) return { kind: "transient", code: error.code ?? "CLIENT" };
  return { kind: "transient", code: error instanceof Error ? error.name : "UNKNOWN" };
}

/** The error PKB sent back to the callback (`?error=…`), when there is one. */
export function callbackError(params: URLSearchParams): string | null {
  const error = params.get("error");
  return error ? error.slice(0, 60) : null;
}
