/**
 * What became of one send to GOV.UK Notify, in the four outcomes the delivery layer acts on
 * (ADR 0015):
 *
 * - `sent`: Notify accepted it and gave its id; delivery is followed by callback or polling.
 * - `permanent-failure`: Notify refused this message (400: bad number or address, missing
 *   personalisation, template not suitable…). Sending it again as it is would fail again.
 * - `temporary-failure`: Notify certainly did not act (429, its documented "resend" 500, 503, a
 *   refused key, or the request never left this machine). Safe to retry later.
 * - `outcome-unknown`: the request left and no usable answer came back (timeout, connection lost,
 *   a gateway's 502/504, a 201 we could not read). Notify may have sent it. Never retried
 *   automatically: a person decides (H4).
 */
export type NotifySendOutcome =
  | { kind: "sent"; notifyId: string; reference: string | null }
  | { kind: "permanent-failure"; httpStatus: number; reason: string }
  | {
      kind: "temporary-failure";
      cause: TemporaryCause;
      httpStatus: number | null;
      /** Retry-After when one came with the answer. */
      retryAfterSeconds: number | null;
      reason: string;
    }
  | { kind: "outcome-unknown"; httpStatus: number | null; reason: string };

/**
 * - `rate-limited`: 429 (per-minute or daily limit): wait and retry.
 * - `notify-error`: Notify's 500 ("resend your notification") or 503.
 * - `configuration`: the key, service or address is wrong (401/403/404…): fix the settings first;
 *   retrying as is will fail the same way, so the delivery layer should pause, not loop.
 * - `unreachable`: the request never reached Notify (refused, DNS, TLS).
 */
export type TemporaryCause = "rate-limited" | "notify-error" | "configuration" | "unreachable";

/** The error body Notify answers with. */
export interface NotifyErrorBody {
  status_code?: number;
  errors?: Array<{ error?: string; message?: string }>;
}

/**
 * Notify's error messages name fields ("phone_number Not a UK mobile number"), not values, but a
 * message is still masked before it is stored or shown: long digit runs and e-mail addresses go.
 */
export function maskNotifyMessage(message: string): string {
  return message
    .replace(/[^\s@]+@[^\s@]+/g, "[e-mail]")
    .replace(/\+?\d[\d\s()-]{5,}\d/g, "[number]")
    .slice(0, 300);
}

export function notifyErrorText(data: unknown): string {
  const body = data as NotifyErrorBody | null;
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const text = errors
    .map((e) => [e.error, e.message].filter(Boolean).join(": "))
    .filter(Boolean)
    .join("; ");
  return maskNotifyMessage(text || "no error details");
}

function retryAfterSeconds(header: string | string[] | undefined, nowMs: number): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** Classifies an HTTP answer to a send. */
export function classifySendResponse(
  status: number,
  data: unknown,
  headers: Record<string, string | string[] | undefined>,
  nowMs = Date.now(),
): NotifySendOutcome {
  if (status === 201 || status === 200) {
    const body = data as { id?: unknown; reference?: unknown } | null;
    if (typeof body?.id === "string" && /^[0-9a-f-]{36}$/i.test(body.id)) {
      return {
        kind: "sent",
        notifyId: body.id.toLowerCase(),
        reference: typeof body.reference === "string" ? body.reference : null,
      };
    }
    return {
      kind: "outcome-unknown",
      httpStatus: status,
      reason: "Notify answered that it accepted the message, but the answer could not be read.",
    };
  }
  const text = notifyErrorText(data);
  if (status === 400) {
    return { kind: "permanent-failure", httpStatus: status, reason: text };
  }
  if (status === 429) {
    return {
      kind: "temporary-failure",
      cause: "rate-limited",
      httpStatus: status,
      retryAfterSeconds: retryAfterSeconds(headers["retry-after"], nowMs),
      reason: text,
    };
  }
  // Notify documents 500 as "unable to process the request, resend your notification"; a 503 is
  // the service refusing work. Both are answers from Notify itself about not acting.
  if (status === 500 || status === 503) {
    return {
      kind: "temporary-failure",
      cause: "notify-error",
      httpStatus: status,
      retryAfterSeconds: retryAfterSeconds(headers["retry-after"], nowMs),
      reason: text,
    };
  }
  // 502/504 and anything else from 5xx come from something in front of Notify: the request may
  // have reached Notify and been sent. Only a person can decide to send again.
  if (status >= 500) {
    return {
      kind: "outcome-unknown",
      httpStatus: status,
      reason: `A gateway in front of Notify answered ${status}; Notify may have sent the message.`,
    };
  }
  // 401/403 (key refused), 404 (wrong address), 405/415, redirects: Notify did not act.
  return {
    kind: "temporary-failure",
    cause: "configuration",
    httpStatus: status,
    retryAfterSeconds: null,
    reason:
      status === 401 || status === 403
        ? `Notify refused the API key (${text}). Check the Notify settings.`
        : `Notify's address answered ${status}. Check the Notify settings.`,
  };
}

/** Classifies a send that got no HTTP answer. */
export function classifySendFailure(requestWritten: boolean, code: string): NotifySendOutcome {
  if (!requestWritten) {
    return {
      kind: "temporary-failure",
      cause: "unreachable",
      httpStatus: null,
      retryAfterSeconds: null,
      reason: `Notify could not be reached (${code}); nothing was sent.`,
    };
  }
  return {
    kind: "outcome-unknown",
    httpStatus: null,
    reason:
      code === "ETIMEDOUT"
        ? "Notify did not answer in time after the message was sent to it; it may have sent it."
        : `The connection to Notify was lost (${code}) after the message was sent to it; it may have sent it.`,
  };
}
