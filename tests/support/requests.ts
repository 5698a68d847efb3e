import { randomBytes } from "node:crypto";
import type { Role } from "~/generated/prisma/enums.ts";
import { getCookies } from "~/modules/auth/cookies.server.ts";
import { upsertStaffAccount } from "~/modules/auth/staff-seed.server.ts";
import { createSession } from "~/modules/auth/session.server.ts";
import { prisma } from "~/platform/db.server.ts";

/** Builds requests the way a browser on the portal's own origin would send them. */
export const ORIGIN = "http://localhost:3000";

export interface Identity {
  userId: string;
  email: string;
  /** Cookie header carrying the session and CSRF cookies. */
  cookie: string;
  csrf: string;
}

function cookieValue(setCookie: string): string {
  return setCookie.split(";")[0]!;
}

export async function csrfCookie(): Promise<{ csrf: string; cookie: string }> {
  const csrf = randomBytes(32).toString("base64url");
  return { csrf, cookie: cookieValue(await getCookies().csrf.serialize(csrf)) };
}

export async function signedInAs(role: Role, teamNames: string[] = []): Promise<Identity> {
  const email = `${role.toLowerCase()}-${randomBytes(4).toString("hex")}@test.nhs.uk`;
  const userId = await upsertStaffAccount(await prisma(), {
    email,
    displayName: `Test ${role}`,
    role,
    password: "a password that is long",
    teamNames,
  });
  const { setCookie } = await createSession(userId, {
    clientAddress: "127.0.0.1",
    userAgent: "vitest",
  });
  const { csrf, cookie } = await csrfCookie();
  return { userId, email, csrf, cookie: `${cookieValue(setCookie)}; ${cookie}` };
}

export function get(path: string, identity?: { cookie: string }): Request {
  return new Request(`${ORIGIN}${path}`, {
    headers: {
      ...(identity ? { Cookie: identity.cookie } : {}),
      "X-Pkbdesk-Client-Address": "127.0.0.1",
    },
  });
}

export function post(
  path: string,
  form: Record<string, string | string[]>,
  identity?: { cookie: string; csrf?: string },
  options: { csrf?: string | null; headers?: Record<string, string> } = {},
): Request {
  const body = new URLSearchParams();
  const csrf = options.csrf === undefined ? identity?.csrf : options.csrf;
  if (csrf) body.append("csrf", csrf);
  for (const [key, value] of Object.entries(form)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
  }
  return new Request(`${ORIGIN}${path}`, {
    method: "POST",
    body,
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: ORIGIN,
      "Sec-Fetch-Site": "same-origin",
      "X-Pkbdesk-Client-Address": "127.0.0.1",
      ...(identity ? { Cookie: identity.cookie } : {}),
      ...options.headers,
    },
  });
}

/** Runs a loader or action, turning a thrown Response (redirect, 403, 404) into the result. */
export async function settle(run: () => Promise<unknown>): Promise<Response> {
  try {
    const result = await run();
    if (result instanceof Response) return result;
    return Response.json(result ?? null);
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}
