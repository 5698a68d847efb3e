import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  parseRetryAfter,
  retryDelayMs,
  type BackoffPolicy,
} from "./retry-policy.ts";

const policy: BackoffPolicy = { baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };
const NOW = Date.parse("2026-11-21T10:00:00Z");

describe("Retry-After", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("3", NOW)).toBe(3_000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
  });

  it("reads an HTTP-date as the time left until it", () => {
    expect(parseRetryAfter("Sat, 21 Nov 2026 10:00:07 GMT", NOW)).toBe(7_000);
    // The two obsolete forms RFC 9110 tells recipients to accept.
    expect(parseRetryAfter("Saturday, 21-Nov-26 10:00:02 GMT", NOW)).toBe(2_000);
    expect(parseRetryAfter("Sat Nov 21 10:00:04 2026", NOW)).toBe(4_000);
  });

  it("treats a date in the past as now", () => {
    expect(parseRetryAfter("Sat, 21 Nov 2026 09:00:00 GMT", NOW)).toBe(0);
  });

  it("ignores garbage, negatives, fractions and absent headers", () => {
    for (const value of ["soon", "-1", "1.5", "", "5 seconds", "2026-11-21T10:00:05Z", "1e3"]) {
      expect(parseRetryAfter(value, NOW), value).toBeUndefined();
    }
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

describe("backoff with full jitter", () => {
  it("grows exponentially up to the cap and scales by the random draw", () => {
    expect(backoffDelayMs(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(10, policy, () => 0.5)).toBe(500); // capped at 1 000
    expect(backoffDelayMs(4, policy, () => 0)).toBe(0);
  });

  it("prefers Retry-After, capped, and falls back to backoff for garbage", () => {
    expect(retryDelayMs(1, "2", policy, () => 0.5, NOW)).toEqual({
      delayMs: 2_000,
      source: "retry-after",
    });
    expect(retryDelayMs(1, "3600", policy, () => 0.5, NOW)).toEqual({
      delayMs: 5_000,
      source: "retry-after",
    });
    expect(retryDelayMs(2, "later please", policy, () => 0.5, NOW)).toEqual({
      delayMs: 100,
      source: "backoff",
    });
  });
});
