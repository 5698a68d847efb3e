import type { OperationOutcome } from "@medplum/fhirtypes";

/**
 * The one error type for every failed call to PKB. It carries what the caller needs to decide
 * (status, PKB's response code, retryable, outcome unknown) and a `describe()` in words a trust's IT
 * lead understands. Messages never hold tokens, identifiers or response bodies with patient data:
 * free text from PKB is kept only after identifier-like runs are masked.
 */

/** The PKB surfaces (pkb-api.md §1). Each has its own concurrency cap. */
export type PkbSurface =
  "user-oauth" | "system-token" | "aggregated-token" | "facade" | "rest" | "aggregated";

export const SURFACE_NAMES: Record<PkbSurface, string> = {
  "user-oauth": "PKB's sign-in and consent service",
  "system-token": "PKB's system token server",
  "aggregated-token": "PKB's Aggregated token server",
  facade: "PKB's FHIR Facade",
  rest: "PKB's Custom REST API",
  aggregated: "PKB's Aggregated FHIR API",
};

/** Why the call failed, before any HTTP status is considered. */
export type PkbFailureKind =
  | "http" // PKB answered with an error status
  | "timeout" // no answer within the time limit
  | "network" // connection refused, reset, DNS…
  | "invalid-response" // an answer we could not parse or that broke the contract
  | "refused-redirect" // PKB redirected to another host
  | "refused-link" // a `next` link pointed at another origin
  | "link-loop" // a `next` link led back to a page already read
  | "page-budget"; // more pages than the caller allowed

