import type { RequestStatus, Role } from "~/generated/prisma/enums.ts";
import { hasPermission } from "~/modules/auth/permissions.ts";

/**
 * The work lifecycle of an appointment request — the one place that says which moves are allowed
 * (DESIGN.md: a lifecycle is one module). Pure, so the detail page, the worklist's bulk bar and
 * the tests share it; the one function that applies a move (scope, version, history, audit) is
 * `applyRequestAction` in lifecycle.server.ts, and the system's own moves go through
 * `applySystemEvent` there.
 *
 *   NEW ──assign / claim──▶ ASSIGNED ──release──▶ NEW
 *   NEW | ASSIGNED | EXPIRED ──action (PAS reference)──▶ ACTIONED
 *   NEW | ASSIGNED | EXPIRED ──reject (reason)──▶ REJECTED
 *   ACTIONED | REJECTED | RESOLVED_IN_PAS ──reopen──▶ NEW (ASSIGNED when it still has a person)
 *   NEW | ASSIGNED | EXPIRED ──rematch──▶ same (EXPIRED: NEW / ASSIGNED, the new appointment decides)
 *   system: NEW ──routed──▶ NEW (ASSIGNED when the rule names a person)
 *           NEW | ASSIGNED | EXPIRED ──resolved-in-pas──▶ RESOLVED_IN_PAS
 *           NEW | ASSIGNED ──expired──▶ EXPIRED
 *
 * EXPIRED is open: the appointment time passed with nobody closing the request, so it is flagged
 * for a person and stays in the worklist until someone assigns, actions or rejects it (H2, H6).
 */
export const REQUEST_STATUSES = [
  "NEW",
  "ASSIGNED",
  "ACTIONED",
  "REJECTED",
  "RESOLVED_IN_PAS",
  "EXPIRED",
] as const satisfies readonly RequestStatus[];

export const OPEN_STATUSES = ["NEW", "ASSIGNED", "EXPIRED"] as const satisfies RequestStatus[];
export const CLOSED_STATUSES = [
  "ACTIONED",
  "REJECTED",
  "RESOLVED_IN_PAS",
] as const satisfies RequestStatus[];

export function isOpen(status: RequestStatus): boolean {
  return (OPEN_STATUSES as readonly RequestStatus[]).includes(status);
}

export const REQUEST_STATUS_LABELS: Record<RequestStatus, string> = {
  NEW: "New",
  ASSIGNED: "Assigned",
  ACTIONED: "Actioned",
  REJECTED: "Rejected",
  RESOLVED_IN_PAS: "Resolved in PAS",
  EXPIRED: "Appointment passed — needs a person",
};

/** Lengths of what staff type (forms and the lifecycle check the same numbers). */
export const PAS_REFERENCE_MAX = 64;
export const REJECTION_REASON_MAX = 1000;
export const NOTE_MAX = 4000;

/** What a person asks for (the detail page's forms and the worklist's bulk bar). */
export const REQUEST_INTENTS = [
  "assign",
  "claim",
  "release",
  "action",
  "reject",
  "reopen",
  "rematch",
] as const;
export type RequestIntent = (typeof REQUEST_INTENTS)[number];

/** What the system does on its own (routing, auto-close in the sync). */
export const SYSTEM_EVENTS = ["routed", "resolved-in-pas", "expired"] as const;
export type SystemEvent = (typeof SYSTEM_EVENTS)[number];

export const INTENT_LABELS: Record<RequestIntent | SystemEvent | "note" | "rerouted", string> = {
  assign: "Assigned",
  claim: "Claimed",
  release: "Released",
  action: "Marked actioned",
  reject: "Rejected",
  reopen: "Reopened",
  rematch: "Appointment changed",
  routed: "Routed",
  rerouted: "Re-routed",
  "resolved-in-pas": "Resolved in PAS",
  expired: "Appointment passed",
  note: "Note added",
};

/** The request as the lifecycle needs to see it. */
export interface RequestPosition {
  status: RequestStatus;
  assigneeId: string | null;
  teamId: string | null;
  /** set once the appointment time passed while open; the sweep does not flag it twice */
  expiredAt?: Date | null;
}

/** The person asking. */
export interface LifecycleActor {
  id: string;
  role: Role;
}

