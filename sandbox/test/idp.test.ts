import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_IDP_CLIENT,
  STAFF_IDENTITY_PASSWORD,
  TRUST_STAFF_DOMAIN,
} from "../src/idp/identities.ts";
import { startTrustIdp, type RunningTrustIdp } from "../src/idp/server.ts";

/**
 * The trust identity provider's contract, over real HTTP with openid-client as the relying party
 * (what the portal uses): discovery, the code flow with PKCE, state and nonce through the sign-in
 * and consent pages, the ID token's claims, and what it refuses.
 */
const REDIRECT = "http://127.0.0.1:3000/auth/sso/callback";

let idp: RunningTrustIdp;
let config: oidc.Configuration;

beforeAll(async () => {
  idp = await startTrustIdp({ port: 0 });
  config = await oidc.discovery(
    new URL(idp.issuer),
    DEFAULT_IDP_CLIENT.id,
    undefined,
    oidc.ClientSecretBasic(DEFAULT_IDP_CLIENT.secret),
    { execute: [oidc.allowInsecureRequests] },
  );
});
afterAll(() => idp?.close());

/** A browser's cookies for the provider's one origin (paths ignored: the newest value wins). */
class Browser {
  private readonly cookies = new Map<string, string>();

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ status: number; location: string | null; body: string }> {
    const response = await fetch(url, {
      method: init.method ?? (init.form ? "POST" : "GET"),
      redirect: "manual",
      headers: {
        cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "),
        ...(init.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const location = response.headers.get("location");
    return {
      status: response.status,
      location: location ? new URL(location, url).href : null,
      body: await response.text(),
    };
  }

  /** Follows redirects on the provider until one leaves it (to the portal) or a page answers. */
  async follow(url: string) {
    let current = await this.request(url);
    while (current.location?.startsWith(idp.url)) current = await this.request(current.location);
    return current;
  }
}

async function authorizationRequest(extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid email profile",
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...extra,
  });
  return { url: url.href, verifier, state, nonce };
}

/** Signs in on the provider's pages and allows access; returns the redirect back to the portal. */
async function signInAndAllow(browser: Browser, authorizeUrl: string, email: string) {
  const login = await browser.follow(authorizeUrl);
  expect(login.status).toBe(200);
  expect(login.body).toContain("Sign in with your trust account");
  const uid = /action="\/interaction\/([^/]+)\/login"/.exec(login.body)?.[1];
  expect(uid).toBeTruthy();
  const signedIn = await browser.request(`${idp.url}/interaction/${uid}/login`, {
    form: { email, password: STAFF_IDENTITY_PASSWORD },
  });
  expect(signedIn.status).toBe(303);
  const consent = await browser.follow(signedIn.location!);
  expect(consent.status).toBe(200);
  expect(consent.body).toContain("Allow PKB Desk to know who you are?");
  const consentUid = /action="\/interaction\/([^/]+)\/confirm"/.exec(consent.body)?.[1];
  const allowed = await browser.request(`${idp.url}/interaction/${consentUid}/confirm`, {
    form: {},
  });
  expect(allowed.status).toBe(303);
  return browser.follow(allowed.location!);
}

describe("discovery", () => {
  it("publishes an OpenID configuration for the code flow with PKCE S256 and its signing keys", async () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.authorization_endpoint).toMatch(new RegExp(`^${idp.issuer}/`));
    expect(metadata.response_types_supported).toContain("code");
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(metadata.token_endpoint_auth_methods_supported).toContain("client_secret_basic");
    expect(metadata.claims_supported).toEqual(
      expect.arrayContaining(["sub", "email", "email_verified", "name", "groups"]),
    );
    const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    // Only the public half is published.
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });
});

