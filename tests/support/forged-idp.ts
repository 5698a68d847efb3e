import {
  createHash,
  createSign,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A deliberately bad OpenID provider for tests: it publishes discovery and its own JWKS and
 * answers the token endpoint with an ID token built from the test's choices (wrong issuer, wrong
 * audience, expired, another nonce, any e-mail and groups), signed with its own RSA key, so the
 * portal's real checks (openid-client) are what refuses them. It checks PKCE like a real one.
 */
export interface ForgedClaims {
  iss?: string;
  aud?: string;
  exp?: number;
  nonce?: string;
  sub?: string;
  email?: string;
  email_verified?: boolean;
  groups?: string[];
  name?: string;
}

export interface ForgedIdp {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Registers the code the "user" gets for an authorization request, with the token's claims. */
  issueCode(authorizationUrl: string, claims?: ForgedClaims): string;
  tokenRequests: number;
  close(): Promise<void>;
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString("base64url");

function signJwt(key: KeyObject, kid: string, payload: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
  const body = b64url(JSON.stringify(payload));
  const signer = createSign("RSA-SHA256");
  signer.update(`${header}.${body}`);
  return `${header}.${body}.${signer.sign(key).toString("base64url")}`;
}

export async function startForgedIdp(): Promise<ForgedIdp> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomBytes(6).toString("hex");
  const clientId = "pkb-desk-forged";
  const clientSecret = "forged-client-secret";
  const codes = new Map<
    string,
    { challenge: string; nonce: string; claims: ForgedClaims; redirectUri: string }
  >();
  let url = "";
  const state = { tokenRequests: 0 };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", url).pathname;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify(body));
    };
    if (path === "/.well-known/openid-configuration") {
      return json(200, {
        issuer: url,
        authorization_endpoint: `${url}/auth`,
        token_endpoint: `${url}/token`,
        jwks_uri: `${url}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic"],
      });
    }
    if (path === "/jwks") {
      return json(200, {
        keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }],
      });
    }
    if (path === "/token" && req.method === "POST") {
      let raw = "";
      req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      req.on("end", () => {
        state.tokenRequests += 1;
        const form = new URLSearchParams(raw);
        // RFC 6749 2.3.1: id and secret are form-encoded before base64 (openid-client encodes "-").
        const basic = (req.headers.authorization ?? "").replace(/^Basic /, "");
        const [id, secret] = Buffer.from(basic, "base64")
          .toString()
          .split(":")
          .map((part) => decodeURIComponent(part.replace(/\+/g, " ")));
        if (id !== clientId || secret !== clientSecret) {
          return json(401, { error: "invalid_client" });
        }
        const issued = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        const verifier = form.get("code_verifier") ?? "";
        if (
          !issued ||
          createHash("sha256").update(verifier).digest("base64url") !== issued.challenge ||
          form.get("redirect_uri") !== issued.redirectUri
        ) {
          return json(400, { error: "invalid_grant" });
        }
        const nowSeconds = Math.floor(Date.now() / 1000);
        const claims = issued.claims;
        const idToken = signJwt(privateKey, kid, {
          iss: claims.iss ?? url,
          aud: claims.aud ?? clientId,
          sub: claims.sub ?? "subject-1",
          iat: nowSeconds - 5,
          exp: claims.exp ?? nowSeconds + 300,
          nonce: claims.nonce ?? issued.nonce,
          email: claims.email ?? "staff@trust.nhs.test",
          email_verified: claims.email_verified ?? true,
          name: claims.name ?? "Sam Staff",
          groups: claims.groups ?? [],
        });
        return json(200, {
          access_token: randomBytes(16).toString("hex"),
          token_type: "Bearer",
          expires_in: 300,
          id_token: idToken,
        });
      });
      return;
    }
    json(404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    clientId,
    clientSecret,
    get tokenRequests() {
      return state.tokenRequests;
    },
    issueCode(authorizationUrl, claims = {}) {
      const request = new URL(authorizationUrl).searchParams;
      const code = randomBytes(12).toString("hex");
      codes.set(code, {
        challenge: request.get("code_challenge") ?? "",
        nonce: request.get("nonce") ?? "",
        redirectUri: request.get("redirect_uri") ?? "",
        claims,
      });
      return code;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
