import { z } from "zod";
import { createRandom, type Random } from "./random.ts";

/**
 * Fault injection. A rule targets "*", a surface ("facade") or an endpoint ("facade.status-query");
 * the most specific matching rule applies. Error faults happen before any work (nothing changes);
 * reset-after-commit does the work, then drops the connection without a response.
 */
export const faultSpecSchema = z.object({
  latencyMs: z.number().min(0).optional(),
  jitterMs: z.number().min(0).optional(),
  rate429: z.number().min(0).max(1).optional(),
  rate500: z.number().min(0).max(1).optional(),
  rate502: z.number().min(0).max(1).optional(),
  rate503: z.number().min(0).max(1).optional(),
  /** Retry-After on 429/503: seconds, written as seconds or as an HTTP-date. */
  retryAfterSeconds: z.number().int().min(0).optional(),
  retryAfterFormat: z.enum(["seconds", "http-date"]).optional(),
  hangRate: z.number().min(0).max(1).optional(),
  resetAfterCommitRate: z.number().min(0).max(1).optional(),
  /** Identifier values that make their whole batch fail with 400 (Facade operations). */
  poisonIdentifiers: z.array(z.string()).optional(),
  /** Apply error/hang/reset faults to the next N matching calls only, then stop. */
  remaining: z.number().int().min(0).optional(),
});

export type FaultSpec = z.infer<typeof faultSpecSchema>;
export const faultTableSchema = z.record(z.string(), faultSpecSchema);
export type FaultTable = Record<string, FaultSpec>;

export type FaultDecision =
  | { kind: "none" }
  | { kind: "error"; status: 429 | 500 | 502 | 503; retryAfter?: string }
  | { kind: "hang" }
  | { kind: "reset-after-commit" };

export class FaultInjector {
  private table: FaultTable = {};
  private random: Random;

  constructor(initial: FaultTable = {}, seed = 1) {
    this.random = createRandom(seed ^ 0x5eed);
    this.replace(initial);
  }

  replace(table: FaultTable): void {
    this.table = Object.fromEntries(Object.entries(table).map(([k, v]) => [k, { ...v }]));
  }

  merge(table: FaultTable): void {
    for (const [target, spec] of Object.entries(table)) this.table[target] = { ...spec };
  }

  clear(): void {
    this.table = {};
  }

  snapshot(): FaultTable {
    return JSON.parse(JSON.stringify(this.table)) as FaultTable;
  }

  /**
   * Rules for an endpoint, most specific first: "surface.name", then "surface", then "*".
   * Each knob (latency, errors, poison) comes from the most specific rule that sets it, so a
   * global --latency survives an endpoint's error rule.
   */
  private rulesFor(endpoint: string): FaultSpec[] {
    const surface = endpoint.split(".")[0] ?? endpoint;
    return [this.table[endpoint], this.table[surface], this.table["*"]].filter(
      (r): r is FaultSpec => r !== undefined,
    );
  }

  latencyFor(endpoint: string): number {
    const rule = this.rulesFor(endpoint).find(
      (r) => r.latencyMs !== undefined || r.jitterMs !== undefined,
    );
    if (!rule) return 0;
    const base = rule.latencyMs ?? 0;
    const jitter = rule.jitterMs ?? 0;
    return Math.max(0, base + (jitter > 0 ? (this.random.next() * 2 - 1) * jitter : 0));
  }

  decide(endpoint: string, now: number): FaultDecision {
    const rule = this.rulesFor(endpoint).find(
      (r) =>
        r.rate429 !== undefined ||
        r.rate500 !== undefined ||
        r.rate502 !== undefined ||
        r.rate503 !== undefined ||
        r.hangRate !== undefined ||
        r.resetAfterCommitRate !== undefined,
    );
    if (!rule) return { kind: "none" };
    if (rule.remaining !== undefined && rule.remaining <= 0) return { kind: "none" };
    const decision = this.roll(rule, now);
    if (decision.kind !== "none" && rule.remaining !== undefined) rule.remaining -= 1;
    return decision;
  }

  poisonIdentifiers(endpoint: string): ReadonlySet<string> {
    return new Set(
      this.rulesFor(endpoint).find((r) => r.poisonIdentifiers !== undefined)?.poisonIdentifiers ??
        [],
    );
  }

  private roll(rule: FaultSpec, now: number): FaultDecision {
    const draw = this.random.next();
    let threshold = 0;
    const retryAfter = (): string => {
      const seconds = rule.retryAfterSeconds ?? 1;
      return rule.retryAfterFormat === "http-date"
        ? new Date(now + seconds * 1000).toUTCString()
        : String(seconds);
    };
    for (const status of [429, 500, 502, 503] as const) {
      threshold += rule[`rate${status}`] ?? 0;
      if (draw < threshold) {
        return status === 429 || status === 503
          ? { kind: "error", status, retryAfter: retryAfter() }
          : { kind: "error", status };
      }
    }
    threshold += rule.hangRate ?? 0;
    if (draw < threshold) return { kind: "hang" };
    threshold += rule.resetAfterCommitRate ?? 0;
    if (draw < threshold) return { kind: "reset-after-commit" };
    return { kind: "none" };
  }
}

/**
 * Parses the CLI form `target:key=value,key=value`, e.g.
 * `facade.generate-invitation-tokens:rate429=0.05,retryAfterSeconds=2,retryAfterFormat=http-date`.
 */
export function parseFaultFlag(flag: string): FaultTable {
  const colon = flag.indexOf(":");
  const target = colon === -1 ? "*" : flag.slice(0, colon);
  const body = colon === -1 ? flag : flag.slice(colon + 1);
  const raw: Record<string, unknown> = {};
  for (const pair of body.split(",").filter(Boolean)) {
    const [key, value = ""] = pair.split("=");
    if (!key) continue;
    if (key === "poisonIdentifiers") raw[key] = value.split("|").filter(Boolean);
    else if (key === "retryAfterFormat") raw[key] = value;
    else raw[key] = Number(value);
  }
  return { [target]: faultSpecSchema.parse(raw) };
}
