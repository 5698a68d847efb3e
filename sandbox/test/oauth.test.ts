import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import {
  aggregatedToken,
  basic,
  consent,
  facade,
  parametersOf,
  startTestSandbox,
  systemToken,
  SYSTEMS,
} from "./support.ts";

const REDIRECT = "http://localhost:3000/pkb/oauth/callback";

let sb: RunningSandbox;
let config: oidc.Configuration;

beforeAll(async () => {
  sb = await startTestSandbox();
  config = new oidc.Configuration(
    {
      issuer: sb.url,
      authorization_endpoint: `${sb.url}/apiAuthorize.action`,
      token_endpoint: `${sb.url}/apiToken.action`,
    },
    "pkb-desk",
    "pkb-desk-sandbox-secret",
  );
  oidc.allowInsecureRequests(config);
});
afterAll(() => sb.close());

async function grantWithPkce(
  options: { verifier?: string } = {},
): Promise<oidc.TokenEndpointResponse> {
  const verifier = options.verifier ?? oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "CLINICIAN",
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const { status, location } = await consent(url.href);
  expect(status).toBe(302);
  return oidc.authorizationCodeGrant(config, new URL(location ?? ""), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
}

async function messagesStatus(accessToken: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sb.url}/json/v1/messages/after/0`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return { status: res.status, body: await res.json() };
}

async function expectOAuthError(
  promise: Promise<unknown>,
  error: string,
  description?: string,
): Promise<void> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(oidc.ResponseBodyError);
    const err = e as oidc.ResponseBodyError;
    expect(err.error).toBe(error);
    if (description) expect(err.error_description).toBe(description);
    return;
  }
  throw new Error("expected an OAuth error");
}

describe("authorization code + PKCE with openid-client (pkb-api.md §2)", () => {
  it("issues Bearer tokens with a refresh token and the CLINICIAN scope", async () => {
    const tokens = await grantWithPkce();
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    expect(tokens.expires_in).toBe(600);
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope).toBe("CLINICIAN");
    expect((await messagesStatus(tokens.access_token)).status).toBe(200);
  });

  it("rotates refresh tokens; reusing one gives invalid_grant/API_SESSION_INVALID and kills the whole session", async () => {
    const first = await grantWithPkce();
    const second = await oidc.refreshTokenGrant(config, first.refresh_token ?? "");
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const third = await oidc.refreshTokenGrant(config, second.refresh_token ?? "");
    expect((await messagesStatus(third.access_token)).status).toBe(200);

    await expectOAuthError(
      oidc.refreshTokenGrant(config, first.refresh_token ?? ""),
      "invalid_grant",
      "API_SESSION_INVALID",
    );
    // The session is dead: the newest refresh token and the newest access token stop working too.
    await expectOAuthError(
      oidc.refreshTokenGrant(config, third.refresh_token ?? ""),
      "invalid_grant",
      "API_SESSION_INVALID",
    );
    const api = await messagesStatus(third.access_token);
    expect(api.status).toBe(401);
    expect(JSON.stringify(api.body)).toContain("API_SESSION_INVALID");
  });

  it("refuses a wrong PKCE verifier and a replayed code (which also ends the session it started)", async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: "CLINICIAN",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    });
    const { location } = await consent(url.href);
    const code = new URL(location ?? "").searchParams.get("code") ?? "";
    const post = (form: Record<string, string>): Promise<Response> =>
      fetch(`${sb.url}/apiToken.action`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: basic("pkb-desk", "pkb-desk-sandbox-secret"),
        },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: REDIRECT,
          ...form,
        }),
      });
    const wrong = await post({ code_verifier: oidc.randomPKCECodeVerifier() });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: "invalid_grant" });
    const missing = await post({});
    expect(missing.status).toBe(400);
    const ok = await post({ code_verifier: verifier });
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as { access_token: string };
    const replay = await post({ code_verifier: verifier });
    expect(replay.status).toBe(400);
    expect((await messagesStatus(tokens.access_token)).status).toBe(401);
  });

  it("accepts the client secret in the form body as well as HTTP Basic, and rejects a bad secret with invalid_client", async () => {
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: "CLINICIAN" });
    const { location } = await consent(url.href);
    const code = new URL(location ?? "").searchParams.get("code") ?? "";
    const bad = await fetch(`${sb.url}/apiToken.action`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        client_id: "pkb-desk",
        client_secret: "wrong",
      }),
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: "invalid_client" });
    const good = await fetch(`${sb.url}/apiToken.action`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        client_id: "pkb-desk",
        client_secret: "pkb-desk-sandbox-secret",
      }),
    });
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({
      token_type: "Bearer",
      expires_in: 600,
      scope: "CLINICIAN",
    });
  });

  it("redirects a denial with error=access_denied and the state", async () => {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: "CLINICIAN",
      state: "s-123",
    });
    const { status, location } = await consent(url.href, { decision: "deny" });
    expect(status).toBe(302);
    const back = new URL(location ?? "");
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe("s-123");
  });

  it("shows an error page, never a redirect, for an unknown client or an unregistered redirect URI", async () => {
    for (const url of [
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=nope&redirect_uri=${encodeURIComponent(REDIRECT)}`,
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&redirect_uri=${encodeURIComponent("https://evil.example/cb")}`,
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk`,
    ]) {
      const res = await fetch(url, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("content-type")).toContain("text/html");
    }
  });

  it("accepts only a registered redirect URI, character for character (error page, no redirect)", async () => {
    for (const candidate of [
      `${REDIRECT}?tenant=a`,
      `${REDIRECT}/`,
      REDIRECT.replace("/callback", "/CALLBACK"),
      REDIRECT.replace("localhost:3000", "localhost:3001"),
      `${REDIRECT}#x`,
    ]) {
      const res = await fetch(
        `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&scope=CLINICIAN&state=s&redirect_uri=${encodeURIComponent(candidate)}`,
        { redirect: "manual" },
      );
      expect(res.status, candidate).toBe(400);
      expect(res.headers.get("location"), candidate).toBeNull();
      expect(await res.text()).toContain("Unregistered redirect address");
    }
  });

  it("refuses plain PKCE and unknown scopes by redirecting with the error and the state", async () => {
    const plain = await fetch(
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&state=p1&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=${"a".repeat(43)}&code_challenge_method=plain`,
      { redirect: "manual" },
    );
    const plainBack = new URL(plain.headers.get("location") ?? "");
    expect(plainBack.searchParams.get("error")).toBe("invalid_request");
    expect(plainBack.searchParams.get("state")).toBe("p1");
    const scope = await fetch(
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=PATIENT`,
      {
        redirect: "manual",
      },
    );
    expect(new URL(scope.headers.get("location") ?? "").searchParams.get("error")).toBe(
      "invalid_scope",
    );
  });

  it("echoes the state with the code", async () => {
    const { location } = await consent(
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&scope=CLINICIAN&state=${encodeURIComponent("a b&c")}&redirect_uri=${encodeURIComponent(REDIRECT)}`,
    );
    const back = new URL(location ?? "");
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get("code")).toBeTruthy();
    expect(back.searchParams.get("state")).toBe("a b&c");
  });

  it("requires the token request's redirect_uri to be the authorization request's, even another registered one fails", async () => {
    const { location } = await consent(
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&scope=CLINICIAN&redirect_uri=${encodeURIComponent(REDIRECT)}`,
    );
    const code = new URL(location ?? "").searchParams.get("code") ?? "";
    const exchange = (redirect: string | undefined): Promise<Response> =>
      fetch(`${sb.url}/apiToken.action`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: basic("pkb-desk", "pkb-desk-sandbox-secret"),
        },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          ...(redirect !== undefined ? { redirect_uri: redirect } : {}),
        }),
      });
    for (const redirect of [
      "http://127.0.0.1:3000/pkb/oauth/callback", // registered, but not the one used
      `${REDIRECT}?x=1`,
      undefined,
    ]) {
      const res = await exchange(redirect);
      expect(res.status, String(redirect)).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    }
    expect((await exchange(REDIRECT)).status).toBe(200);
  });
});

