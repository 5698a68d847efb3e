/**
 * The match states of an appointment request and the moves between them — the one place that
 * says which are allowed (DESIGN.md: a lifecycle is one module). The sync sets the first state;
 * staff move a request on only through `pickAppointment` (requests.server.ts), which checks here.
 *
 * The worklist lifecycle of the next issue (new → assigned → actioned / rejected / resolved in
 * PAS / expired) is a separate axis with its own module; a request's match state does not end it.
 */
export const MATCH_STATES = [
  "MATCHED",
  "NEEDS_MATCHING",
  "NEEDS_TRIAGE",
  "MATCHED_BY_STAFF",
] as const;
export type MatchState = (typeof MATCH_STATES)[number];

export const MATCH_STATE_LABELS: Record<MatchState, string> = {
  MATCHED: "Matched",
  NEEDS_MATCHING: "Needs matching",
  NEEDS_TRIAGE: "Needs triage",
  MATCHED_BY_STAFF: "Matched by staff",
};

export const MATCH_STATE_HINTS: Record<MatchState, string> = {
  MATCHED: "The portal found exactly one appointment that fits.",
  NEEDS_MATCHING: "Two appointments fit, none fits, or the fit is weak: pick the right one.",
  NEEDS_TRIAGE:
    "The request's date or time cannot be read, or the patient's record cannot be seen.",
  MATCHED_BY_STAFF: "A member of staff picked the appointment.",
};

/** Staff may pick the appointment for a request the portal could not place. */
const PICKABLE: ReadonlySet<MatchState> = new Set(["NEEDS_MATCHING", "NEEDS_TRIAGE"]);

export function canPickAppointment(state: MatchState): boolean {
  return PICKABLE.has(state);
}
