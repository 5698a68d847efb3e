import { ukLocalToUtc } from "../ukTime.ts";

/** FHIR date search: a prefix and the half-open range [low, high) the value stands for. */
export type DatePrefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le";

export interface DateCriterion {
  prefix: DatePrefix;
  low: number;
  high: number;
}

/**
 * Parses `ge2026-05-14`, `2026-05`, `lt2026-05-14T10:30:00Z`… Dates without a time zone are UK local
 * days (the server's time zone, as FHIR allows). [D]
 */
export function parseDateCriterion(raw: string): DateCriterion | undefined {
  const match =
    /^(eq|ne|gt|lt|ge|le)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(
      raw,
    );
  if (!match) return undefined;
  const prefix = (match[1] ?? "eq") as DatePrefix;
  const year = Number(match[2]);
  const month = match[3] === undefined ? undefined : Number(match[3]) - 1;
  const day = match[4] === undefined ? undefined : Number(match[4]);
  if (month !== undefined && (month < 0 || month > 11)) return undefined;
  if (day !== undefined && (day < 1 || day > 31)) return undefined;
  if (match[5] !== undefined) {
    // A date-time: with a zone it is an instant; without, UK local. Precision is the second.
    const hour = Number(match[5]);
    const minute = Number(match[6]);
    const second = match[7] === undefined ? 0 : Number(match[7]);
    const zone = match[9];
    let low: number;
    if (zone === undefined) {
      low = ukLocalToUtc(year, month ?? 0, day ?? 1, hour, minute) + second * 1000;
    } else {
      const offsetMinutes =
        zone === "Z"
          ? 0
          : (zone.startsWith("-") ? -1 : 1) *
            (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
      low = Date.UTC(year, month ?? 0, day ?? 1, hour, minute, second) - offsetMinutes * 60_000;
    }
    const high = low + (match[7] === undefined ? 60_000 : 1000);
    return { prefix, low, high };
  }
  const low = ukLocalToUtc(year, month ?? 0, day ?? 1, 0, 0);
  const high =
    day !== undefined
      ? ukLocalToUtc(year, month ?? 0, day + 1, 0, 0)
      : month !== undefined
        ? ukLocalToUtc(year, month + 1, 1, 0, 0)
        : ukLocalToUtc(year + 1, 0, 1, 0, 0);
  return { prefix, low, high };
}

/** Appointment.date is its start instant. */
export function matchesDate(start: number, c: DateCriterion): boolean {
  switch (c.prefix) {
    case "eq":
      return start >= c.low && start < c.high;
    case "ne":
      return start < c.low || start >= c.high;
    case "gt":
      return start >= c.high;
    case "ge":
      return start >= c.low;
    case "lt":
      return start < c.low;
    case "le":
      return start < c.high;
  }
}

export const R4_APPOINTMENT_STATUSES = [
  "proposed",
  "pending",
  "booked",
  "arrived",
  "fulfilled",
  "cancelled",
  "noshow",
  "entered-in-error",
  "checked-in",
  "waitlist",
] as const;
