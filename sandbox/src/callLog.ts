/**
 * What the sandbox was asked to do, for tests that assert on behaviour ("no identifier got tokens
 * twice", "the portal never sent more than 500 identifiers"). Holds no patient data except the
 * identifier counts that exist precisely so tests can check them.
 */
export interface CallRecord {
  at: string;
  method: string;
  endpoint: string;
  status: number;
  durationMs: number;
  clientId?: string;
  /** Identifiers in a Facade batch (a count, never the values). */
  identifiers?: number;
  fault?: string;
}

export interface EndpointCounter {
  calls: number;
  byStatus: Record<string, number>;
  maxIdentifiers: number;
  faults: number;
}

const RECENT_LIMIT = 1000;

export class CallLog {
  private counters = new Map<string, EndpointCounter>();
  private recent: CallRecord[] = [];
  private tokensIssued = new Map<string, number>();

  record(call: CallRecord): void {
    let counter = this.counters.get(call.endpoint);
    if (!counter) {
      counter = { calls: 0, byStatus: {}, maxIdentifiers: 0, faults: 0 };
      this.counters.set(call.endpoint, counter);
    }
    counter.calls += 1;
    const status = String(call.status);
    counter.byStatus[status] = (counter.byStatus[status] ?? 0) + 1;
    if (call.identifiers !== undefined) {
      counter.maxIdentifiers = Math.max(counter.maxIdentifiers, call.identifiers);
    }
    if (call.fault) counter.faults += 1;
    this.recent.push(call);
    if (this.recent.length > RECENT_LIMIT) this.recent.splice(0, this.recent.length - RECENT_LIMIT);
  }

  /** Key: "system|value" as the caller sent it. */
  countTokenIssued(system: string, value: string): void {
    const key = `${system}|${value}`;
    this.tokensIssued.set(key, (this.tokensIssued.get(key) ?? 0) + 1);
  }

  tokensIssuedFor(system: string, value: string): number {
    return this.tokensIssued.get(`${system}|${value}`) ?? 0;
  }

  summary(options: { includeIdentifiers: boolean }): {
    endpoints: Record<string, EndpointCounter>;
    tokens: { identifiers: number; pairs: number; issuedMoreThanOnce: number };
    tokensIssuedPerIdentifier?: Record<string, number>;
    recent: CallRecord[];
  } {
    let pairs = 0;
    let issuedMoreThanOnce = 0;
    for (const count of this.tokensIssued.values()) {
      pairs += count;
      if (count > 1) issuedMoreThanOnce += 1;
    }
    return {
      endpoints: Object.fromEntries(this.counters),
      tokens: { identifiers: this.tokensIssued.size, pairs, issuedMoreThanOnce },
      ...(options.includeIdentifiers
        ? { tokensIssuedPerIdentifier: Object.fromEntries(this.tokensIssued) }
        : {}),
      recent: this.recent.slice(-100),
    };
  }

  clear(): void {
    this.counters.clear();
    this.recent = [];
    this.tokensIssued.clear();
  }
}