export interface PkbApiErrorInit {
  surface: PkbSurface;
  /** A short label for the operation, e.g. `status-query`. Never a URL with identifiers. */
  endpoint: string;
  kind: PkbFailureKind;
  /** HTTP status; undefined for network failures and timeouts. */
  status?: number;
  /** PKB response code (`API_SESSION_INVALID`), OAuth `error` (`invalid_grant`) or REST errorCode. */
  code?: string;
  /** OAuth `error_description` or REST `errorMessage`, masked before it is stored. */
  detail?: string;
  operationOutcome?: OperationOutcome;
  retryable?: boolean;
  /** The request may have reached PKB and acted (reset or timeout after sending). */
  outcomeUnknown?: boolean;
  /** Attempts made before giving up (1 = no retry). */
  attempts?: number;
  /** For `refused-redirect` / `refused-link`: the host we refused to go to. */
  refusedHost?: string;
  timeoutMs?: number;
  cause?: unknown;
}

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export class PkbApiError extends Error {
  override readonly name = "PkbApiError";
  readonly surface: PkbSurface;
  readonly endpoint: string;
  readonly kind: PkbFailureKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly operationOutcome: OperationOutcome | undefined;
  readonly retryable: boolean;
  /** Set across all attempts once the call has given up (see `settle`). */
  outcomeUnknown: boolean;
  attempts: number;
  readonly refusedHost: string | undefined;
  readonly timeoutMs: number | undefined;

  constructor(init: PkbApiErrorInit) {
    super("", init.cause === undefined ? undefined : { cause: init.cause });
    this.surface = init.surface;
    this.endpoint = init.endpoint;
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail === undefined ? undefined : maskFreeText(init.detail);
    this.operationOutcome = init.operationOutcome;
    this.retryable =
      init.retryable ??
      (init.kind === "timeout" ||
        init.kind === "network" ||
        (init.status !== undefined && isRetryableStatus(init.status)));
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.attempts = init.attempts ?? 1;
    this.refusedHost = init.refusedHost;
    this.timeoutMs = init.timeoutMs;
    this.message = `${this.surface} ${this.endpoint}: ${this.describe()}`;
  }

  /** Records what the whole call went through (all attempts), once it has given up. */
  settle(attempts: number, outcomeUnknown: boolean): this {
    this.attempts = attempts;
    this.outcomeUnknown ||= outcomeUnknown;
    this.message = `${this.surface} ${this.endpoint}: ${this.describe()}`;
    return this;
  }

  /** True when PKB said the caller's credentials or grant are not (or no longer) good. */
  get isUnauthorized(): boolean {
    return this.status === 401;
  }

  /** One or two sentences for a trust's IT lead; no secrets, no patient data. */
  describe(): string {
    const where = SURFACE_NAMES[this.surface];
    const code = this.code === undefined ? "" : `, ${this.code}`;
    const said = this.detail === undefined ? "" : ` PKB said: "${this.detail}".`;
    switch (this.kind) {
      case "timeout":
        return `No answer from ${where} within ${formatSeconds(this.timeoutMs)}.${this.unknownNote()}`;
      case "network":
        return `Could not reach ${where}: ${networkReason(this.cause)}.${this.unknownNote()}`;
      case "invalid-response":
        return `${where} answered (${this.status ?? "no status"}) with something PKB Desk could not understand${this.detail === undefined ? "" : `: ${this.detail}`}.`;
      case "refused-redirect":
        return `${where} redirected to another host (${this.refusedHost ?? "unknown"}); PKB Desk does not follow redirects away from the configured address.`;
      case "refused-link":
        return `${where} gave a next-page link to another host (${this.refusedHost ?? "unknown"}); PKB Desk only follows links on the configured address.`;
      case "link-loop":
        return `${where} gave a next-page link that led back to a page already read; paging stopped.`;
      case "page-budget":
        return `${where} returned more pages than allowed; paging stopped.`;
      case "http":
        return this.describeStatus(where, code) + said;
    }
  }

  private describeStatus(where: string, code: string): string {
    const status = this.status ?? 0;
    if (this.surface === "system-token" && (status === 401 || status === 400)) {
      return `PKB refused the system client's id or secret (${status}${code}).`;
    }
    if (this.surface === "aggregated-token" && (status === 401 || status === 400)) {
      return `PKB's Aggregated token server refused the Aggregated client's id or secret (${status}${code}).`;
    }
    if (this.surface === "user-oauth" && this.code === "invalid_grant") {
      return `PKB no longer accepts the clinician's grant (${status}${code}); someone must grant access again.`;
    }
    if (status === 401) return `${where} did not accept PKB Desk's access token (401${code}).`;
    if (status === 403) return `${where} refused access (403${code}).`;
    if (status === 404) return `${where} has no such resource or address (404${code}).`;
    if (status === 413) return `${where} said the request was too large (413${code}).`;
    if (status === 429) {
      return `${where} asked PKB Desk to slow down (429) and kept doing so after ${this.attempts} attempts.`;
    }
    if (status >= 500) {
      return `${where} had a server error (${status}${code})${this.attempts > 1 ? ` on all ${this.attempts} attempts` : ""}.`;
    }
    return `${where} rejected the request (${status}${code}).`;
  }

  private unknownNote(): string {
    return this.outcomeUnknown
      ? " PKB may have acted on the request before the connection ended."
      : "";
  }
}

function formatSeconds(ms: number | undefined): string {
  if (ms === undefined) return "the time limit";
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

function networkReason(cause: unknown): string {
  const code = errorCode(cause);
  switch (code) {
    case "ECONNREFUSED":
      return "nothing is listening at that address (connection refused)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name could not be found";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "the connection was closed before an answer arrived";
    case "CERT_HAS_EXPIRED":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `its TLS certificate was not accepted (${code})`;
    case undefined:
      return "the connection failed";
    default:
      return `the connection failed (${code})`;
  }
}

/** The first `code` on an error or its causes (undici wraps the socket error in `cause`). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return undefined;
}

/**
 * PKB's free-text messages may echo what we sent. Mask anything identifier-like (runs of digits,
 * UUIDs, e-mail addresses, long token-like words) and cap the length before keeping it.
 */
export function maskFreeText(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "[id]")
    .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, "[e-mail]")
    .replace(/\d[\d\s-]{4,}\d/g, "[number]")
    .replace(/[A-Za-z0-9_\-.~]{24,}/g, "[redacted]")
    .slice(0, 200);
}
