import { randomBytes, timingSafeEqual } from "node:crypto";
import { getEnv } from "~/platform/env.server.ts";
import { getCookies } from "./cookies.server.ts";

/**
 * CSRF defence in depth (quality.md): every mutation is a POST that must carry the token from
 * a signed cookie in its form body (double submit), and must not come from another origin
 * (Origin and Sec-Fetch-Site are checked when the browser sends them).
 */
export const CSRF_FIELD = "csrf";

export class CsrfError extends Error {
  override name = "CsrfError";
}

/** The request's CSRF token, minting one (with its Set-Cookie header) when it has none. */
export async function csrfToken(request: Request): Promise<{ token: string; setCookie?: string }> {
  const existing: unknown = await getCookies().csrf.parse(request.headers.get("Cookie"));
  if (typeof existing === "string" && existing.length >= 32) return { token: existing };
  const token = randomBytes(32).toString("base64url");
  return { token, setCookie: await getCookies().csrf.serialize(token) };
}

export function expectedOrigin(request: Request): string {
  return getEnv().APP_ORIGIN ?? new URL(request.url).origin;
}

/** Rejects cross-origin submissions by their headers. Cheap; runs before the body is read. */
export function assertSameOrigin(request: Request): void {
  const fetchSite = request.headers.get("Sec-Fetch-Site");
  if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") {
    throw new CsrfError(`cross-site request (${fetchSite})`);
  }
  const origin = request.headers.get("Origin");
  if (origin && origin !== expectedOrigin(request)) {
    throw new CsrfError("request from another origin");
  }
}

/** Checks the form's token against the cookie's. */
export async function assertCsrfToken(request: Request, form: FormData): Promise<void> {
  assertSameOrigin(request);
  const cookieToken: unknown = await getCookies().csrf.parse(request.headers.get("Cookie"));
  const formToken = form.get(CSRF_FIELD);
  if (typeof cookieToken !== "string" || cookieToken.length === 0) {
    throw new CsrfError("missing CSRF cookie");
  }
  if (typeof formToken !== "string" || formToken.length === 0) {
    throw new CsrfError("missing CSRF token");
  }
  const a = Buffer.from(cookieToken);
  const b = Buffer.from(formToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new CsrfError("CSRF token mismatch");
  }
}

/** Removes the CSRF cookie so the next page mints a fresh token (at sign-in and sign-out). */
export async function clearCsrfCookie(): Promise<string> {
  return getCookies().csrf.serialize("", { maxAge: 0 });
}
