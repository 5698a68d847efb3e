import { addDays, differenceInCalendarDays, format, parseISO } from "date-fns";
import {
  defaultFilter,
  MAX_RANGE_DAYS,
  parseReportFilter,
  ukToday,
  type ReportFilter,
} from "../report-filter.ts";

/** Up to this many days the campaign report opens by day; beyond, by week (then by month). */
const DAILY_UP_TO = 62;
const WEEKLY_UP_TO = 2 * 366;

/**
 * The range a campaign's registrations chart opens with: from the campaign's first UK day to
 * today, by day for a young campaign and by week or month as it ages. Across campaigns: the
 * request reports' default (the last 90 days, by week).
 */
export function campaignDefaultFilter(since: Date | null, at: Date): ReportFilter {
  if (!since) return defaultFilter(at);
  const to = ukToday(at);
  let from = ukToday(since);
  if (from > to) from = to;
  let days = differenceInCalendarDays(parseISO(to), parseISO(from)) + 1;
  if (days > MAX_RANGE_DAYS) {
    from = format(addDays(parseISO(to), -(MAX_RANGE_DAYS - 1)), "yyyy-MM-dd");
    days = MAX_RANGE_DAYS;
  }
  const granularity = days <= DAILY_UP_TO ? "day" : days <= WEEKLY_UP_TO ? "week" : "month";
  return { from, to, granularity };
}

/**
 * The range from the URL (validated like every report's: real UK dates, end after start, at most
 * 5 years, daily buckets for a year at most) or, when the URL names none, the default above.
 */
export function parseCampaignReportFilter(params: URLSearchParams, at: Date, since: Date | null) {
  if (!params.has("from") && !params.has("to") && !params.has("granularity")) {
    return { filter: campaignDefaultFilter(since, at), errors: null };
  }
  return parseReportFilter(params, at);
}
