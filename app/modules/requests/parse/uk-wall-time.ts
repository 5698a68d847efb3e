import { tzOffset } from "@date-fns/tz";
import { UK_TIME_ZONE } from "~/platform/uk-time.ts";

/** UK wall-clock fields as a patient reads them in a PKB subject (month 1–12). */
export interface UkWallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const MINUTE = 60_000;

/**
 * Every UTC instant at which the UK clock showed this wall time, earliest first.
 *
 * - Most wall times have exactly one instant.
 * - On the spring-forward day (last Sunday of March) 01:00–01:59 never happens: the result is empty.
 * - On the fall-back day (last Sunday of October) 01:00–01:59 happens twice, first in BST then in
 *   GMT: the result has both, and the caller must not pick one silently.
 *
 * The UK has used only UTC+0 and UTC+1 since 1971, so trying both offsets and keeping those the
 * time-zone database agrees with is complete.
 */
export function ukWallTimeInstants(wall: UkWallTime): Date[] {
  const asIfUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  const instants: Date[] = [];
  for (const offsetMinutes of [60, 0]) {
    const instant = new Date(asIfUtc - offsetMinutes * MINUTE);
    if (tzOffset(UK_TIME_ZONE, instant) === offsetMinutes) instants.push(instant);
  }
  return instants;
}

/** Whether the fields name a real calendar date and clock time (31/02 and 24:00 do not). */
export function isRealWallTime(wall: UkWallTime): boolean {
  if (wall.month < 1 || wall.month > 12 || wall.day < 1 || wall.hour > 23 || wall.minute > 59) {
    return false;
  }
  const probe = new Date(Date.UTC(wall.year, wall.month - 1, wall.day));
  return probe.getUTCMonth() === wall.month - 1 && probe.getUTCDate() === wall.day;
}

const two = (n: number): string => String(n).padStart(2, "0");

/** "2026-05-14 10:30" — the wall time as stored for display and audit, unambiguous to read. */
export function formatWallTime(wall: UkWallTime): string {
  return `${wall.year}-${two(wall.month)}-${two(wall.day)} ${two(wall.hour)}:${two(wall.minute)}`;
}