describe("authorization code flow", () => {
  it("signs a member of staff in through its pages and issues an ID token with their e-mail and groups", async () => {
    const browser = new Browser();
    const request = await authorizationRequest();
    const back = await signInAndAllow(browser, request.url, `Riya.Shah@${TRUST_STAFF_DOMAIN}`);
    expect(back.status).toBe(303);
    const callback = new URL(back.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
    // RFC 9207: the response names its issuer (openid-client checks it).
    expect(callback.searchParams.get("iss")).toBe(idp.issuer);

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: DEFAULT_IDP_CLIENT.id,
      nonce: request.nonce,
      email: `riya.shah@${TRUST_STAFF_DOMAIN}`,
      email_verified: true,
      name: "Riya Shah",
      groups: ["pkb-desk-request-handlers", "cardiology-appointments"],
    });
    expect(claims.exp - claims.iat).toBe(3600);

    // Same browser, next time: the provider's session and grant skip both pages.
    const again = await authorizationRequest();
    const direct = await browser.follow(again.url);
    expect(direct.location).toMatch(new RegExp(`^${REDIRECT}\\?code=`));
    const second = await oidc.authorizationCodeGrant(config, new URL(direct.location!), {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
    });
    expect(second.claims()?.sub).toBe(claims.sub);

    // The code is spent: a second exchange is refused, and (RFC 6749 4.1.2) what it granted is
    // revoked, so the next sign-in asks for consent again.
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
    const afterReplay = await browser.follow((await authorizationRequest()).url);
    expect(afterReplay.body).toContain("Allow PKB Desk to know who you are?");
  });

  it("refuses a wrong password on its page, with the error shown and linked to the field", async () => {
    const browser = new Browser();
    const login = await browser.follow((await authorizationRequest()).url);
    const uid = /action="\/interaction\/([^/]+)\/login"/.exec(login.body)?.[1];
    const wrong = await browser.request(`${idp.url}/interaction/${uid}/login`, {
      form: { email: `tom.okafor@${TRUST_STAFF_DOMAIN}`, password: "not-the-password" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain("There is a problem");
    expect(wrong.body).toContain('href="#email"');
    expect(wrong.body).toContain(`value="tom.okafor@${TRUST_STAFF_DOMAIN}"`);
    // The sign-in page is bound to the browser that started it.
    const elsewhere = await new Browser().request(`${idp.url}/interaction/${uid}`);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toContain("This sign-in has expired");
  });

  it("sends 'access_denied' back when the person cancels", async () => {
    const browser = new Browser();
    const request = await authorizationRequest();
    const login = await browser.follow(request.url);
    const uid = /action="\/interaction\/([^/]+)\/abort"/.exec(login.body)?.[1];
    const cancelled = await browser.request(`${idp.url}/interaction/${uid}/abort`, { form: {} });
    const back = await browser.follow(cancelled.location!);
    const callback = new URL(back.location!);
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("state")).toBe(request.state);
  });

  it("requires PKCE, a registered redirect URI and the client's secret", async () => {
    const noPkce = new URL(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: "openid email",
        state: "s",
        nonce: "n",
      }),
    );
    const refusedPkce = await new Browser().request(noPkce.href);
    expect(refusedPkce.status).toBe(303);
    const pkceError = new URL(refusedPkce.location!);
    expect(pkceError.searchParams.get("error")).toBe("invalid_request");
    expect(pkceError.searchParams.get("error_description")).toMatch(/PKCE/);

    const elsewhere = await authorizationRequest({
      redirect_uri: "http://127.0.0.1:9999/steal",
    });
    const refusedRedirect = await new Browser().request(elsewhere.url);
    // Never redirected to an unregistered address: an error page instead.
    expect(refusedRedirect.status).toBe(400);
    expect(refusedRedirect.location).toBeNull();
    expect(refusedRedirect.body).toContain("Sign-in could not continue");

    const browser = new Browser();
    const request = await authorizationRequest();
    const back = await signInAndAllow(browser, request.url, `morgan.price@${TRUST_STAFF_DOMAIN}`);
    const wrongSecret = new oidc.Configuration(
      config.serverMetadata(),
      DEFAULT_IDP_CLIENT.id,
      undefined,
      oidc.ClientSecretBasic("not-the-secret"),
    );
    oidc.allowInsecureRequests(wrongSecret);
    await expect(
      oidc.authorizationCodeGrant(wrongSecret, new URL(back.location!), {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
    ).rejects.toMatchObject({
      status: 401,
      cause: [
        expect.objectContaining({
          parameters: expect.objectContaining({ error: "invalid_client" }),
        }),
      ],
    });

    // And the right client with the wrong verifier.
    const other = await authorizationRequest();
    const backAgain = await browser.follow(other.url);
    await expect(
      oidc.authorizationCodeGrant(config, new URL(backAgain.location!), {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: other.state,
        expectedNonce: other.nonce,
      }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("adds redirect URIs for a portal on another port, and serves a front page without secrets", async () => {
    const other = await startTrustIdp({
      port: 0,
      extraRedirectUris: ["http://127.0.0.1:4567/auth/sso/callback"],
    });
    try {
      expect(other.client.redirectUris).toContain("http://127.0.0.1:4567/auth/sso/callback");
      expect(other.client.redirectUris).toContain(DEFAULT_IDP_CLIENT.redirectUris[0]);
      const front = await fetch(`${other.url}/`);
      const body = await front.text();
      expect(front.status).toBe(200);
      expect(body).toContain(`morgan.price@${TRUST_STAFF_DOMAIN}`);
      expect(body).toContain(DEFAULT_IDP_CLIENT.id);
      expect(body).not.toContain(DEFAULT_IDP_CLIENT.secret);
    } finally {
      await other.close();
    }
  });
});
