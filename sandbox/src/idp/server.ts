import { generateKeyPairSync, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type InteractionDetails } from "oidc-provider";
import { createMemoryAdapter } from "oidc-provider/lib/adapters/memory_adapter.js";
import {
  DEFAULT_IDP_CLIENT,
  DEFAULT_STAFF_IDENTITIES,
  SUGGESTED_PORTAL_MAPPING,
  type IdpClient,
  type StaffIdentity,
} from "./identities.ts";
import {
  consentPage,
  frontPage,
  loginPage,
  logoutPage,
  messagePage,
  type IdpPage,
} from "./pages.ts";

/**
 * The sandbox trust's identity provider: OpenID Connect from the certified `oidc-provider`
 * library (discovery, JWKS, authorization code with PKCE S256 required, client_secret_basic, ID
 * tokens signed RS256 with a key made at start), with this file adding only what a library leaves
 * to its user: the staff directory, the sign-in and consent pages, and the claims. It runs on its
 * own port (4011 by default) beside the PKB sandbox, because a trust's IdP is a separate system
 * with its own origin and cookies.
 */
export interface TrustIdpOptions {
  /** 0 = a random free port. Default 4011. */
  port?: number;
  host?: string;
  /** The portal's client; redirect URIs are added to the defaults with `extraRedirectUris`. */
  client?: IdpClient;
  extraRedirectUris?: string[];
  identities?: StaffIdentity[];
  /** ID token lifetime. Default one hour. */
  idTokenLifetimeSeconds?: number;
}

export interface RunningTrustIdp {
  /** Also the issuer. */
  url: string;
  issuer: string;
  port: number;
  client: IdpClient;
  identities: StaffIdentity[];
  /** What to enter in PKB Desk's single sign-on settings for these identities. */
  suggestedMapping: typeof SUGGESTED_PORTAL_MAPPING;
  close(): Promise<void>;
}

interface KoaContext {
  status: number;
  type: string;
  body: unknown;
  set(name: string, value: string): void;
}

function applyPage(ctx: KoaContext, page: IdpPage): void {
  ctx.status = page.status;
  for (const [name, value] of Object.entries(page.headers)) ctx.set(name, value);
  ctx.type = "html";
  ctx.body = page.body;
}

