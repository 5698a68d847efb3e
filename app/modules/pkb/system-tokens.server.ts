import * as oidc from "openid-client";
import type { ClientCredentials, PkbEndpoints } from "./endpoints.ts";
import { PkbApiError, type PkbSurface } from "./errors.ts";
import { sharedPkbHttp, type PkbHttp } from "./http.server.ts";
import type { AccessTokenSource } from "./token-source.ts";

export type { AccessTokenSource, UserTokenSource } from "./token-source.ts";

/**
 * Client-credentials tokens for the two system surfaces (pkb-api.md §2):
 * - the Facade's token server (`/api/oauth/token`): HTTP Basic, answers `token_type: "bearer"`;
 * - the Aggregated endpoint's Keycloak (`…/openid-connect/token`): `client_id`/`client_secret` in
 *   the form body. Its tokens are not interchangeable with the Facade's.
 * Each token is cached until shortly before `expires_in`, fetched single-flight, and dropped and
 * fetched again when PKB answers 401.
 */

export interface TokenSourceOptions {
  http?: PkbHttp;
  /** Injected in tests. */
  now?: () => number;
  /** Fetch a new token this long before the old one expires. Default 30 s (at most half its life). */
  refreshMarginMs?: number;
}

/** A token source that can also say what it is doing, for "test connection". */
export interface ClientCredentialsTokenSource extends AccessTokenSource {
  /** Forget the cached token (e.g. after the credentials change). */
  invalidate(): void;
  /** How many tokens were fetched (tests and diagnostics). */
  readonly fetches: number;
}

type TokenKind = "system" | "aggregated";

const SURFACE: Record<TokenKind, PkbSurface> = {
  system: "system-token",
  aggregated: "aggregated-token",
};

/** Lifetime assumed when a token server leaves out `expires_in` (short, to be safe). */
const DEFAULT_LIFETIME_S = 60;

export function systemTokenSource(
  endpoints: Pick<PkbEndpoints, "systemTokenUrl">,
  credentials: ClientCredentials,
  options: TokenSourceOptions = {},
): ClientCredentialsTokenSource {
  return cachedClientCredentials("system", endpoints.systemTokenUrl, credentials, options);
}

export function aggregatedTokenSource(
  endpoints: Pick<PkbEndpoints, "aggregatedTokenUrl">,
  credentials: ClientCredentials,
  options: TokenSourceOptions = {},
): ClientCredentialsTokenSource {
  return cachedClientCredentials("aggregated", endpoints.aggregatedTokenUrl, credentials, options);
}

function cachedClientCredentials(
  kind: TokenKind,
  tokenUrl: string,
  credentials: ClientCredentials,
  options: TokenSourceOptions,
): ClientCredentialsTokenSource {
  const http = options.http ?? sharedPkbHttp();
  const now = options.now ?? Date.now;
  const surface = SURFACE[kind];
  const config = tokenConfiguration(kind, tokenUrl, credentials, http, surface);
  let cached: { token: string; renewAt: number } | undefined;
  let inFlight: Promise<string> | undefined;
  let fetches = 0;

  const fetchToken = (): Promise<string> => {
    // Single-flight: concurrent callers share one token request.
    inFlight ??= (async () => {
      try {
        fetches++;
        const response = await oidc.clientCredentialsGrant(config).catch((error: unknown) => {
          throw toPkbApiError(error, surface);
        });
        const lifetimeMs = (response.expires_in ?? DEFAULT_LIFETIME_S) * 1000;
        const margin = Math.min(options.refreshMarginMs ?? 30_000, lifetimeMs / 2);
        cached = { token: response.access_token, renewAt: now() + lifetimeMs - margin };
        return response.access_token;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  return {
    async accessToken() {
      if (cached && now() < cached.renewAt) return cached.token;
      return fetchToken();
    },
    async afterUnauthorized(rejected) {
      // Another call may already have replaced the rejected token.
      if (cached && cached.token !== rejected && now() < cached.renewAt) return cached.token;
      cached = undefined;
      return fetchToken();
    },
    invalidate() {
      cached = undefined;
    },
    get fetches() {
      return fetches;
    },
  };
}

/** PKB publishes no discovery document: the server metadata is written by hand. */
function tokenConfiguration(
  kind: TokenKind,
  tokenUrl: string,
  credentials: ClientCredentials,
  http: PkbHttp,
  surface: PkbSurface,
): oidc.Configuration {
  const url = new URL(tokenUrl);
  const config = new oidc.Configuration(
    { issuer: url.origin, token_endpoint: tokenUrl },
    credentials.clientId,
    undefined,
    kind === "system"
      ? oidc.ClientSecretBasic(credentials.clientSecret)
      : oidc.ClientSecretPost(credentials.clientSecret),
  );
  if (url.protocol === "http:") oidc.allowInsecureRequests(config);
  config[oidc.customFetch] = pkbOAuthFetch(http, surface);
  return config;
}

/**
 * openid-client's `customFetch` that sends token calls through the same timeouts, retries and
 * caps as every other PKB call (use it for the user client's token calls too, with
 * `surface: "user-oauth"`). Error answers (400 invalid_grant, 401) are left for openid-client to read.
 */
export function pkbOAuthFetch(http: PkbHttp, surface: PkbSurface): oidc.CustomFetch {
  return async (input, init) => {
    const response = await http.send({
      surface,
      endpoint: "token",
      method: "POST",
      url: input,
      headers: init.headers,
      ...(init.body !== undefined && init.body !== null ? { body: String(init.body) } : {}),
      acceptStatus: (status) => status >= 400 && status < 500,
    });
    return new Response(response.text, { status: response.status, headers: response.headers });
  };
}

/** openid-client's errors (and ours, wrapped by it) as one `PkbApiError`. */
export function toPkbApiError(error: unknown, surface: PkbSurface): PkbApiError {
  for (let current: unknown = error, depth = 0; depth < 5; depth++) {
    if (current instanceof PkbApiError) return current;
    if (!(current instanceof Error)) break;
    current = current.cause;
  }
  if (error instanceof oidc.ResponseBodyError) {
    return new PkbApiError({
      surface,
      endpoint: "token",
      kind: "http",
      status: error.status,
      code: error.error,
      ...(error.error_description !== undefined ? { detail: error.error_description } : {}),
      retryable: false,
    });
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    return new PkbApiError({
      surface,
      endpoint: "token",
      kind: "http",
      status: error.status,
      code: error.cause[0]?.parameters.error ?? "unauthorized",
      retryable: false,
    });
  }
  return new PkbApiError({
    surface,
    endpoint: "token",
    kind: "invalid-response",
    detail: error instanceof Error ? error.message : "unreadable answer",
    retryable: false,
    cause: error,
  });
}