describe("a client with one registered redirect URI, and a second user client", () => {
  let single: RunningSandbox;
  const ONLY = "http://localhost:3999/only/callback";
  beforeAll(async () => {
    single = await startTestSandbox({
      patients: 30,
      clients: [
        { kind: "user", id: "solo", secret: "solo-secret", redirectUris: [ONLY] },
        { kind: "user", id: "other", secret: "other-secret", redirectUris: [ONLY] },
      ],
    });
  });
  afterAll(() => single.close());

  const codeFor = async (clientId: string, withRedirect: boolean): Promise<string> => {
    const { location } = await consent(
      `${single.url}/apiAuthorize.action?response_type=code&client_id=${clientId}&scope=CLINICIAN${withRedirect ? `&redirect_uri=${encodeURIComponent(ONLY)}` : ""}`,
    );
    const back = new URL(location ?? "");
    expect(back.origin + back.pathname).toBe(ONLY);
    return back.searchParams.get("code") ?? "";
  };
  const exchange = (
    clientId: string,
    secret: string,
    code: string,
    redirect?: string,
  ): Promise<Response> =>
    fetch(`${single.url}/apiToken.action`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        client_id: clientId,
        client_secret: secret,
        ...(redirect !== undefined ? { redirect_uri: redirect } : {}),
      }),
    });

  it("delivers to the only URI when redirect_uri is left out; the token request may omit it but may not change it", async () => {
    const first = await codeFor("solo", false);
    const changed = await exchange("solo", "solo-secret", first, "http://localhost:3999/elsewhere");
    expect(changed.status).toBe(400);
    expect((await exchange("solo", "solo-secret", first)).status).toBe(200);
    const second = await codeFor("solo", false);
    expect((await exchange("solo", "solo-secret", second, ONLY)).status).toBe(200);
  });

  it("a code presented by another client is refused and does not end its owner's session", async () => {
    const code = await codeFor("solo", true);
    const ok = await exchange("solo", "solo-secret", code, ONLY);
    expect(ok.status).toBe(200);
    const { access_token } = (await ok.json()) as { access_token: string };
    const stolen = await exchange("other", "other-secret", code, ONLY);
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ error: "invalid_grant" });
    const api = await fetch(`${single.url}/json/v1/messages/after/0`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(api.status).toBe(200);
  });
});