function send(res: ServerResponse, page: IdpPage): void {
  res.writeHead(page.status, page.headers);
  res.end(page.body);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new Error("form too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function claimsOf(identity: StaffIdentity): Record<string, unknown> {
  return {
    sub: identity.sub,
    email: identity.email,
    email_verified: identity.emailVerified,
    name: identity.name,
    given_name: identity.givenName,
    family_name: identity.familyName,
    groups: [...identity.groups],
  };
}

export async function startTrustIdp(options: TrustIdpOptions = {}): Promise<RunningTrustIdp> {
  const identities = (options.identities ?? DEFAULT_STAFF_IDENTITIES).map((identity) => ({
    ...identity,
    groups: [...identity.groups],
  }));
  const base = options.client ?? DEFAULT_IDP_CLIENT;
  const client: IdpClient = {
    ...base,
    redirectUris: [...new Set([...base.redirectUris, ...(options.extraRedirectUris ?? [])])],
  };
  const passwords = new Set(identities.map((identity) => identity.password));
  const sharedPassword = passwords.size === 1 ? [...passwords][0]! : null;
  const bySub = new Map(identities.map((identity) => [identity.sub, identity]));
  const byEmail = new Map(identities.map((identity) => [identity.email.toLowerCase(), identity]));

  // The provider needs its issuer, which needs the port: listen first, answer once it exists.
  const ready: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server: Server = createServer((req, res) => {
    if (ready.handler) ready.handler(req, res);
    else res.writeHead(503).end();
  });
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4011, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost =
    host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const issuer = `http://${urlHost}:${port}`;

  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signingKey = {
    ...privateKey.export({ format: "jwk" }),
    kid: randomBytes(8).toString("hex"),
    alg: "RS256",
    use: "sig",
  };
  const idTokenSeconds = options.idTokenLifetimeSeconds ?? 3600;
  const clientName = "PKB Desk";

  const provider = new Provider(issuer, {
    // In memory on purpose, like the rest of the sandbox: a restart is a fresh provider. Passing
    // the library's own adapter (one store per provider) says so and keeps its start-up warning
    // out of the demo's output.
    adapter: createMemoryAdapter(),
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        client_name: clientName,
        redirect_uris: client.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "RS256",
      },
    ],
    // PKCE for every client, not only public ones (OAuth 2.1; the portal always sends S256).
    pkce: { required: () => true },
    scopes: ["openid", "email", "profile"],
    // `groups` travels with `openid`, as Entra adds a configured groups claim to every ID token.
    claims: {
      openid: ["sub", "groups"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name"],
    },
    // The claims go in the ID token itself (the portal reads no userinfo), like Entra's.
    conformIdTokenClaims: false,
    findAccount: (_ctx: unknown, sub: string) => {
      const identity = bySub.get(sub);
      return identity ? { accountId: sub, claims: () => claimsOf(identity) } : undefined;
    },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContext, form: string) => applyPage(ctx, logoutPage(form)),
        postLogoutSuccessSource: (ctx: KoaContext) =>
          applyPage(ctx, messagePage("You are signed out", ["You can close this window."], 200)),
      },
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: idTokenSeconds,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
    renderError: (ctx: KoaContext, out: Record<string, string>) =>
      applyPage(
        ctx,
        messagePage(
          "Sign-in could not continue",
          [
            out.error_description ?? out.error ?? "Something went wrong.",
            "Go back to the application and start signing in again.",
          ],
          ctx.status >= 400 ? ctx.status : 400,
        ),
      ),
  });
  // Library errors are answered to the caller; the sandbox's console keeps only their names.
  provider.on("server_error", (_ctx: unknown, error: unknown) => {
    console.error("trust idp: server error:", error instanceof Error ? error.message : "unknown");
  });
  const providerCallback = provider.callback();

  const interactionPages = async (
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: string | undefined,
  ): Promise<void> => {
    let details: InteractionDetails;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      send(
        res,
        messagePage(
          "This sign-in has expired",
          [
            "It was started more than ten minutes ago, already finished, or started in another browser.",
            "Go back to the application and start signing in again.",
          ],
          400,
        ),
      );
      return;
    }
    if (details.uid !== uid) {
      send(res, messagePage("This sign-in has expired", ["Start again."], 400));
      return;
    }
    const method = req.method ?? "GET";
    if (method === "GET" && action === undefined) {
      if (details.prompt.name === "login") {
        send(res, loginPage({ uid, clientName, identities, sharedPassword }));
        return;
      }
      const person = bySub.get(details.session?.accountId ?? "");
      send(
        res,
        consentPage({
          uid,
          clientName,
          personName: person?.name ?? "someone",
          scopes: details.prompt.details.missingOIDCScope ?? [],
        }),
      );
      return;
    }
    if (method !== "POST") {
      send(res, messagePage("Not found", ["Check the address."], 404));
      return;
    }
    if (action === "abort") {
      await provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "The person did not sign in." },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (action === "login" && details.prompt.name === "login") {
      const form = await readForm(req);
      const email = (form.get("email") ?? "").trim();
      const identity = byEmail.get(email.toLowerCase());
      if (!identity || !sameSecret(form.get("password") ?? "", identity.password)) {
        send(
          res,
          loginPage({
            uid,
            clientName,
            identities,
            sharedPassword,
            email,
            error: "Enter the e-mail address and password of a sandbox staff account",
          }),
        );
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: identity.sub } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (action === "confirm" && details.prompt.name === "consent") {
      const accountId = details.session?.accountId;
      const clientId = details.params.client_id;
      if (!accountId || typeof clientId !== "string") {
        send(res, messagePage("This sign-in has expired", ["Start again."], 400));
        return;
      }
      const grant = details.grantId
        ? ((await provider.Grant.find(details.grantId)) ??
          new provider.Grant({ accountId, clientId }))
        : new provider.Grant({ accountId, clientId });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
      if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(" "));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    send(res, messagePage("This sign-in has moved on", ["Go back and try again."], 400));
  };

  ready.handler = (req, res) => {
    const path = new URL(req.url ?? "/", issuer).pathname;
    const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/.exec(path);
    if (interaction) {
      interactionPages(req, res, interaction[1]!, interaction[2]).catch(() => {
        if (!res.headersSent) {
          send(res, messagePage("Sign-in could not continue", ["Start again."], 500));
        } else res.destroy();
      });
      return;
    }
    if (path === "/" && req.method === "GET") {
      send(res, frontPage({ issuer, clientId: client.id, identities, sharedPassword }));
      return;
    }
    providerCallback(req, res);
  };

  let closed = false;
  return {
    url: issuer,
    issuer,
    port,
    client,
    identities,
    suggestedMapping: SUGGESTED_PORTAL_MAPPING,
    close: async () => {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
