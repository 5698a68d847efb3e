import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import type { UserScope } from "../population/model.ts";

/** Which token server issued a token. Tokens from one are unknown to the others' APIs. */
export type TokenServer = "pkb" | "aggregated";

export type AccessGrant =
  | {
      kind: "user";
      clientId: string;
      sessionId: string;
      scope: UserScope;
      clinicianIndex: number;
      expiresAt: number;
    }
  | { kind: "system"; clientId: string; expiresAt: number }
  | { kind: "aggregated"; clientId: string; expiresAt: number };

export interface ApiSession {
  id: string;
  clientId: string;
  clinicianIndex: number;
  scope: UserScope;
  createdAt: number;
  expiresAt: number;
  /** Invalid once a refresh token (or an authorization code) was replayed. */
  invalidatedAt: number | null;
  refreshCount: number;
}

interface RefreshTokenRecord {
  sessionId: string;
  usedAt: number | null;
}

export interface AuthorizationCode {
  clientId: string;
  /** Where the code was delivered (the redirect_uri sent, or the client's only registered URI). */
  redirectUri: string;
  /** Whether /apiAuthorize.action was sent a redirect_uri: then the token request must repeat it. */
  redirectUriSent: boolean;
  scope: UserScope;
  clinicianIndex: number;
  codeChallenge: string | undefined;
  expiresAt: number;
  usedAt: number | null;
  sessionId: string | null;
}

export type Authentication =
  | { ok: true; grant: AccessGrant }
  | {
      ok: false;
      reason: "missing" | "unknown" | "expired" | "session-invalid" | "session-expired";
    };

const opaque = (bytes = 32): string => randomBytes(bytes).toString("base64url");

export function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** All OAuth state: codes, sessions, refresh tokens and access tokens, per token server. */
export class OAuthStore {
  private codes = new Map<string, AuthorizationCode>();
  private sessions = new Map<string, ApiSession>();
  private refreshTokens = new Map<string, RefreshTokenRecord>();
  private accessTokens: Record<TokenServer, Map<string, AccessGrant>> = {
    pkb: new Map(),
    aggregated: new Map(),
  };
  private readonly jwtKey = randomBytes(32);
  private issuedSinceSweep = 0;

  constructor(
    private readonly lifetimes: { accessTokenMs: number; sessionMs: number; codeMs: number },
  ) {}

  get accessTokenMs(): number {
    return this.lifetimes.accessTokenMs;
  }

  createCode(
    code: Omit<AuthorizationCode, "usedAt" | "sessionId" | "expiresAt">,
    now: number,
  ): string {
    const value = opaque(24);
    this.codes.set(value, {
      ...code,
      expiresAt: now + this.lifetimes.codeMs,
      usedAt: null,
      sessionId: null,
    });
    return value;
  }

  code(value: string): AuthorizationCode | undefined {
    return this.codes.get(value);
  }

  startSession(code: AuthorizationCode, now: number): ApiSession {
    const session: ApiSession = {
      id: randomUUID(),
      clientId: code.clientId,
      clinicianIndex: code.clinicianIndex,
      scope: code.scope,
      createdAt: now,
      expiresAt: now + this.lifetimes.sessionMs,
      invalidatedAt: null,
      refreshCount: 0,
    };
    this.sessions.set(session.id, session);
    code.usedAt = now;
    code.sessionId = session.id;
    return session;
  }

  session(id: string): ApiSession | undefined {
    return this.sessions.get(id);
  }

  invalidateSession(id: string, now: number): void {
    const session = this.sessions.get(id);
    if (session) session.invalidatedAt ??= now;
  }

  refreshRecord(token: string): RefreshTokenRecord | undefined {
    return this.refreshTokens.get(token);
  }

