import { z } from "zod";

/**
 * Where each PKB surface lives (pkb-api.md §1). Production base URLs are configuration, never
 * constants: every client takes a `PkbEndpoints` and never builds a host itself.
 */
export interface PkbEndpoints {
  /** `apiAuthorize.action` and `apiToken.action` live here (user OAuth). */
  webBaseUrl: string;
  /** Full URL of the Facade client-credentials token endpoint. */
  systemTokenUrl: string;
  /** Full URL of the Aggregated (Keycloak) token endpoint. */
  aggregatedTokenUrl: string;
  /** FHIR STU3 base, e.g. `…/fhir`. */
  facadeBaseUrl: string;
  /** Custom REST base, e.g. `…/json`. */
  restBaseUrl: string;
  /** Aggregated FHIR R4 base, e.g. `…/aggregated/fhir`. */
  aggregatedBaseUrl: string;
}

/** A client id and secret for one of PKB's token servers. */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * The layout of PKB Desk's sandbox (and of PKB's own sandbox when reached through one origin):
 * every surface under one origin by path prefix.
 */
export function endpointsForOrigin(origin: string): PkbEndpoints {
  const base = new URL(origin).origin;
  return {
    webBaseUrl: base,
    systemTokenUrl: `${base}/api/oauth/token`,
    aggregatedTokenUrl: `${base}/auth/realms/pkb/protocol/openid-connect/token`,
    facadeBaseUrl: `${base}/fhir`,
    restBaseUrl: `${base}/json`,
    aggregatedBaseUrl: `${base}/aggregated/fhir`,
  };
}

/** `base` + `path` without doubling or losing the slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** An absolute http(s) URL without credentials or a fragment (a settings form's check). */
const serviceUrl = z
  .string()
  .trim()
  .url()
  .refine((value) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return (
      (url.protocol === "https:" || url.protocol === "http:") &&
      url.username === "" &&
      url.password === "" &&
      url.hash === ""
    );
  }, "Enter an http:// or https:// address without a user name, password or #fragment");

/** Validates a `PkbEndpoints` (e.g. from a settings form); trailing slashes are removed. */
export const pkbEndpointsSchema = z.object({
  webBaseUrl: serviceUrl.transform(withoutTrailingSlash),
  systemTokenUrl: serviceUrl,
  aggregatedTokenUrl: serviceUrl,
  facadeBaseUrl: serviceUrl.transform(withoutTrailingSlash),
  restBaseUrl: serviceUrl.transform(withoutTrailingSlash),
  aggregatedBaseUrl: serviceUrl.transform(withoutTrailingSlash),
}) satisfies z.ZodType<PkbEndpoints, unknown>;

function withoutTrailingSlash(value: string): string {
  return value.replace(/\/+$/, "");
}
