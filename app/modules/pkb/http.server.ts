import type { OperationOutcome } from "@medplum/fhirtypes";
import { getLogger } from "~/platform/logger.server.ts";
import { errorCode, isRetryableStatus, PkbApiError, type PkbSurface } from "./errors.ts";
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from "./retry-policy.ts";
import type { AccessTokenSource } from "./token-source.ts";

/**
 * The one function that sends requests to PKB. Every call gets a timeout, bounded retries with
 * backoff (Retry-After honoured), a per-surface concurrency cap, one token refresh on 401, and no
 * redirects to other hosts. Callers get the attempts made and whether any attempt's outcome is
 * unknown (the request may have reached PKB and acted: e.g. a second invitation code issued).
 */

export interface PkbHttpOptions {
  /** Per attempt, covering the headers and the body. Default 10 s. */
  timeoutMs?: number;
  /** Attempts per call, the first included (401 refresh retry not counted). Default 4. */
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Calls in flight per surface. Default 4 (pkb-api.md §9). */
  concurrencyPerSurface?: number;
  /** Injected in unit tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface PkbRequest {
  surface: PkbSurface;
  /** Short label for errors and logs, e.g. `status-query`. URLs are never logged (they hold ids). */
  endpoint: string;
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Bearer token; on 401 `afterUnauthorized` is called once and the call is retried once. */
  token?: AccessTokenSource;
  /** Return 3xx responses to the caller instead of refusing them (OAuth authorize probes). */
  acceptRedirects?: boolean;
  /**
   * Non-retryable error statuses to return to the caller instead of throwing (the OAuth library
   * reads token-endpoint error bodies itself). Retryable statuses are still retried first.
   */
  acceptStatus?: (status: number) => boolean;
  /** Per-call override. */
  timeoutMs?: number;
  maxAttempts?: number;
  signal?: AbortSignal;
}

/** What happened on the way to the answer; campaigns record `outcomeUnknown`. */
export interface CallMeta {
  attempts: number;
  /** Some attempt may have reached PKB and acted without us seeing the answer. */
  outcomeUnknown: boolean;
}

export interface PkbHttpResponse {
  status: number;
  headers: Headers;
  text: string;
  meta: CallMeta;
}

export interface PkbHttp {
  /** Sends with retries; resolves for 2xx (and 3xx with `acceptRedirects`), else `PkbApiError`. */
  send(request: PkbRequest): Promise<PkbHttpResponse>;
  /** `send` and parse the JSON body (the caller then zod-parses it). */
  sendJson(request: PkbRequest): Promise<{ json: unknown; status: number; meta: CallMeta }>;
  readonly timeoutMs: number;
}

/** Limits how many calls run at once; waiters are served in order. */
class Semaphore {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.inFlight >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.inFlight++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    };
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Network errors where the request certainly never reached PKB. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);

export function createPkbHttp(options: PkbHttpOptions = {}): PkbHttp {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const backoff: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const limiters = new Map<PkbSurface, Semaphore>();
  const limiter = (surface: PkbSurface): Semaphore => {
    let semaphore = limiters.get(surface);
    if (!semaphore) {
      semaphore = new Semaphore(options.concurrencyPerSurface ?? 4);
      limiters.set(surface, semaphore);
    }
    return semaphore;
  };

  type Attempt =
    | { kind: "response"; status: number; headers: Headers; text: string }
    | { kind: "failed"; error: PkbApiError };

  async function attemptOnce(request: PkbRequest, bearer: string | undefined): Promise<Attempt> {
    // The clock starts once a slot is free: waiting behind other calls is not PKB being slow.
    const release = await limiter(request.surface).acquire();
    const callTimeout = request.timeoutMs ?? timeoutMs;
    const timeout = AbortSignal.timeout(callTimeout);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const headers: Record<string, string> = { ...request.headers };
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    try {
      const response = await doFetch(request.url, {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        redirect: "manual",
        signal,
      });
      const text = await response.text();
      return { kind: "response", status: response.status, headers: response.headers, text };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      const timedOut = timeout.aborted;
      const code = errorCode(error);
      return {
        kind: "failed",
        error: new PkbApiError({
          surface: request.surface,
          endpoint: request.endpoint,
          kind: timedOut ? "timeout" : "network",
          timeoutMs: callTimeout,
          // A refused connection never reached PKB; a reset or a timeout may have, after sending.
          outcomeUnknown: timedOut || code === undefined || !NOT_SENT_CODES.has(code),
          cause: error,
        }),
      };
    } finally {
      release();
    }
  }

  async function send(request: PkbRequest): Promise<PkbHttpResponse> {
    const budget = request.maxAttempts ?? maxAttempts;
    let bearer = request.token ? await request.token.accessToken() : undefined;
    let refreshedAfter401 = false;
    let attempts = 0;
    let retries = 0;
    let outcomeUnknown = false;
    const started = performance.now();
    const log = getLogger();
    for (;;) {
      attempts++;
      const result = await attemptOnce(request, bearer);
      let failure: PkbApiError;
      let retryAfterHeader: string | null = null;
      if (result.kind === "failed") {
        failure = result.error;
        outcomeUnknown ||= failure.outcomeUnknown;
      } else if (result.status >= 200 && result.status < 300) {
        const meta = { attempts, outcomeUnknown };
        log.debug(
          {
            pkb: request.surface,
            endpoint: request.endpoint,
            status: result.status,
            attempts,
            outcomeUnknown,
            ms: Math.round(performance.now() - started),
          },
          "pkb call",
        );
        return { status: result.status, headers: result.headers, text: result.text, meta };
      } else if (result.status >= 300 && result.status < 400) {
        if (request.acceptRedirects) {
          return {
            status: result.status,
            headers: result.headers,
            text: result.text,
            meta: { attempts, outcomeUnknown },
          };
        }
        throw redirectRefused(request, result.headers.get("location"), attempts, outcomeUnknown);
      } else if (!isRetryableStatus(result.status) && request.acceptStatus?.(result.status)) {
        return {
          status: result.status,
          headers: result.headers,
          text: result.text,
          meta: { attempts, outcomeUnknown },
        };
      } else if (result.status === 401 && request.token && !refreshedAfter401 && bearer) {
        // The token may have expired or been revoked: one fresh token, one more try.
        refreshedAfter401 = true;
        bearer = await request.token.afterUnauthorized(bearer);
        continue;
      } else {
        failure = errorFromResponse(request, result.status, result.text, attempts, outcomeUnknown);
        retryAfterHeader = result.headers.get("retry-after");
      }
      const retriesLeft = attempts - (refreshedAfter401 ? 1 : 0) < budget;
      if (!failure.retryable || !retriesLeft) {
        failure.settle(attempts, outcomeUnknown);
        log.warn(
          {
            pkb: request.surface,
            endpoint: request.endpoint,
            status: failure.status,
            kind: failure.kind,
            code: failure.code,
            attempts,
            outcomeUnknown,
          },
          "pkb call failed",
        );
        throw failure;
      }
      retries++;
      const wait = retryDelayMs(retries, retryAfterHeader, backoff, random, now());
      log.info(
        {
          pkb: request.surface,
          endpoint: request.endpoint,
          status: failure.status,
          kind: failure.kind,
          retry: retries,
          waitMs: wait.delayMs,
          waitFrom: wait.source,
        },
        "pkb call retrying",
      );
      await sleep(wait.delayMs);
    }
  }

  async function sendJson(
    request: PkbRequest,
  ): Promise<{ json: unknown; status: number; meta: CallMeta }> {
    const response = await send(request);
    try {
      return { json: JSON.parse(response.text), status: response.status, meta: response.meta };
    } catch {
      throw new PkbApiError({
        surface: request.surface,
        endpoint: request.endpoint,
        kind: "invalid-response",
        status: response.status,
        detail: "the answer is not JSON",
        retryable: false,
        attempts: response.meta.attempts,
        outcomeUnknown: response.meta.outcomeUnknown,
      });
    }
  }

  return { send, sendJson, timeoutMs };
}