  /**
   * Issues an access token for the session and, unless the session ends before the access token
   * would, a new single-use refresh token (PKB omits it then; RFC 6749 §6: keep the old one).
   */
  issueUserTokens(
    session: ApiSession,
    now: number,
  ): { accessToken: string; expiresIn: number; refreshToken: string | undefined } {
    const remaining = session.expiresAt - now;
    const lifetime = Math.min(this.lifetimes.accessTokenMs, remaining);
    const accessToken = opaque();
    this.putAccess("pkb", accessToken, {
      kind: "user",
      clientId: session.clientId,
      sessionId: session.id,
      scope: session.scope,
      clinicianIndex: session.clinicianIndex,
      expiresAt: now + lifetime,
    });
    let refreshToken: string | undefined;
    if (remaining > this.lifetimes.accessTokenMs) {
      refreshToken = opaque();
      this.refreshTokens.set(refreshToken, { sessionId: session.id, usedAt: null });
    }
    return { accessToken, expiresIn: Math.floor(lifetime / 1000), refreshToken };
  }

  markRefreshUsed(token: string, now: number): void {
    const record = this.refreshTokens.get(token);
    if (record) record.usedAt = now;
  }

  issueSystemToken(
    clientId: string,
    now: number,
  ): { accessToken: string; expiresIn: number; jti: string } {
    const accessToken = opaque();
    this.putAccess("pkb", accessToken, {
      kind: "system",
      clientId,
      expiresAt: now + this.lifetimes.accessTokenMs,
    });
    return {
      accessToken,
      expiresIn: Math.floor(this.lifetimes.accessTokenMs / 1000),
      jti: randomUUID(),
    };
  }

  /** Keycloak issues JWTs; ours look like one (HS256 with a per-process key) but are looked up, not verified. */
  issueAggregatedToken(
    clientId: string,
    now: number,
    issuer: string,
  ): { accessToken: string; expiresIn: number } {
    const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(
      JSON.stringify({
        iss: issuer,
        sub: clientId,
        azp: clientId,
        iat: Math.floor(now / 1000),
        exp: Math.floor((now + this.lifetimes.accessTokenMs) / 1000),
        jti: randomUUID(),
        typ: "Bearer",
      }),
    ).toString("base64url");
    const signature = createHmac("sha256", this.jwtKey)
      .update(`${header}.${payload}`)
      .digest("base64url");
    const accessToken = `${header}.${payload}.${signature}`;
    this.putAccess("aggregated", accessToken, {
      kind: "aggregated",
      clientId,
      expiresAt: now + this.lifetimes.accessTokenMs,
    });
    return { accessToken, expiresIn: Math.floor(this.lifetimes.accessTokenMs / 1000) };
  }

  authenticate(server: TokenServer, token: string | undefined, now: number): Authentication {
    if (!token) return { ok: false, reason: "missing" };
    const grant = this.accessTokens[server].get(token);
    if (!grant) return { ok: false, reason: "unknown" };
    if (grant.kind === "user") {
      const session = this.sessions.get(grant.sessionId);
      if (!session || session.invalidatedAt !== null) {
        return { ok: false, reason: "session-invalid" };
      }
      if (now >= session.expiresAt) return { ok: false, reason: "session-expired" };
    }
    if (now >= grant.expiresAt) return { ok: false, reason: "expired" };
    return { ok: true, grant };
  }

  clear(): void {
    this.codes.clear();
    this.sessions.clear();
    this.refreshTokens.clear();
    this.accessTokens.pkb.clear();
    this.accessTokens.aggregated.clear();
  }

  stats(): { sessions: number; activeAccessTokens: number } {
    return {
      sessions: this.sessions.size,
      activeAccessTokens: this.accessTokens.pkb.size + this.accessTokens.aggregated.size,
    };
  }

  private putAccess(server: TokenServer, token: string, grant: AccessGrant): void {
    this.accessTokens[server].set(token, grant);
    // Expired access tokens are kept a day (so "expired" can be told from "unknown"), then swept.
    if (++this.issuedSinceSweep >= 1000) {
      this.issuedSinceSweep = 0;
      const horizon = grant.expiresAt - this.lifetimes.accessTokenMs - 86_400_000;
      for (const map of Object.values(this.accessTokens)) {
        for (const [key, value] of map) if (value.expiresAt < horizon) map.delete(key);
      }
    }
  }
}
