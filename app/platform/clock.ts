/**
 * The one source of "now" for rules that depend on time (session timeouts, link expiry,
 * login lockouts), so tests can move time without waiting.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

const holder: { clock: Clock } = { clock: systemClock };

export function now(): Date {
  return holder.clock.now();
}

export function setClock(clock: Clock): void {
  holder.clock = clock;
}

/** A clock that stands still until told to move. */
export class FakeClock implements Clock {
  constructor(private current: Date = new Date()) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(date: Date): void {
    this.current = new Date(date.getTime());
  }
}
