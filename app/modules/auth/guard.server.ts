import { redirect } from "@remix-run/node";
import { findUnstorable, unstorableFieldMessage } from "~/platform/hostile-input.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import type { AuditActor } from "../audit/audit.server.ts";
import { assertCsrfToken, CsrfError } from "./csrf.server.ts";
import { hasPermission, type Permission } from "./permissions.ts";
import { getActiveSession, type ActiveSession } from "./session.server.ts";

/**
 * The gate every loader and action passes: authenticate → authorise. Team scope comes from
 * `session.user.teamIds`, never from the URL or a form field.
 */

// Forms here are small; anything bigger is a mistake or an attack (uploads get their own limit).
const MAX_FORM_BYTES = 256 * 1024;

export function forbidden(): Response {
  return new Response("Forbidden", { status: 403, statusText: "Forbidden" });
}

export function notFound(): Response {
  return new Response("Not Found", { status: 404, statusText: "Not Found" });
}

/** Only same-site paths: no scheme, no host, no protocol-relative `//` or `/\` tricks. */
export function safeRedirect(
  to: FormDataEntryValue | string | null | undefined,
  fallback = "/",
): string {
  if (typeof to !== "string" || to.length === 0 || to.length > 2000) return fallback;
  if (!isSameSitePath(to)) return fallback;
  try {
    const parsed = new URL(to, "http://pkbdesk.invalid");
    if (parsed.host !== "pkbdesk.invalid") return fallback;
    // Check again after normalising: `/.//evil.example` normalises to `//evil.example`.
    const normalised = `${parsed.pathname}${parsed.search}${parsed.hash}`;
    return isSameSitePath(normalised) ? normalised : fallback;
  } catch {
    return fallback;
  }
}

function isSameSitePath(path: string): boolean {
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return false;
  // Backslashes and control characters are how browsers get talked into other hosts.
  // eslint-disable-next-line no-control-regex
  return !/[\\\u0000-\u001f]/.test(path);
}

export async function requireSession(request: Request): Promise<ActiveSession> {
  const session = await getActiveSession(request);
  if (!session) {
    const url = new URL(request.url);
    const back = `${url.pathname}${url.search}`;
    const params = back === "/" ? "" : `?${new URLSearchParams({ redirectTo: back })}`;
    throw redirect(`/login${params}`);
  }
  if (
    session.user.passwordChangeRequired &&
    !PASSWORD_CHANGE_EXEMPT.has(new URL(request.url).pathname)
  ) {
    throw redirect(PASSWORD_CHANGE_PATH);
  }
  return session;
}

/** Where someone whose password was found weak at sign-in must go first (ADR 0016). */
export const PASSWORD_CHANGE_PATH = "/account/password";
const PASSWORD_CHANGE_EXEMPT = new Set([PASSWORD_CHANGE_PATH, "/logout"]);

export async function requirePermission(
  request: Request,
  permission: Permission,
): Promise<ActiveSession> {
  const session = await requireSession(request);
  if (!hasPermission(session.user.role, permission)) throw forbidden();
  return session;
}

export interface Mutation {
  session: ActiveSession;
  form: FormData;
  actor: AuditActor;
  clientAddress: string | null;
}

/** For actions: POST only, signed in, permitted, CSRF-checked; returns the parsed form. */
export async function requireMutation(request: Request, permission: Permission): Promise<Mutation> {
  if (request.method !== "POST") {
    throw new Response("Method Not Allowed", { status: 405, headers: { Allow: "POST" } });
  }
  const session = await requirePermission(request, permission);
  const form = await readForm(request);
  try {
    await assertCsrfToken(request, form);
  } catch (error) {
    if (error instanceof CsrfError) throw forbidden();
    throw error;
  }
  return {
    session,
    form,
    actor: { id: session.user.id, label: session.user.email },
    clientAddress: clientAddress(request),
  };
}

/**
 * Reads a form body with a size cap. The bytes are counted as they arrive: a chunked body has no
 * Content-Length to check up front.
 */
export async function readForm(request: Request): Promise<FormData> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_FORM_BYTES) throw payloadTooLarge();
  const body = await readBodyWithin(request, MAX_FORM_BYTES);
  let form: FormData;
  try {
    form = await new Request(request.url, {
      method: "POST",
      headers: request.headers,
      body,
    }).formData();
  } catch {
    throw new Response("Bad Request", { status: 400 });
  }
  // Every action's form passes here: the one place to refuse what PostgreSQL cannot store.
  const unstorable = findUnstorable(form.entries());
  if (unstorable) throw badInput(unstorableFieldMessage(unstorable));
  return form;
}

/** A 400 whose message the error page shows (components/error-page.tsx). */
export function badInput(message: string): Response {
  return Response.json({ message }, { status: 400, headers: { "Cache-Control": "no-store" } });
}

function payloadTooLarge(): Response {
  return new Response("Payload Too Large", { status: 413 });
}

async function readBodyWithin(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!request.body) return new Uint8Array(new ArrayBuffer(0));
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw payloadTooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** For public actions (sign-in, set password): CSRF-checked, no session needed. */
export async function requirePublicMutation(request: Request): Promise<FormData> {
  if (request.method !== "POST") {
    throw new Response("Method Not Allowed", { status: 405, headers: { Allow: "POST" } });
  }
  const form = await readForm(request);
  try {
    await assertCsrfToken(request, form);
  } catch (error) {
    if (error instanceof CsrfError) throw forbidden();
    throw error;
  }
  return form;
}
