/**
 * When to try a PKB call again and how long to wait first. Pure functions, so the waiting rules are
 * unit-tested with an injected clock and random source.
 */

export interface BackoffPolicy {
  /** First retry waits up to this long (before jitter). */
  baseDelayMs: number;
  /** No backoff wait is longer than this. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is cut to this (PKB's advice, capped so a job never stalls). */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * a uniform wait in [0, min(cap, base × 2^(retry−1))), so many clients retrying at once spread out.
 * `retry` is 1 for the first retry.
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

// IMF-fixdate (RFC 9110 §5.6.7), plus the two obsolete forms a recipient must accept.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` (RFC 9110 §10.2.3) as a wait in milliseconds: delay-seconds or an HTTP-date.
 * Anything else (garbage, negative numbers, fractions) is `undefined`, and the caller falls back
 * to its own backoff. A date in the past means "now" (0).
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  if (IMF_FIXDATE.test(trimmed) || RFC850_DATE.test(trimmed) || ASCTIME_DATE.test(trimmed)) {
    const at = Date.parse(ASCTIME_DATE.test(trimmed) ? `${trimmed} GMT` : trimmed);
    if (Number.isNaN(at)) return undefined;
    return Math.max(0, at - nowMs);
  }
  return undefined;
}

/** How long to wait before retry number `retry`: PKB's Retry-After when usable, else backoff. */
export function retryDelayMs(
  retry: number,
  retryAfterHeader: string | null | undefined,
  policy: BackoffPolicy,
  random: () => number,
  nowMs: number,
): { delayMs: number; source: "retry-after" | "backoff" } {
  const advised = parseRetryAfter(retryAfterHeader, nowMs);
  if (advised !== undefined) {
    return { delayMs: Math.min(advised, policy.maxRetryAfterMs), source: "retry-after" };
  }
  return { delayMs: backoffDelayMs(retry, policy, random), source: "backoff" };
}
