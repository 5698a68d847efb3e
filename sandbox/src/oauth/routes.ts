import { randomBytes } from "node:crypto";
import type { Route, SandboxApp } from "../app.ts";
import type { RegisteredClient } from "../config.ts";
import { basicCredentials, parseForm, type RequestContext } from "../http/context.ts";
import { json, redirect, type Reply } from "../http/reply.ts";
import { errorSummary, html, messagePage, page, type FieldError } from "../pages/html.ts";
import type { UserScope } from "../population/model.ts";
import { secretsMatch } from "./clientAuth.ts";
import { s256 } from "./store.ts";

type UserClient = Extract<RegisteredClient, { kind: "user" }>;

interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scope: UserScope;
  state: string | undefined;
  codeChallenge: string | undefined;
  expiresAt: number;
}

const PENDING_LIFETIME_MS = 30 * 60_000;
const SCOPES: readonly UserScope[] = ["PATIENT", "CLINICIAN", "TEAMCOORD"];
const SCOPE_WORDING: Record<UserScope, string> = {
  CLINICIAN: "read and send secure messages in the teams you belong to, as you",
  TEAMCOORD: "act as a team coordinator for the teams you belong to",
  PATIENT: "read your own health record",
};

/**
 * A redirect URI is acceptable only when it is, character for character, one of the client's
 * registered URIs (pkb-api.md §2: an unregistered redirect URI gets an error page). No added query
 * parameters, no prefix or origin matching: that is how open redirectors are made.
 */
function acceptableRedirect(client: UserClient, candidate: string): boolean {
  return client.redirectUris.includes(candidate);
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.toString();
}

function errorPage(title: string, detail: string): Reply {
  return messagePage(
    title,
    [
      detail,
      "The application that sent you here needs to be set up correctly. You can close this page.",
    ],
    400,
  );
}

function consentPage(
  client: UserClient,
  requestId: string,
  scope: UserScope,
  errors: readonly FieldError[],
  username = "",
): Reply {
  const invalid = (field: string): boolean => errors.some((e) => e.field === field);
  return page({
    title: errors.length > 0 ? "Error: Sign in to allow access" : "Sign in to allow access",
    status: errors.length > 0 ? 401 : 200,
    body: html`${errorSummary(errors)}
      <h1>Sign in to allow access</h1>
      <p class="lede">
        <strong>${client.name}</strong> from <strong>${client.owner}</strong> wants to connect to
        your Patients Know Best account.
      </p>
      <div class="panel">
        <h2>If you allow it, ${client.name} will be able to:</h2>
        <ul>
          <li>${SCOPE_WORDING[scope]}</li>
        </ul>
        <p>You can withdraw access at any time.</p>
      </div>
      <form method="post" action="/apiAuthorize.action" novalidate>
        <input type="hidden" name="request" value="${requestId}" />
        <label for="username">Email address</label>
        ${invalid("username") ? html`<p class="error-message" id="username-error">Enter your email address</p>` : ""}
        <input
          type="email"
          id="username"
          name="username"
          autocomplete="username"
          spellcheck="false"
          value="${username}"
          class="${invalid("username") ? "input-error" : ""}"
          ${invalid("username") ? html`aria-describedby="username-error"` : ""}
        />
        <label for="password">Password</label>
        ${invalid("password") ? html`<p class="error-message" id="password-error">${errors.find((e) => e.field === "password")?.message ?? ""}</p>` : ""}
        <input
          type="password"
          id="password"
          name="password"
          autocomplete="current-password"
          class="${invalid("password") ? "input-error" : ""}"
          ${invalid("password") ? html`aria-describedby="password-error"` : ""}
        />
        <div class="actions">
          <button type="submit" name="decision" value="allow">Sign in and allow access</button>
          <button type="submit" name="decision" value="deny" class="secondary">Deny access</button>
        </div>
      </form>`,
  });
}

