import { TZDate } from "@date-fns/tz";
import { addDays, differenceInCalendarDays, format, parseISO } from "date-fns";
import { z } from "zod";
import { UK_TIME_ZONE } from "~/platform/uk-time.ts";

/**
 * The report filter: a range of UK calendar dates (inclusive at both ends) and a bucket size.
 * Shared by the loaders, the CSV routes and the page (no server imports here).
 *
 * A UK date means the day as a clock on a wall in England reads it: 2026-03-29 runs from
 * 00:00 GMT to 00:00 BST the next day (23 hours), 2026-10-25 runs 25 hours. The SQL turns each
 * date into its UK midnight (reports.server.ts), so buckets follow the clock change.
 */
export const GRANULARITIES = ["day", "week", "month"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const GRANULARITY_LABELS: Record<Granularity, string> = {
  day: "Day",
  week: "Week (Monday to Sunday)",
  month: "Month",
};

/** Longest range the reports accept, and the longest one shown in daily buckets. */
export const MAX_RANGE_DAYS = 5 * 366;
export const MAX_DAILY_RANGE_DAYS = 366;
/** Range shown when the page opens: the last 90 days up to today (UK). */
export const DEFAULT_RANGE_DAYS = 90;

/** "2026-02-30" and "2026-13-01" are refused: the date must exist on a calendar. */
const UkDate = z
  .string({ error: "Enter a date" })
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "Enter the date as YYYY-MM-DD, for example 2026-03-01" })
  .refine((value) => isCalendarDate(value), { error: "Enter a real date" });

function isCalendarDate(value: string): boolean {
  const date = parseISO(value);
  return !Number.isNaN(date.getTime()) && format(date, "yyyy-MM-dd") === value;
}

export const ReportFilterSchema = z
  .object({
    from: UkDate,
    to: UkDate,
    granularity: z.enum(GRANULARITIES, { error: "Choose day, week or month" }),
  })
  .superRefine((filter, ctx) => {
    const days = differenceInCalendarDays(parseISO(filter.to), parseISO(filter.from)) + 1;
    if (days < 1) {
      ctx.addIssue({
        code: "custom",
        path: ["to"],
        message: "The end date must be on or after the start date",
      });
    } else if (days > MAX_RANGE_DAYS) {
      ctx.addIssue({
        code: "custom",
        path: ["from"],
        message: "Choose a range of 5 years or less",
      });
    } else if (filter.granularity === "day" && days > MAX_DAILY_RANGE_DAYS) {
      ctx.addIssue({
        code: "custom",
        path: ["granularity"],
        message: "Daily buckets are for ranges of a year or less: choose week or month",
      });
    }
  });
export type ReportFilter = z.infer<typeof ReportFilterSchema>;

/** Today's date in the UK. */
export function ukToday(at: Date): string {
  return format(new TZDate(at, UK_TIME_ZONE), "yyyy-MM-dd");
}

export function defaultFilter(at: Date): ReportFilter {
  const to = ukToday(at);
  return {
    from: format(addDays(parseISO(to), -(DEFAULT_RANGE_DAYS - 1)), "yyyy-MM-dd"),
    to,
    granularity: "week",
  };
}

/**
 * The filter from a URL's query, or the default when the query names none. A query that names a
 * bad range is an error the page shows beside the fields (never silently replaced).
 */
export function parseReportFilter(
  params: URLSearchParams,
  at: Date,
):
  | { filter: ReportFilter; errors: null }
  | { filter: ReportFilter; errors: Record<string, string> } {
  const fallback = defaultFilter(at);
  if (!params.has("from") && !params.has("to") && !params.has("granularity")) {
    return { filter: fallback, errors: null };
  }
  const raw = {
    from: params.get("from") ?? fallback.from,
    to: params.get("to") ?? fallback.to,
    granularity: params.get("granularity") ?? fallback.granularity,
  };
  const parsed = ReportFilterSchema.safeParse(raw);
  if (parsed.success) return { filter: parsed.data, errors: null };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? "form");
    errors[key] ??= issue.message;
  }
  // With errors, `filter` is what was typed (cut to a sane length), for the form to show again
  // beside the messages; it runs no query.
  return {
    filter: {
      from: raw.from.slice(0, 10),
      to: raw.to.slice(0, 10),
      granularity: GRANULARITIES.find((g) => g === raw.granularity) ?? fallback.granularity,
    },
    errors,
  };
}

/** The first day of each bucket that meets the range, in order (UK dates). */
export function bucketStarts(filter: ReportFilter): string[] {
  const starts: string[] = [];
  const last = parseISO(filter.to);
  let cursor = bucketStartOf(parseISO(filter.from), filter.granularity);
  while (cursor <= last) {
    starts.push(format(cursor, "yyyy-MM-dd"));
    cursor =
      filter.granularity === "day"
        ? addDays(cursor, 1)
        : filter.granularity === "week"
          ? addDays(cursor, 7)
          : new Date(cursor.getFullYear(), cursor.getMonth() + 1, 1);
  }
  return starts;
}

function bucketStartOf(date: Date, granularity: Granularity): Date {
  if (granularity === "day") return date;
  if (granularity === "month") return new Date(date.getFullYear(), date.getMonth(), 1);
  const isoWeekday = (date.getDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(date, -isoWeekday);
}

/** How a bucket is named in the chart, the table and the CSV. */
export function bucketLabel(start: string, granularity: Granularity): string {
  const date = parseISO(start);
  if (granularity === "day") return format(date, "EEE d MMM yyyy");
  if (granularity === "week") {
    return `Week of ${format(date, "d MMM yyyy")} (${format(date, "RRRR-'W'II")})`;
  }
  return format(date, "MMM yyyy");
}

/** The filter as a query string, for links to the CSVs and between the report pages. */
export function filterQuery(filter: ReportFilter, extra: Record<string, string> = {}): string {
  return new URLSearchParams({ ...filter, ...extra }).toString();
}
