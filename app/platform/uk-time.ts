import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";

/** Times are stored in UTC and shown in UK local time (DESIGN.md, Conventions). */
export const UK_TIME_ZONE = "Europe/London";

export function formatUkDateTime(date: Date | string): string {
  return format(new TZDate(new Date(date), UK_TIME_ZONE), "d MMM yyyy, HH:mm");
}

/** A date as a letter or message prints it: "5 January 2027" (UK calendar day). */
export function formatUkDate(date: Date | string): string {
  return format(new TZDate(new Date(date), UK_TIME_ZONE), "d MMMM yyyy");
}
