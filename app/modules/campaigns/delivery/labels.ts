import type { DispatchState } from "~/generated/prisma/enums.ts";

/** Words for the Delivery page (shared with the browser bundle: no server imports). */
export const CHANNEL_LABELS = {
  LETTER: "Letter",
  SMS: "Text message",
  EMAIL: "E-mail",
  KIOSK: "Kiosk e-mail",
} as const;

export const STATE_LABELS: Record<DispatchState, string> = {
  CLAIMED: "Sending now",
  SENT: "Sent",
  DELIVERED: "Delivered",
  PERMANENT_FAILURE: "Failed for good",
  TEMPORARY_FAILURE: "Will try again",
  OUTCOME_UNKNOWN: "Check before resending",
  HELD: "Held for review",
  CANCELLED: "Not sent",
};

/** The channels and states the Delivery page counts (here, not in overview.server.ts: the page's
 * component uses them, and a server module must not reach the browser bundle). */
export const CHANNELS = ["LETTER", "SMS", "EMAIL"] as const;
/** The rows of "Invitations by channel": the file channels and the kiosk's e-mails, which are
 * sent from the kiosk rather than from this page but are invitations all the same. */
export const COUNTED_CHANNELS = [...CHANNELS, "KIOSK"] as const;
export const STATES: DispatchState[] = [
  "CLAIMED",
  "SENT",
  "DELIVERED",
  "PERMANENT_FAILURE",
  "TEMPORARY_FAILURE",
  "OUTCOME_UNKNOWN",
  "HELD",
  "CANCELLED",
];
