import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Notify's API authentication: `Authorization: Bearer <JWT>`, HS256, `iss` = service id, `iat`
 * within 30 seconds of Notify's clock, signed with one of the service's API key secrets. The
 * messages are Notify's own (notifications-api `app/authentication/auth.py`).
 */
export type JwtCheck =
  { ok: true; keyName: string } | { ok: false; status: 401 | 403; message: string };

/** Notify allows this much clock difference either way. */
export const CLOCK_SKEW_SECONDS = 30;

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function issuerOf(token: string): string | undefined {
  const payload = decodeJson(token.split(".")[1] ?? "");
  return typeof payload?.iss === "string" ? payload.iss : undefined;
}

/**
 * @param authorization the raw header
 * @param keysFor the API keys of the service named by `iss` (undefined: no such service)
 * @param nowSeconds real time: the check is about the caller's system clock, not the sandbox's
 */
export function checkNotifyJwt(
  authorization: string | undefined,
  keysFor: (serviceId: string) => ReadonlyArray<{ name: string; secret: string }> | undefined,
  nowSeconds: number,
): JwtCheck {
  if (!authorization) {
    return {
      ok: false,
      status: 401,
      message: "Unauthorized: authentication token must be provided",
    };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) {
    return {
      ok: false,
      status: 401,
      message: "Unauthorized: authentication bearer scheme must be used",
    };
  }
  const token = match[1];
  const parts = token.split(".");
  const header = decodeJson(parts[0] ?? "");
  const payload = decodeJson(parts[1] ?? "");
  if (parts.length !== 3 || !header || !payload) {
    return { ok: false, status: 403, message: "Invalid token: signature, api token is not valid" };
  }
  if (typeof payload.iss !== "string" || payload.iss === "") {
    return { ok: false, status: 403, message: "Invalid token: iss field not provided" };
  }
  const keys = keysFor(payload.iss);
  if (!keys) return { ok: false, status: 403, message: "Invalid token: service not found" };
  if (keys.length === 0) {
    return { ok: false, status: 403, message: "Invalid token: service has no API keys" };
  }
  if (header.alg !== "HS256") {
    return { ok: false, status: 403, message: "Invalid token: algorithm used is not HS256" };
  }
  const signature = Buffer.from(parts[2] ?? "", "base64url");
  for (const key of keys) {
    const expected = createHmac("sha256", key.secret).update(`${parts[0]}.${parts[1]}`).digest();
    if (expected.length !== signature.length || !timingSafeEqual(expected, signature)) continue;
    const iat = payload.iat;
    if (typeof iat !== "number" || Math.abs(nowSeconds - iat) > CLOCK_SKEW_SECONDS) {
      return {
        ok: false,
        status: 403,
        message: "Error: Your system clock must be accurate to within 30 seconds",
      };
    }
    return { ok: true, keyName: key.name };
  }
  return { ok: false, status: 403, message: "Invalid token: API key not found" };
}

/** For tests: a token as the official clients make it. */
export function signNotifyJwt(
  serviceId: string,
  secret: string,
  iatSeconds: number,
  alg = "HS256",
): string {
  const header = Buffer.from(JSON.stringify({ typ: "JWT", alg })).toString("base64url");
  const payload = Buffer.from(JSON.stringify({ iss: serviceId, iat: iatSeconds })).toString(
    "base64url",
  );
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}