describe("authorization code, continued", () => {
  it("re-shows the page with an error for wrong credentials, and issues no code", async () => {
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: "CLINICIAN" });
    const result = await consent(url.href, { password: "wrong" });
    expect(result.status).toBe(401);
    expect(result.location).toBeNull();
    expect(result.html).toContain("There is a problem");
  });
});

describe("token lifetimes on the sandbox clock", () => {
  it("expires access tokens (ACC_TOKEN_EXPIRED) and lets the refresh token recover", async () => {
    const tokens = await grantWithPkce();
    sb.clock.advance(601_000);
    const expired = await messagesStatus(tokens.access_token);
    expect(expired.status).toBe(401);
    expect(JSON.stringify(expired.body)).toContain("ACC_TOKEN_EXPIRED");
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? "");
    expect((await messagesStatus(refreshed.access_token)).status).toBe(200);
  });

  it("ends the session after 30 days: refresh gives invalid_grant/API_SESSION_EXPIRED", async () => {
    const tokens = await grantWithPkce();
    sb.clock.advance(30 * 86_400_000 + 1000);
    await expectOAuthError(
      oidc.refreshTokenGrant(config, tokens.refresh_token ?? ""),
      "invalid_grant",
      "API_SESSION_EXPIRED",
    );
    const api = await messagesStatus(tokens.access_token);
    expect(JSON.stringify(api.body)).toContain("API_SESSION_EXPIRED");
  });

  it("omits refresh_token when the session ends before a new access token would, and the old one keeps working", async () => {
    const tokens = await grantWithPkce();
    sb.clock.advance(30 * 86_400_000 - 300_000);
    const last = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? "");
    expect(last.refresh_token).toBeUndefined();
    expect(last.expires_in).toBeLessThanOrEqual(300);
    const again = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? "");
    expect(again.access_token).toBeTruthy();
  });

  it("honours a configured access-token lifetime", async () => {
    const short = await startTestSandbox({ accessTokenLifetimeSeconds: 30 });
    try {
      const res = await fetch(`${short.url}/api/oauth/token`, {
        method: "POST",
        headers: {
          authorization: basic("pkb-desk-system", "pkb-desk-system-secret"),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "grant_type=client_credentials",
      });
      expect(((await res.json()) as { expires_in: number }).expires_in).toBe(30);
    } finally {
      await short.close();
    }
  });
});