export function oauthRoutes(app: SandboxApp): Route[] {
  const pending = new Map<string, PendingAuthorization>();

  const userClient = (id: string | null | undefined): UserClient | undefined => {
    const client = id ? app.clients.get(id) : undefined;
    return client?.kind === "user" ? client : undefined;
  };

  const authorizeGet = (ctx: RequestContext): Reply => {
    const q = ctx.url.searchParams;
    const client = userClient(q.get("client_id"));
    if (!client) {
      return errorPage(
        "Unknown application",
        "The client_id is missing or is not registered with PKB.",
      );
    }
    const sentRedirect = q.get("redirect_uri") ?? undefined;
    let redirectUri: string;
    if (sentRedirect !== undefined) {
      if (!acceptableRedirect(client, sentRedirect)) {
        return errorPage(
          "Unregistered redirect address",
          "The redirect_uri is not registered for this application.",
        );
      }
      redirectUri = sentRedirect;
    } else if (client.redirectUris.length === 1 && client.redirectUris[0]) {
      redirectUri = client.redirectUris[0];
    } else {
      return errorPage(
        "Missing redirect address",
        "This application has several redirect addresses, so redirect_uri is required.",
      );
    }
    const state = q.get("state") ?? undefined;
    const fail = (error: string, description: string): Reply =>
      redirect(withParams(redirectUri, { error, error_description: description, state }));
    if (q.get("response_type") !== "code") {
      return fail("unsupported_response_type", "response_type must be code");
    }
    const requestedScope = q.get("scope");
    let scope: UserScope;
    if (requestedScope === null || requestedScope === "") {
      scope = client.scopes[0] ?? "CLINICIAN";
    } else if (
      (SCOPES as readonly string[]).includes(requestedScope) &&
      client.scopes.includes(requestedScope as UserScope)
    ) {
      scope = requestedScope as UserScope;
    } else {
      return fail(
        "invalid_scope",
        "scope must be one of the client's scopes: " + client.scopes.join(", "),
      );
    }
    const challenge = q.get("code_challenge") ?? undefined;
    const method = q.get("code_challenge_method") ?? undefined;
    if (challenge !== undefined) {
      if (method !== "S256") return fail("invalid_request", "code_challenge_method must be S256");
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(challenge)) {
        return fail("invalid_request", "code_challenge is malformed");
      }
    } else if (method !== undefined) {
      return fail("invalid_request", "code_challenge_method without code_challenge");
    }
    const requestId = randomBytes(18).toString("base64url");
    pending.set(requestId, {
      clientId: client.id,
      redirectUri,
      redirectUriSent: sentRedirect !== undefined,
      scope,
      state,
      codeChallenge: challenge,
      expiresAt: app.clock.now() + PENDING_LIFETIME_MS,
    });
    return consentPage(client, requestId, scope, []);
  };

  const authorizePost = async (ctx: RequestContext): Promise<Reply> => {
    const form = parseForm(await ctx.readBody());
    const requestId = form.get("request") ?? "";
    const request = pending.get(requestId);
    const client = userClient(request?.clientId);
    if (!request || !client || request.expiresAt <= app.clock.now()) {
      pending.delete(requestId);
      return messagePage(
        "This sign-in link has expired",
        ["Go back to the application and start again."],
        400,
      );
    }
    if (form.get("decision") === "deny") {
      pending.delete(requestId);
      return redirect(
        withParams(request.redirectUri, { error: "access_denied", state: request.state }),
      );
    }
    const username = (form.get("username") ?? "").trim();
    const password = form.get("password") ?? "";
    const errors: FieldError[] = [];
    if (!username) errors.push({ field: "username", message: "Enter your email address" });
    if (!password) errors.push({ field: "password", message: "Enter your password" });
    if (errors.length > 0) return consentPage(client, requestId, request.scope, errors, username);
    const clinician = app.state.population.clinicians.find(
      (c) => c.login?.username === username.toLowerCase(),
    );
    if (!clinician?.login || !secretsMatch(password, clinician.login.password)) {
      return consentPage(
        client,
        requestId,
        request.scope,
        [{ field: "password", message: "The email address or password is not right" }],
        username,
      );
    }
    if (!clinician.login.scopes.includes(request.scope)) {
      return consentPage(
        client,
        requestId,
        request.scope,
        [{ field: "username", message: `This account cannot grant ${request.scope} access` }],
        username,
      );
    }
    pending.delete(requestId);
    const code = app.oauth.createCode(
      {
        clientId: client.id,
        redirectUri: request.redirectUri,
        redirectUriSent: request.redirectUriSent,
        scope: request.scope,
        clinicianIndex: clinician.index,
        codeChallenge: request.codeChallenge,
      },
      app.clock.now(),
    );
    return redirect(withParams(request.redirectUri, { code, state: request.state }));
  };

  const oauthError = (
    status: number,
    error: string,
    description: string,
    headers: Record<string, string> = {},
  ): Reply => json(status, { error, error_description: description }, headers);

  const userToken = async (ctx: RequestContext): Promise<Reply> => {
    const form = parseForm(await ctx.readBody());
    const basic = basicCredentials(ctx.req);
    const formId = form.get("client_id");
    const formSecret = form.get("client_secret");
    if (basic && formSecret !== undefined) {
      return oauthError(400, "invalid_request", "Use one client authentication method, not two");
    }
    if (basic && formId !== undefined && formId !== basic.id) {
      return oauthError(
        400,
        "invalid_request",
        "client_id does not match the authenticated client",
      );
    }
    const id = basic?.id ?? formId;
    const secret = basic?.secret ?? formSecret;
    const client = userClient(id);
    ctx.log.clientId = client?.id;
    if (!client || secret === undefined || !secretsMatch(secret, client.secret)) {
      return oauthError(
        401,
        "invalid_client",
        "Client authentication failed",
        basic ? { "www-authenticate": 'Basic realm="pkb"' } : {},
      );
    }
    const now = app.clock.now();
    const grantType = form.get("grant_type");
    switch (grantType) {
      case "authorization_code": {
        const code = app.oauth.code(form.get("code") ?? "");
        if (!code) return oauthError(400, "invalid_grant", "The authorization code is not valid");
        // Another client presenting the code learns nothing and cannot end the owner's session.
        if (code.clientId !== client.id) {
          return oauthError(400, "invalid_grant", "The authorization code is not valid");
        }
        if (code.usedAt !== null) {
          // A replayed code is a sign of theft: end whatever session it started (RFC 6749 §4.1.2).
          if (code.sessionId) app.oauth.invalidateSession(code.sessionId, now);
          return oauthError(400, "invalid_grant", "API_SESSION_INVALID");
        }
        if (code.expiresAt <= now) {
          return oauthError(400, "invalid_grant", "The authorization code has expired");
        }
        // RFC 6749 §4.1.3: required when the authorization request had one, and then identical;
        // when it was left out (a client with one registered URI), a redirect_uri that is sent
        // must still be the one the code was delivered to.
        const sentRedirect = form.get("redirect_uri");
        if (
          (code.redirectUriSent && sentRedirect === undefined) ||
          (sentRedirect !== undefined && sentRedirect !== code.redirectUri)
        ) {
          return oauthError(
            400,
            "invalid_grant",
            "redirect_uri does not match the authorization request",
          );
        }
        const verifier = form.get("code_verifier");
        if (code.codeChallenge !== undefined) {
          if (!verifier || s256(verifier) !== code.codeChallenge) {
            return oauthError(400, "invalid_grant", "PKCE verification failed");
          }
        } else if (verifier !== undefined) {
          return oauthError(400, "invalid_grant", "code_verifier sent but no code_challenge was");
        }
        const session = app.oauth.startSession(code, now);
        const tokens = app.oauth.issueUserTokens(session, now);
        return json(200, {
          access_token: tokens.accessToken,
          token_type: "Bearer",
          expires_in: tokens.expiresIn,
          ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
          scope: session.scope,
        });
      }
      case "refresh_token": {
        const presented = form.get("refresh_token") ?? "";
        const record = app.oauth.refreshRecord(presented);
        if (!record) return oauthError(400, "invalid_grant", "API_SESSION_INVALID");
        const session = app.oauth.session(record.sessionId);
        if (!session || session.clientId !== client.id) {
          return oauthError(400, "invalid_grant", "API_SESSION_INVALID");
        }
        if (record.usedAt !== null) {
          // Single-use refresh tokens: a second use kills the whole API session.
          app.oauth.invalidateSession(session.id, now);
          return oauthError(400, "invalid_grant", "API_SESSION_INVALID");
        }
        if (session.invalidatedAt !== null) {
          return oauthError(400, "invalid_grant", "API_SESSION_INVALID");
        }
        if (now >= session.expiresAt) {
          return oauthError(400, "invalid_grant", "API_SESSION_EXPIRED");
        }
        const tokens = app.oauth.issueUserTokens(session, now);
        if (tokens.refreshToken) app.oauth.markRefreshUsed(presented, now);
        session.refreshCount += 1;
        return json(200, {
          access_token: tokens.accessToken,
          token_type: "Bearer",
          expires_in: tokens.expiresIn,
          ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
          scope: session.scope,
        });
      }
      default:
        return oauthError(
          400,
          "unsupported_grant_type",
          `Unsupported grant_type: ${grantType ?? "(none)"}`,
        );
    }
  };

  // Spring Security OAuth style, as PKB's client-credentials server answers. [C]
  const SPRING_UNAUTHORIZED = {
    error: "unauthorized",
    error_description: "Full authentication is required to access this resource",
  };

  const systemToken = async (ctx: RequestContext): Promise<Reply> => {
    const form = parseForm(await ctx.readBody());
    const basic = basicCredentials(ctx.req);
    const client = basic ? app.clients.get(basic.id) : undefined;
    if (
      !basic ||
      !client ||
      client.kind !== "system" ||
      !secretsMatch(basic.secret, client.secret)
    ) {
      return json(401, SPRING_UNAUTHORIZED, { "www-authenticate": 'Basic realm="oauth2/client"' });
    }
    ctx.log.clientId = client.id;
    const grantType = form.get("grant_type");
    if (grantType !== "client_credentials") {
      return json(400, {
        error: "unsupported_grant_type",
        error_description: `Unsupported grant type: ${grantType ?? ""}`,
      });
    }
    const token = app.oauth.issueSystemToken(client.id, app.clock.now());
    return json(200, {
      access_token: token.accessToken,
      token_type: "bearer",
      expires_in: token.expiresIn,
      scope: "none",
      jti: token.jti,
    });
  };

  // Keycloak style (the Aggregated endpoint's token server). [C]
  const aggregatedToken = async (ctx: RequestContext): Promise<Reply> => {
    const form = parseForm(await ctx.readBody());
    const basic = basicCredentials(ctx.req);
    const id = basic?.id ?? form.get("client_id");
    const secret = basic?.secret ?? form.get("client_secret");
    const client = id ? app.clients.get(id) : undefined;
    const grantType = form.get("grant_type");
    if (grantType !== "client_credentials") {
      return json(400, {
        error: "unsupported_grant_type",
        error_description: "Unsupported grant_type",
      });
    }
    if (
      !client ||
      client.kind !== "aggregated" ||
      secret === undefined ||
      !secretsMatch(secret, client.secret)
    ) {
      return json(401, {
        error: "invalid_client",
        error_description: "Invalid client or Invalid client credentials",
      });
    }
    ctx.log.clientId = client.id;
    const token = app.oauth.issueAggregatedToken(
      client.id,
      app.clock.now(),
      `${ctx.baseUrl}/auth/realms/pkb`,
    );
    return json(200, {
      access_token: token.accessToken,
      expires_in: token.expiresIn,
      refresh_expires_in: 0,
      token_type: "Bearer",
      "not-before-policy": 0,
      scope: "profile email",
    });
  };

  return [
    {
      method: "GET",
      pattern: /^\/apiAuthorize\.action$/,
      endpoint: "oauth.authorize",
      handle: authorizeGet,
    },
    {
      method: "POST",
      pattern: /^\/apiAuthorize\.action$/,
      endpoint: "oauth.authorize-decision",
      handle: authorizePost,
    },
    { method: "POST", pattern: /^\/apiToken\.action$/, endpoint: "oauth.token", handle: userToken },
    {
      method: "POST",
      pattern: /^\/api\/oauth\/token$/,
      endpoint: "oauth.system-token",
      handle: systemToken,
    },
    {
      method: "POST",
      pattern: /^\/auth\/realms\/pkb\/protocol\/openid-connect\/token$/,
      endpoint: "oauth.aggregated-token",
      handle: aggregatedToken,
    },
  ];
}
