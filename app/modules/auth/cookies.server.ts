import { createCookie, type Cookie } from "@remix-run/node";
import { getEnv } from "~/platform/env.server.ts";

/**
 * Cookies are signed with SESSION_SECRET (a tampered value is rejected before any lookup),
 * HttpOnly, SameSite=Lax, and Secure with the __Host- prefix whenever the portal is served over
 * https (quality.md, Sessions).
 */
export function buildCookie(baseName: string, options: { maxAgeSeconds?: number } = {}): Cookie {
  const env = getEnv();
  const name = env.secureCookies ? `__Host-${baseName}` : baseName;
  return createCookie(name, {
    httpOnly: true,
    sameSite: "lax",
    secure: env.secureCookies,
    path: "/",
    secrets: [env.SESSION_SECRET],
    ...(options.maxAgeSeconds ? { maxAge: options.maxAgeSeconds } : {}),
  });
}

let cookies: { session: Cookie; csrf: Cookie; toast: Cookie } | undefined;

export function getCookies() {
  cookies ??= {
    // No Max-Age: the session cookie dies with the browser; the server enforces the timeouts.
    session: buildCookie("pkbdesk_session"),
    csrf: buildCookie("pkbdesk_csrf"),
    toast: buildCookie("pkbdesk_toast", { maxAgeSeconds: 60 }),
  };
  return cookies;
}

/** For tests that change the environment between cases. */
export function resetCookiesForTesting(): void {
  cookies = undefined;
}
