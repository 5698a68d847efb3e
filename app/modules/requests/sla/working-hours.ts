import { TZDate } from "@date-fns/tz";
import Holidays from "date-holidays";
import { UK_TIME_ZONE } from "~/platform/uk-time.ts";

/**
 * Working-hours arithmetic for request SLAs (docs/decisions/0011).
 *
 * A team works Monday to Friday between `dayStartMinute` and `dayEndMinute` of UK local time,
 * except England and Wales bank holidays (substitute days included) and the closures the trust or
 * the team has recorded. Every working day is turned into its real window of instants through the
 * time-zone database, so a window is always its full length in wall-clock minutes and the clock
 * changes (which happen at 01:00 on a Sunday) never shorten or stretch one.
 *
 * Pure: the caller supplies the calendar (closures come from the database in sla.server.ts).
 */

/** A UK calendar day, "2026-12-28". */
export type IsoDay = string;

export interface WorkingCalendar {
  /** minutes after UK local midnight, Monday to Friday */
  dayStartMinute: number;
  dayEndMinute: number;
  /** trust-wide and team closures, as UK calendar days */
  closures: ReadonlySet<IsoDay>;
}

const MINUTE = 60_000;
/** ten years of calendar days: a target larger than this is a configuration error, not a date */
const MAX_DAYS_SCANNED = 3660;

const englandAndWales = new Holidays("GB", "ENG");
const bankHolidaysByYear = new Map<number, ReadonlySet<IsoDay>>();

/**
 * England and Wales bank holidays of a year, substitute days included ("Boxing Day (substitute
 * day)"). Only `public` holidays count: `date-holidays` also lists observances such as Mother's
 * Day, which are not days off.
 */
export function bankHolidays(year: number): ReadonlySet<IsoDay> {
  let days = bankHolidaysByYear.get(year);
  if (!days) {
    days = new Set(
      englandAndWales
        .getHolidays(year)
        .filter((holiday) => holiday.type === "public")
        .map((holiday) => holiday.date.slice(0, 10)),
    );
    bankHolidaysByYear.set(year, days);
  }
  return days;
}

