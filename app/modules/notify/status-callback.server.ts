import { createHash, timingSafeEqual } from "node:crypto";
import { getLogger } from "~/platform/logger.server.ts";
import { loadNotifyCredentials } from "./settings.server.ts";
import { deliveryReceiptSchema, statusUpdateFrom, type NotifyStatusHandler } from "./status.ts";

/**
 * Notify's delivery receipts: `POST /notify/callback` with `Authorization: Bearer <the token the
 * trust entered in Notify>`. The token is compared in constant time, the body is checked, the
 * recipient (`to`) is dropped, and the update is handed to the registered handler. Answers:
 * 204 handled; 401 wrong or missing token (also when Notify is not set up, so the route says
 * nothing about the settings); 400 a body that is not a receipt; 503 when no handler is registered
 * or it failed — Notify retries, and polling catches up with anything it gives up on.
 */

let handler: NotifyStatusHandler | undefined;

/** The campaigns' delivery module calls this once at start. Returns a function that undoes it. */
export function registerNotifyStatusHandler(next: NotifyStatusHandler): () => void {
  handler = next;
  return () => {
    if (handler === next) handler = undefined;
  };
}

/** Hashing first makes the comparison constant-time whatever the lengths. */
function tokensMatch(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

const MAX_RECEIPT_BYTES = 64 * 1024;

function reply(status: number, message?: string): Response {
  return new Response(message ?? null, {
    status,
    headers: {
      "cache-control": "no-store",
      ...(message ? { "content-type": "text/plain; charset=utf-8" } : {}),
      ...(status === 401 ? { "www-authenticate": 'Bearer realm="notify-callback"' } : {}),
    },
  });
}

export async function acceptDeliveryReceipt(request: Request): Promise<Response> {
  const log = getLogger();
  const authorization = request.headers.get("authorization") ?? "";
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  const credentials = await loadNotifyCredentials();
  if (!given || !credentials || !tokensMatch(given, credentials.callbackBearerToken)) {
    log.warn(
      { notifyCallback: { outcome: "refused", tokenGiven: Boolean(given) } },
      "notify callback",
    );
    return reply(401, "Unauthorized");
  }
  const text = await request.text();
  if (text.length > MAX_RECEIPT_BYTES) return reply(413, "Too large");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return reply(400, "Not JSON");
  }
  const parsed = deliveryReceiptSchema.safeParse(body);
  if (!parsed.success) {
    // Field paths only: the body may carry the recipient.
    log.warn(
      {
        notifyCallback: {
          outcome: "invalid",
          fields: parsed.error.issues.map((i) => i.path.join(".")),
        },
      },
      "notify callback",
    );
    return reply(400, "Not a Notify delivery receipt");
  }
  const update = statusUpdateFrom(parsed.data, parsed.data.notification_type, "callback");
  if (!handler) {
    log.warn(
      { notifyCallback: { outcome: "no-handler", notifyId: update.notifyId } },
      "notify callback",
    );
    return reply(503, "Not ready");
  }
  try {
    await handler(update);
  } catch (error) {
    log.error(
      {
        notifyCallback: {
          outcome: "handler-failed",
          notifyId: update.notifyId,
          error: error instanceof Error ? error.name : "unknown",
        },
      },
      "notify callback",
    );
    return reply(503, "Try again later");
  }
  log.info(
    { notifyCallback: { outcome: "handled", notifyId: update.notifyId, status: update.status } },
    "notify callback",
  );
  return reply(204);
}
