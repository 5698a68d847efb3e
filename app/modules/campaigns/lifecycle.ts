import type { CampaignState } from "~/generated/prisma/enums.ts";

/**
 * The campaign lifecycle: its states, the events that move a campaign between them, and what the
 * campaign page tells staff to do next. Pure, so pages and tests share it; the one function that
 * applies a transition (and audits it) is `transitionCampaign` in lifecycle.server.ts.
 *
 *   DRAFT ──start-import──▶ IMPORTING ──import-finished──▶ DRAFT
 *   DRAFT | READY ──start-check──▶ CHECKING ──check-finished──▶ READY
 *   READY ──start-generating──▶ GENERATING ──generation-finished──▶ GENERATED
 *   GENERATED ──retry-failed──▶ GENERATING
 *   GENERATED ──reinvite-expired──▶ GENERATING (a new invitation round for expired codes)
 *   CHECKING | GENERATING ──pause──▶ PAUSED ──resume──▶ (where it was)
 *   any but GENERATED/CANCELLED ──cancel──▶ CANCELLED
 */
export const CAMPAIGN_STATES = [
  "DRAFT",
  "IMPORTING",
  "CHECKING",
  "READY",
  "GENERATING",
  "GENERATED",
  "PAUSED",
  "CANCELLED",
] as const satisfies readonly CampaignState[];

export type CampaignEvent =
  | "start-import"
  | "import-finished"
  | "start-check"
  | "check-finished"
  | "start-generating"
  | "generation-finished"
  | "retry-failed"
  | "reinvite-expired"
  | "pause"
  | "resume"
  | "cancel";

const TRANSITIONS: Record<
  Exclude<CampaignEvent, "resume">,
  Partial<Record<CampaignState, CampaignState>>
> = {
  "start-import": { DRAFT: "IMPORTING" },
  "import-finished": { IMPORTING: "DRAFT" },
  "start-check": { DRAFT: "CHECKING", READY: "CHECKING" },
  "check-finished": { CHECKING: "READY" },
  "start-generating": { READY: "GENERATING" },
  "generation-finished": { GENERATING: "GENERATED" },
  "retry-failed": { GENERATED: "GENERATING" },
  "reinvite-expired": { GENERATED: "GENERATING" },
  pause: { CHECKING: "PAUSED", GENERATING: "PAUSED" },
  cancel: {
    DRAFT: "CANCELLED",
    IMPORTING: "CANCELLED",
    CHECKING: "CANCELLED",
    READY: "CANCELLED",
    GENERATING: "CANCELLED",
    PAUSED: "CANCELLED",
  },
};

/** States a paused campaign can return to. */
const PAUSABLE: readonly CampaignState[] = ["CHECKING", "GENERATING"];

export interface CampaignPosition {
  state: CampaignState;
  pausedFrom: CampaignState | null;
}

/** Where `event` takes a campaign in `position`, or null when the event is not allowed there. */
export function nextCampaignState(
  position: CampaignPosition,
  event: CampaignEvent,
): CampaignState | null {
  if (event === "resume") {
    return position.state === "PAUSED" &&
      position.pausedFrom &&
      PAUSABLE.includes(position.pausedFrom)
      ? position.pausedFrom
      : null;
  }
  return TRANSITIONS[event][position.state] ?? null;
}

export function canCampaign(position: CampaignPosition, event: CampaignEvent): boolean {
  return nextCampaignState(position, event) !== null;
}

export const CAMPAIGN_STATE_LABELS: Record<CampaignState, string> = {
  DRAFT: "Draft",
  IMPORTING: "Importing a list",
  CHECKING: "Checking eligibility",
  READY: "Ready to generate",
  GENERATING: "Generating invitations",
  GENERATED: "Invitations generated",
  PAUSED: "Paused",
  CANCELLED: "Cancelled",
};

/** The one sentence the campaign page shows under "What to do next". */
export function nextStepFor(
  position: CampaignPosition,
  recipientCount: number,
  uploadAwaitingColumns = false,
): string {
  switch (position.state) {
    case "DRAFT":
      if (uploadAwaitingColumns) return "Choose the columns of the uploaded list, then import it.";
      return recipientCount === 0
        ? "Upload a patient list."
        : "Upload another list, or check the patients' eligibility with PKB.";
    case "IMPORTING":
      return "Wait for the list to finish importing; this page updates itself.";
    case "CHECKING":
      return "Wait while PKB checks each patient's status; this page updates itself.";
    case "READY":
      return "Review who can be invited, then generate invitation codes.";
    case "GENERATING":
      return "Wait while PKB issues invitation codes; you can pause at any time.";
    case "GENERATED":
      return "Invitation codes are ready for delivery.";
    case "PAUSED":
      return `Resume to carry on ${position.pausedFrom === "CHECKING" ? "checking eligibility" : "generating invitation codes"}.`;
    case "CANCELLED":
      return "This campaign was cancelled; nothing more will happen.";
  }
}