interface LocalDay {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

function localDayOf(instant: Date): LocalDay {
  const local = new TZDate(instant.getTime(), UK_TIME_ZONE);
  return { year: local.getFullYear(), month: local.getMonth() + 1, day: local.getDate() };
}

function nextDay(day: LocalDay): LocalDay {
  const next = new Date(Date.UTC(day.year, day.month - 1, day.day + 1));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

function isoDay(day: LocalDay): IsoDay {
  return `${day.year}-${String(day.month).padStart(2, "0")}-${String(day.day).padStart(2, "0")}`;
}

function compareDays(a: LocalDay, b: LocalDay): number {
  return Date.UTC(a.year, a.month - 1, a.day) - Date.UTC(b.year, b.month - 1, b.day);
}

/** The instant the UK clock shows `minute` minutes after midnight on `day`. */
function instantAt(day: LocalDay, minute: number): Date {
  const local = new TZDate(
    day.year,
    day.month - 1,
    day.day,
    Math.floor(minute / 60),
    minute % 60,
    UK_TIME_ZONE,
  );
  return new Date(local.getTime());
}

export function isWorkingDay(day: IsoDay | LocalDay, calendar: WorkingCalendar): boolean {
  const local =
    typeof day === "string"
      ? {
          year: Number(day.slice(0, 4)),
          month: Number(day.slice(5, 7)),
          day: Number(day.slice(8, 10)),
        }
      : day;
  const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const iso = isoDay(local);
  return !bankHolidays(local.year).has(iso) && !calendar.closures.has(iso);
}

/** The working window of a day as instants, or null on a day off. */
function windowOf(day: LocalDay, calendar: WorkingCalendar): { start: Date; end: Date } | null {
  if (!isWorkingDay(day, calendar)) return null;
  return {
    start: instantAt(day, calendar.dayStartMinute),
    end: instantAt(day, calendar.dayEndMinute),
  };
}

export function assertValidWorkingDay(
  calendar: Pick<WorkingCalendar, "dayStartMinute" | "dayEndMinute">,
): void {
  const { dayStartMinute: start, dayEndMinute: end } = calendar;
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    end > 24 * 60 ||
    start >= end
  ) {
    throw new RangeError("The working day must start before it ends, within one calendar day.");
  }
}

/**
 * The instant `hours` working hours after `from`: the SLA deadline of a request received at
 * `from`. Received outside working hours, the clock starts at the next working window. A target
 * that ends exactly at the close of a working day is due at that close, not the next morning.
 */
export function addWorkingHours(from: Date, hours: number, calendar: WorkingCalendar): Date {
  assertValidWorkingDay(calendar);
  if (!Number.isFinite(hours) || hours < 0) {
    throw new RangeError("Working hours must be 0 or more.");
  }
  let remaining = Math.round(hours * 60) * MINUTE;
  let day = localDayOf(from);
  for (let scanned = 0; scanned < MAX_DAYS_SCANNED; scanned += 1, day = nextDay(day)) {
    const window = windowOf(day, calendar);
    if (!window) continue;
    const start = Math.max(window.start.getTime(), from.getTime());
    const available = window.end.getTime() - start;
    if (available < 0) continue;
    if (available >= remaining) return new Date(start + remaining);
    remaining -= available;
  }
  throw new RangeError("No working time found within ten years: check the closures.");
}

/**
 * Working milliseconds between two instants (negative when `to` is before `from`): how much
 * working time is left before a deadline, or how long past it a request is.
 */
export function workingMsBetween(from: Date, to: Date, calendar: WorkingCalendar): number {
  assertValidWorkingDay(calendar);
  if (to.getTime() < from.getTime()) return -workingMsBetween(to, from, calendar);
  let total = 0;
  const last = localDayOf(to);
  let day = localDayOf(from);
  for (let scanned = 0; compareDays(day, last) <= 0; scanned += 1, day = nextDay(day)) {
    if (scanned > MAX_DAYS_SCANNED) throw new RangeError("Range too long for working time.");
    const window = windowOf(day, calendar);
    if (!window) continue;
    const start = Math.max(window.start.getTime(), from.getTime());
    const end = Math.min(window.end.getTime(), to.getTime());
    if (end > start) total += end - start;
  }
  return total;
}

export type SlaState =
  | { kind: "none" }
  | { kind: "met" }
  | { kind: "due"; workingMinutes: number; soon: boolean }
  | { kind: "overdue"; workingMinutes: number };

/** Due within this much working time counts as "due soon" (amber, and on a handler's home page). */
export const DUE_SOON_WORKING_MINUTES = 2 * 60;

/**
 * Where an open request stands against its deadline at `at`: working time left, or working time
 * overdue. Overdue is decided on the instant (past dueAt is overdue, even at a weekend); the
 * amount is in working time, as the target is.
 */
export function slaStateAt(dueAt: Date | null, at: Date, calendar: WorkingCalendar): SlaState {
  if (!dueAt) return { kind: "none" };
  if (at.getTime() <= dueAt.getTime()) {
    const workingMinutes = Math.ceil(workingMsBetween(at, dueAt, calendar) / MINUTE);
    return { kind: "due", workingMinutes, soon: workingMinutes <= DUE_SOON_WORKING_MINUTES };
  }
  return {
    kind: "overdue",
    workingMinutes: Math.max(1, Math.floor(workingMsBetween(dueAt, at, calendar) / MINUTE)),
  };
}

/** "3 h", "45 min", "2 h 15 min" — working time as read aloud. */
export function formatWorkingDuration(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** The words for an SLA state; colour on screen only ever repeats them. */
export function describeSla(state: SlaState): string {
  switch (state.kind) {
    case "none":
      return "No target";
    case "met":
      return "Closed";
    case "due":
      return `Due in ${formatWorkingDuration(state.workingMinutes)}`;
    case "overdue":
      return `Overdue by ${formatWorkingDuration(state.workingMinutes)}`;
  }
}

/** The UK calendar days from `from` to `to` inclusive (for loading closures of a range). */
export function ukDaysBetween(from: Date, to: Date): { first: IsoDay; last: IsoDay } {
  return { first: isoDay(localDayOf(from)), last: isoDay(localDayOf(to)) };
}

export { isoDay as formatIsoDay, localDayOf };