describe("client credentials (system and Aggregated token servers)", () => {
  it("issues a lower-case bearer token with scope none and a jti via openid-client and HTTP Basic", async () => {
    const system = new oidc.Configuration(
      { issuer: sb.url, token_endpoint: `${sb.url}/api/oauth/token` },
      "pkb-desk-system",
      undefined,
      oidc.ClientSecretBasic("pkb-desk-system-secret"),
    );
    oidc.allowInsecureRequests(system);
    const tokens = await oidc.clientCredentialsGrant(system);
    expect(tokens.access_token).toBeTruthy();
    const raw = await fetch(`${sb.url}/api/oauth/token`, {
      method: "POST",
      headers: {
        authorization: basic("pkb-desk-system", "pkb-desk-system-secret"),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    const body = (await raw.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "bearer", expires_in: 600, scope: "none" });
    expect(body.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.refresh_token).toBeUndefined();
  });

  it("answers bad or missing credentials with the Spring 401 body", async () => {
    for (const authorization of [
      basic("pkb-desk-system", "wrong"),
      undefined,
      basic("pkb-desk", "pkb-desk-sandbox-secret"),
    ]) {
      const res = await fetch(`${sb.url}/api/oauth/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          ...(authorization ? { authorization } : {}),
        },
        body: "grant_type=client_credentials",
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: "unauthorized",
        error_description: "Full authentication is required to access this resource",
      });
    }
  });

  it("keeps Facade and Aggregated tokens apart: each API refuses the other's token", async () => {
    const facadeToken = await systemToken(sb);
    const aggregated = await aggregatedToken(sb);
    expect(aggregated.split(".")).toHaveLength(3);
    const patient = `${SYSTEMS.nhs}|5760678914`;
    const aggOk = await fetch(
      `${sb.url}/aggregated/fhir/Patient?identifier=${encodeURIComponent(patient)}`,
      { headers: { authorization: `Bearer ${aggregated}` } },
    );
    expect(aggOk.status).toBe(200);
    const aggWithFacade = await fetch(
      `${sb.url}/aggregated/fhir/Patient?identifier=${encodeURIComponent(patient)}`,
      { headers: { authorization: `Bearer ${facadeToken}` } },
    );
    expect(aggWithFacade.status).toBe(401);
    const facadeWithAgg = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [{ system: SYSTEMS.nhs, value: "5760678914" }]),
      { token: aggregated },
    );
    expect(facadeWithAgg.status).toBe(401);
    expect(facadeWithAgg.body.issue?.[0]?.details?.coding?.[0]?.code).toBe("BAD_AUTHENTICATION");
  });

  it("refuses a clinician's (PKB) token on the Aggregated API and an Aggregated token on Custom REST", async () => {
    const user = await grantWithPkce();
    const aggregated = await aggregatedToken(sb);
    const patient = `${SYSTEMS.nhs}|5760678914`;
    const aggWithUser = await fetch(
      `${sb.url}/aggregated/fhir/Appointment?actor:Patient.identifier=${encodeURIComponent(patient)}`,
      { headers: { authorization: `Bearer ${user.access_token}` } },
    );
    expect(aggWithUser.status).toBe(401);
    const restWithAgg = await messagesStatus(aggregated);
    expect(restWithAgg.status).toBe(401);
    expect(JSON.stringify(restWithAgg.body)).toContain("BAD_AUTHENTICATION");
  });

  it("answers the Keycloak endpoint's errors in Keycloak's words", async () => {
    const bad = await fetch(`${sb.url}/auth/realms/pkb/protocol/openid-connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: "pkb-desk-aggregated",
        client_secret: "nope",
        grant_type: "client_credentials",
      }),
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: "invalid_client" });
    const systemClient = await fetch(`${sb.url}/auth/realms/pkb/protocol/openid-connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: "pkb-desk-system",
        client_secret: "pkb-desk-system-secret",
        grant_type: "client_credentials",
      }),
    });
    expect(systemClient.status).toBe(401);
  });
});