function redirectRefused(
  request: PkbRequest,
  location: string | null,
  attempts: number,
  outcomeUnknown: boolean,
): PkbApiError {
  let host = "no location";
  if (location) {
    try {
      host = new URL(location, request.url).host;
    } catch {
      host = "an unreadable location";
    }
  }
  return new PkbApiError({
    surface: request.surface,
    endpoint: request.endpoint,
    kind: "refused-redirect",
    refusedHost: host,
    retryable: false,
    attempts,
    outcomeUnknown,
  });
}

const PKB_RESPONSE_CODE_SYSTEM = "http://fhir.patientsknowbest.com/codesystem/response-code";

/**
 * PKB speaks three error dialects: FHIR OperationOutcome (Facade, Aggregated), the Custom REST
 * body `{statusCode, errorMessage, errorDetails:[{errorCode}]}` and OAuth `{error,
 * error_description}`. All become one `PkbApiError`.
 */
export function errorFromResponse(
  request: Pick<PkbRequest, "surface" | "endpoint">,
  status: number,
  text: string,
  attempts = 1,
  outcomeUnknown = false,
): PkbApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  let code: string | undefined;
  let detail: string | undefined;
  let operationOutcome: OperationOutcome | undefined;
  if (isRecord(body)) {
    if (body.resourceType === "OperationOutcome" && Array.isArray(body.issue)) {
      operationOutcome = body as unknown as OperationOutcome;
      const issue = operationOutcome.issue?.[0];
      code =
        issue?.details?.coding?.find((c) => c.system === PKB_RESPONSE_CODE_SYSTEM)?.code ??
        issue?.code;
    } else if (Array.isArray(body.errorDetails) || typeof body.errorMessage === "string") {
      const first: unknown = Array.isArray(body.errorDetails) ? body.errorDetails[0] : undefined;
      code = isRecord(first) && typeof first.errorCode === "string" ? first.errorCode : undefined;
      detail = typeof body.errorMessage === "string" ? body.errorMessage : undefined;
    } else if (typeof body.error === "string") {
      code = body.error;
      detail = typeof body.error_description === "string" ? body.error_description : undefined;
    }
  }
  return new PkbApiError({
    surface: request.surface,
    endpoint: request.endpoint,
    kind: "http",
    status,
    ...(code !== undefined ? { code } : {}),
    ...(detail !== undefined ? { detail } : {}),
    ...(operationOutcome ? { operationOutcome } : {}),
    retryable: isRetryableStatus(status),
    attempts,
    outcomeUnknown,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const globalForHttp = globalThis as unknown as { __pkbHttp?: PkbHttp };

/** The process-wide instance, so the per-surface cap holds across clients. */
export function sharedPkbHttp(): PkbHttp {
  globalForHttp.__pkbHttp ??= createPkbHttp();
  return globalForHttp.__pkbHttp;
}
