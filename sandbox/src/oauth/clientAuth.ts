import { timingSafeEqual } from "node:crypto";

/** Constant-time comparison, so the sandbox does not teach clients timing-unsafe habits by example. */
export function secretsMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
