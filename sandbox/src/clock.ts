/**
 * The sandbox's own clock. Every time-dependent rule (access-token and session expiry, 30-day
 * invitation tokens, which seeded messages have "arrived") reads this clock, never Date.now(),
 * so tests and demos can move time forward instead of waiting.
 */
export interface SandboxClock {
  now(): number;
  /** Moves the clock forward (or back, with a negative amount) by milliseconds. */
  advance(milliseconds: number): void;
  /** Jumps to an instant. */
  set(epochMilliseconds: number): void;
  /** How far the clock is from real time, in milliseconds. */
  offset(): number;
  reset(): void;
}

/**
 * A clock that runs with real time from `start` (default: real now). `frozen` stops it from moving
 * by itself, which tests use for exact expiry arithmetic.
 */
export function createClock(options: { start?: number; frozen?: boolean } = {}): SandboxClock {
  const startReal = Date.now();
  const start = options.start ?? startReal;
  let base = start;
  let baseReal = startReal;
  const frozen = options.frozen ?? false;
  const now = (): number => (frozen ? base : base + (Date.now() - baseReal));
  return {
    now,
    advance(milliseconds) {
      const current = now();
      base = current + milliseconds;
      baseReal = Date.now();
    },
    set(epochMilliseconds) {
      base = epochMilliseconds;
      baseReal = Date.now();
    },
    offset: () => now() - Date.now(),
    reset() {
      base = start + (frozen ? 0 : Date.now() - startReal);
      baseReal = Date.now();
    },
  };
}
