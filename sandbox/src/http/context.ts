import type { IncomingMessage } from "node:http";
import { ReplyError, json } from "./reply.ts";

/** Large enough for 5000 identifiers with room to spare; a bigger body is refused with 413. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  method: string;
  /** "surface.name", for the call log and fault rules. */
  endpoint: string;
  /** Route parameters captured by the router's pattern. */
  params: string[];
  /** Where the sandbox is reachable from the caller, for absolute links (next pages, redirects). */
  baseUrl: string;
  /** Filled in by handlers for the call log. */
  log: { clientId?: string; identifiers?: number };
  /** Fault rule: identifier values that fail their batch. */
  poisonIdentifiers: ReadonlySet<string>;
  readBody(): Promise<string>;
}

export function readRequestBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new ReplyError(json(413, { error: "request_too_large" })));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", (error) => {
      if (!failed) reject(error);
    });
  });
}

/** Parses an application/x-www-form-urlencoded body. Repeated keys keep the first value. */
export function parseForm(body: string): Map<string, string> {
  const form = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body)) if (!form.has(key)) form.set(key, value);
  return form;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** HTTP Basic credentials, form-decoded as RFC 6749 §2.3.1 requires. */
export function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const authorization = header(req, "authorization");
  const match = authorization && /^Basic\s+([A-Za-z0-9+/=._-]+)\s*$/i.exec(authorization);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return undefined;
  const formDecode = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const authorization = header(req, "authorization");
  const match = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? undefined;
}
