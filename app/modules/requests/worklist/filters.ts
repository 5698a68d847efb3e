import { z } from "zod";

/**
 * The worklist's URL: view, filters, sort and keyset cursor. Pure and browser-safe, so the page
 * builds its links from the same names the server parses. Anything unreadable in a URL falls back
 * to "not set" rather than an error page: a worklist link pasted from an old email still opens.
 */
export const WORKLIST_VIEWS = [
  "mine",
  "team",
  "unassigned",
  "needs-matching",
  "needs-triage",
  "overdue",
  "done",
] as const;
export type WorklistView = (typeof WORKLIST_VIEWS)[number];

export const WORKLIST_VIEW_LABELS: Record<WorklistView, string> = {
  mine: "My requests",
  team: "Team",
  unassigned: "Unassigned",
  "needs-matching": "Needs matching",
  "needs-triage": "Needs triage",
  overdue: "Overdue",
  done: "Done",
};

export const WORKLIST_SORTS = ["urgent", "due", "newest", "oldest", "appointment"] as const;
export type WorklistSort = (typeof WORKLIST_SORTS)[number];

export const WORKLIST_SORT_LABELS: Record<WorklistSort, string> = {
  urgent: "Urgent first, then due soonest",
  due: "Due soonest",
  newest: "Newest received",
  oldest: "Oldest received",
  appointment: "Appointment soonest",
};

export const AGE_OPTIONS = ["1", "3", "7", "14"] as const;

/** Closed requests stay in the Done view this long; older ones are in reports and the audit trail. */
export const DONE_VIEW_DAYS = 30;

export const WORKLIST_PAGE_SIZE = 50;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)));

export const WorklistFilterSchema = z.object({
  view: z.enum(WORKLIST_VIEWS).optional().catch(undefined),
  sort: z.enum(WORKLIST_SORTS).optional().catch(undefined),
  /** matchedSpecialtyCode */
  specialty: z.string().trim().min(1).max(40).optional().catch(undefined),
  type: z.enum(["CANCEL", "CHANGE"]).optional().catch(undefined),
  /** received more than this many days ago */
  age: z.enum(AGE_OPTIONS).optional().catch(undefined),
  /** appointment date range, UK calendar days, inclusive */
  from: isoDate.optional().catch(undefined),
  to: isoDate.optional().catch(undefined),
  /** a user id, or "none" for nobody */
  assignee: z
    .union([z.uuid(), z.literal("none")])
    .optional()
    .catch(undefined),
  /** a team id, or "unrouted" for the default queue */
  queue: z
    .union([z.uuid(), z.literal("unrouted")])
    .optional()
    .catch(undefined),
  /** patient name (part of it) or identifier (whole, spaces allowed) */
  q: z.string().trim().min(1).max(100).optional().catch(undefined),
  after: z
    .string()
    .max(400)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .catch(undefined),
});
export type WorklistFilter = z.infer<typeof WorklistFilterSchema>;

/** The filter keys a saved view or an export keeps (never the cursor). */
export const FILTER_KEYS = [
  "view",
  "sort",
  "specialty",
  "type",
  "age",
  "from",
  "to",
  "assignee",
  "queue",
  "q",
] as const satisfies ReadonlyArray<keyof WorklistFilter>;

export function parseWorklistFilter(params: URLSearchParams): WorklistFilter {
  return WorklistFilterSchema.parse(Object.fromEntries(params));
}

/** The query string of a filter (without the cursor), in a stable order. */
export function worklistQuery(
  filter: WorklistFilter,
  changes: Partial<WorklistFilter> = {},
): string {
  const merged = { ...filter, ...changes };
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = merged[key];
    if (value) params.set(key, value);
  }
  if (changes.after) params.set("after", changes.after);
  return params.toString();
}
