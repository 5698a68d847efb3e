/**
 * UK civil time (Europe/London) without a time-zone library: GMT, or BST (UTC+1) from 01:00 UTC on
 * the last Sunday of March to 01:00 UTC on the last Sunday of October. Generating a million
 * appointments with Intl would take seconds; this takes milliseconds, and the rule is stable law.
 */
const HOUR = 3_600_000;

function lastSundayUtc(year: number, monthIndex: number): number {
  const lastDay = new Date(Date.UTC(year, monthIndex + 1, 0));
  const day = lastDay.getUTCDate() - lastDay.getUTCDay();
  return Date.UTC(year, monthIndex, day, 1, 0, 0);
}

/** The instants (UTC ms) at which BST starts and ends in a year. */
export function bstBoundaries(year: number): { starts: number; ends: number } {
  return { starts: lastSundayUtc(year, 2), ends: lastSundayUtc(year, 9) };
}

export function isBritishSummerTime(utcMs: number): boolean {
  const year = new Date(utcMs).getUTCFullYear();
  const { starts, ends } = bstBoundaries(year);
  return utcMs >= starts && utcMs < ends;
}

export function ukOffsetMs(utcMs: number): number {
  return isBritishSummerTime(utcMs) ? HOUR : 0;
}

/** UK wall-clock fields → UTC ms. In the repeated autumn hour the earlier (BST) reading wins. */
export function ukLocalToUtc(
  year: number,
  monthIndex: number,
  day: number,
  hour: number,
  minute: number,
): number {
  const asUtc = Date.UTC(year, monthIndex, day, hour, minute);
  const assumingBst = asUtc - HOUR;
  if (isBritishSummerTime(assumingBst)) return assumingBst;
  return asUtc;
}

export interface UkLocalParts {
  year: number;
  monthIndex: number;
  day: number;
  hour: number;
  minute: number;
}

export function utcToUkLocal(utcMs: number): UkLocalParts {
  const local = new Date(utcMs + ukOffsetMs(utcMs));
  return {
    year: local.getUTCFullYear(),
    monthIndex: local.getUTCMonth(),
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
  };
}

const two = (n: number): string => String(n).padStart(2, "0");

/** "14/05/2026 10:30" in UK local time — the form PKB quotes in appointment-request subjects. */
export function formatUkDateTime(utcMs: number): string {
  const p = utcToUkLocal(utcMs);
  return `${two(p.day)}/${two(p.monthIndex + 1)}/${p.year} ${two(p.hour)}:${two(p.minute)}`;
}

/** Start of the UK local day containing `utcMs`, as UTC ms. */
export function startOfUkDay(utcMs: number): number {
  const p = utcToUkLocal(utcMs);
  return ukLocalToUtc(p.year, p.monthIndex, p.day, 0, 0);
}

/** "2026-05-14" of the UK local day. */
export function ukDateString(utcMs: number): string {
  const p = utcToUkLocal(utcMs);
  return `${p.year}-${two(p.monthIndex + 1)}-${two(p.day)}`;
}