const INTENT_FROM: Record<RequestIntent, readonly RequestStatus[]> = {
  assign: ["NEW", "ASSIGNED", "EXPIRED"],
  claim: ["NEW", "EXPIRED"],
  release: ["ASSIGNED"],
  action: ["NEW", "ASSIGNED", "EXPIRED"],
  reject: ["NEW", "ASSIGNED", "EXPIRED"],
  reopen: ["ACTIONED", "REJECTED", "RESOLVED_IN_PAS"],
  rematch: ["NEW", "ASSIGNED", "EXPIRED"],
};

const SYSTEM_FROM: Record<SystemEvent, readonly RequestStatus[]> = {
  routed: ["NEW"],
  "resolved-in-pas": ["NEW", "ASSIGNED", "EXPIRED"],
  expired: ["NEW", "ASSIGNED"],
};

export type Refusal = { allowed: false; reason: string };
export type Decision = { allowed: true; to: RequestStatus } | Refusal;

const refuse = (reason: string): Refusal => ({ allowed: false, reason });

/**
 * Whether `actor` may ask for `intent` on a request in `position`, and the status it ends in.
 * Scope (may this person see the request at all) is checked before this, by the caller; this
 * decides the state and the person's part in it. `assigneeId` is the person an assign names.
 */
export function decideIntent(
  position: RequestPosition,
  intent: RequestIntent,
  actor: LifecycleActor,
  options: { assigneeId?: string | null } = {},
): Decision {
  const can = (p: Parameters<typeof hasPermission>[1]) => hasPermission(actor.role, p);
  if (!can("update:request:team")) return refuse("You cannot work requests.");
  if (!INTENT_FROM[intent].includes(position.status)) {
    return refuse(
      `A request that is “${REQUEST_STATUS_LABELS[position.status]}” cannot be ${INTENT_PAST_TENSE[intent]}.`,
    );
  }
  const lead = can("assign:request:team");
  const someoneElses = position.assigneeId !== null && position.assigneeId !== actor.id;
  switch (intent) {
    case "assign":
      if (!lead) return refuse("Only a team lead can assign requests to someone.");
      if (!options.assigneeId) return refuse("Choose who to assign it to.");
      return { allowed: true, to: "ASSIGNED" };
    case "claim":
      if (position.assigneeId !== null) {
        return refuse(
          position.assigneeId === actor.id
            ? "It is already yours."
            : "Someone else is working it; a team lead can reassign it.",
        );
      }
      return { allowed: true, to: "ASSIGNED" };
    case "release":
      if (someoneElses && !lead) return refuse("Only its assignee or a team lead can release it.");
      return { allowed: true, to: "NEW" };
    case "action":
    case "reject":
      if (someoneElses && !lead) {
        return refuse("Someone else is working it; only they or a team lead can close it.");
      }
      return { allowed: true, to: intent === "action" ? "ACTIONED" : "REJECTED" };
    case "reopen":
      return { allowed: true, to: position.assigneeId ? "ASSIGNED" : "NEW" };
    case "rematch":
      if (someoneElses && !lead) {
        return refuse("Someone else is working it; only they or a team lead can change it.");
      }
      return {
        allowed: true,
        to:
          position.status === "EXPIRED"
            ? position.assigneeId
              ? "ASSIGNED"
              : "NEW"
            : position.status,
      };
  }
}

export const INTENT_PAST_TENSE: Record<RequestIntent, string> = {
  assign: "assigned",
  claim: "claimed",
  release: "released",
  action: "marked actioned",
  reject: "rejected",
  reopen: "reopened",
  rematch: "given another appointment",
};

/**
 * Where a system event takes a request, or null when it does not apply in that state (a closed
 * request is never touched by the sync; an EXPIRED request is not flagged twice).
 */
export function decideSystemEvent(
  position: RequestPosition,
  event: SystemEvent,
  options: { assigneeId?: string | null } = {},
): RequestStatus | null {
  if (!SYSTEM_FROM[event].includes(position.status)) return null;
  switch (event) {
    case "routed":
      return options.assigneeId ? "ASSIGNED" : "NEW";
    case "resolved-in-pas":
      return "RESOLVED_IN_PAS";
    case "expired":
      return position.expiredAt ? null : "EXPIRED";
  }
}

/** The intents to offer on the detail page: each allowed one, so the page never shows a dead button. */
export function availableIntents(
  position: RequestPosition,
  actor: LifecycleActor,
): RequestIntent[] {
  return REQUEST_INTENTS.filter(
    (intent) =>
      decideIntent(position, intent, actor, { assigneeId: intent === "assign" ? "someone" : null })
        .allowed,
  );
}
