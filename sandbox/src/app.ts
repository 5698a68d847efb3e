import type { CallLog } from "./callLog.ts";
import type { SandboxClock } from "./clock.ts";
import type { RegisteredClient } from "./config.ts";
import type { FaultInjector } from "./faults.ts";
import { bearerToken, header, type RequestContext } from "./http/context.ts";
import {
  fhirError,
  restError,
  type PkbResponseCode,
  type Reply,
  type ReplyError,
} from "./http/reply.ts";
import type { NotifyStore } from "./notify/store.ts";
import type { AccessGrant, Authentication, OAuthStore } from "./oauth/store.ts";
import type { SandboxState } from "./state.ts";

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  pattern: RegExp;
  endpoint: string;
  /** Controls are never slowed or broken by fault rules. */
  faultable?: boolean;
  handle(ctx: RequestContext): Promise<Reply> | Reply;
}

/** Everything a handler may need. One per running sandbox. */
export interface SandboxApp {
  state: SandboxState;
  clock: SandboxClock;
  oauth: OAuthStore;
  clients: Map<string, RegisteredClient>;
  faults: FaultInjector;
  calls: CallLog;
  /** The GOV.UK Notify stand-in: its sends, outcomes, callback and limits. */
  notify: NotifyStore;
  adminKey: string;
  settings: { strictIdentifiers: boolean };
}

/** Organisation indexes a system or aggregated client is authorised for. */
export function authorisedOrganisations(app: SandboxApp, clientId: string): Set<number> {
  const client = app.clients.get(clientId);
  const orgs = new Set<number>();
  if (!client || client.kind === "user") return orgs;
  for (const org of app.state.population.organisations) {
    if (client.organisations.includes("*") || client.organisations.includes(org.publicId)) {
      orgs.add(org.index);
    }
  }
  return orgs;
}

type AuthFailure = Exclude<Authentication, { ok: true }>["reason"];

const FAILURE_CODES: Record<AuthFailure, { issue: string; pkb: PkbResponseCode; text: string }> = {
  missing: { issue: "login", pkb: "BAD_AUTHENTICATION", text: "No access token was supplied." },
  unknown: {
    issue: "login",
    pkb: "BAD_AUTHENTICATION",
    text: "The access token is not valid for this endpoint.",
  },
  expired: {
    issue: "expired",
    pkb: "ACC_TOKEN_EXPIRED",
    text: "The access token has expired; use the refresh token.",
  },
  "session-invalid": {
    issue: "login",
    pkb: "API_SESSION_INVALID",
    text: "The API session has been invalidated.",
  },
  "session-expired": {
    issue: "expired",
    pkb: "API_SESSION_EXPIRED",
    text: "The API session has expired.",
  },
};

const WWW_AUTHENTICATE = { "www-authenticate": 'Bearer error="invalid_token"' };

export function fhirAuthFailure(reason: AuthFailure): ReplyError {
  const f = FAILURE_CODES[reason];
  return fhirError(401, f.issue, f.text, f.pkb, WWW_AUTHENTICATE);
}

export function restAuthFailure(reason: AuthFailure): ReplyError {
  const f = FAILURE_CODES[reason];
  return restError(401, f.pkb, f.text, f.pkb, WWW_AUTHENTICATE);
}

/** Facade operations: a system client's token plus an authorised X-Org-Public-Id. */
export function requireFacadeSystemCaller(
  app: SandboxApp,
  ctx: RequestContext,
): { clientId: string; orgIndex: number } {
  const auth = app.oauth.authenticate("pkb", bearerToken(ctx.req), app.clock.now());
  if (!auth.ok) throw fhirAuthFailure(auth.reason);
  ctx.log.clientId = auth.grant.clientId;
  if (auth.grant.kind !== "system") {
    throw fhirError(
      403,
      "forbidden",
      "This operation is only available to system users.",
      "USER_TYPE_NOT_PERM",
    );
  }
  const orgHeader = header(ctx.req, "x-org-public-id")?.trim();
  if (!orgHeader) {
    throw fhirError(400, "required", "The X-Org-Public-Id header is required for system users.");
  }
  const org = app.state.population.organisations.find(
    (o) => o.publicId === orgHeader.toLowerCase(),
  );
  if (!org || !authorisedOrganisations(app, auth.grant.clientId).has(org.index)) {
    throw fhirError(403, "forbidden", "The organisation has not authorised this client.");
  }
  return { clientId: auth.grant.clientId, orgIndex: org.index };
}

/** Custom REST: a clinician (user client) or a system client. */
export function requireRestCaller(
  app: SandboxApp,
  ctx: RequestContext,
): { grant: Exclude<AccessGrant, { kind: "aggregated" }>; orgIndexes: Set<number> } {
  const auth = app.oauth.authenticate("pkb", bearerToken(ctx.req), app.clock.now());
  if (!auth.ok) throw restAuthFailure(auth.reason);
  const grant = auth.grant;
  ctx.log.clientId = grant.clientId;
  switch (grant.kind) {
    case "user": {
      const clinician = app.state.population.clinicians[grant.clinicianIndex];
      return { grant, orgIndexes: new Set(clinician ? [clinician.orgIndex] : []) };
    }
    case "system": {
      const authorised = authorisedOrganisations(app, grant.clientId);
      const orgHeader = header(ctx.req, "x-org-public-id")?.trim().toLowerCase();
      if (!orgHeader) return { grant, orgIndexes: authorised };
      const org = app.state.population.organisations.find((o) => o.publicId === orgHeader);
      if (!org || !authorised.has(org.index)) {
        throw restError(403, "ACCESS_DENIED", "The organisation has not authorised this client.");
      }
      return { grant, orgIndexes: new Set([org.index]) };
    }
    case "aggregated":
      throw restAuthFailure("unknown");
  }
}

export function requireAggregatedCaller(
  app: SandboxApp,
  ctx: RequestContext,
): { clientId: string; orgIndexes: Set<number> } {
  const auth = app.oauth.authenticate("aggregated", bearerToken(ctx.req), app.clock.now());
  if (!auth.ok) throw fhirAuthFailure(auth.reason);
  ctx.log.clientId = auth.grant.clientId;
  return {
    clientId: auth.grant.clientId,
    orgIndexes: authorisedOrganisations(app, auth.grant.clientId),
  };
}
