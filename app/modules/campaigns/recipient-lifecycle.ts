import type { BatchState, RecipientState } from "~/generated/prisma/enums.ts";

/**
 * The recipient and batch lifecycles (docs/decisions/0009). Every recipient is in exactly one
 * state; every move names the states it may start from, and the SQL that applies it
 * (recipient-lifecycle.server.ts) refuses rows in any other state — so a retried or duplicated
 * job that tries a move twice changes nothing the second time.
 */
export const RECIPIENT_EVENTS = {
  /** import: conflicting duplicate, or a contact shared by several patients (H3) */
  flag: { from: ["IMPORTED"], to: "NEEDS_REVIEW" },
  /** a person checked a flagged patient and keeps them */
  release: { from: ["NEEDS_REVIEW"], to: "IMPORTED" },
  /** a person checked a flagged patient and leaves them out */
  exclude: { from: ["NEEDS_REVIEW"], to: "EXCLUDED" },
  /** status-query said eligible (re-checkable until a token batch takes them) */
  "checked-eligible": { from: ["IMPORTED", "ELIGIBLE", "INELIGIBLE"], to: "ELIGIBLE" },
  "checked-ineligible": { from: ["IMPORTED", "ELIGIBLE", "INELIGIBLE"], to: "INELIGIBLE" },
  /** put into a token batch (a durable row, before any call to PKB) */
  batch: { from: ["ELIGIBLE"], to: "BATCHED" },
  /** PKB returned a token for this identifier and it is stored */
  "token-stored": { from: ["BATCHED"], to: "TOKEN_ISSUED" },
  /** PKB left this identifier out of its answer: not eligible any more */
  "left-out": { from: ["BATCHED"], to: "NOT_ISSUED" },
  /** PKB refused this identifier on its own (a one-identifier batch still got 400) */
  refused: { from: ["BATCHED"], to: "FAILED" },
  /** staff asked to retry failed patients */
  retry: { from: ["FAILED"], to: "BATCHED" },
  /**
   * "re-invite expired": their code expired unused and PKB has not seen them register; the old
   * pair is cleared and they queue for a new round's code (inviteRound + 1)
   */
  reinvite: { from: ["TOKEN_ISSUED"], to: "ELIGIBLE" },
  /** the campaign was cancelled while their batch waited: back to eligible, no code */
  "batch-cancelled": { from: ["BATCHED"], to: "ELIGIBLE" },
} as const satisfies Record<string, { from: readonly RecipientState[]; to: RecipientState }>;

export type RecipientEvent = keyof typeof RECIPIENT_EVENTS;

export const RECIPIENT_STATE_LABELS: Record<RecipientState, string> = {
  IMPORTED: "Imported, not checked yet",
  NEEDS_REVIEW: "Needs a person to review",
  EXCLUDED: "Left out after review",
  ELIGIBLE: "Can be invited",
  INELIGIBLE: "Cannot be invited",
  BATCHED: "Invitation code being generated",
  TOKEN_ISSUED: "Invitation code ready",
  NOT_ISSUED: "PKB issued no code",
  FAILED: "PKB refused the number",
};

/** States a recipient never leaves by itself (the campaign is finished for them). */
export const FINAL_RECIPIENT_STATES: readonly RecipientState[] = [
  "EXCLUDED",
  "INELIGIBLE",
  "TOKEN_ISSUED",
  "NOT_ISSUED",
];

export const BATCH_EVENTS = {
  /** a worker takes a due batch, or one whose lease ran out (its worker died) */
  lease: { from: ["PENDING", "LEASED"], to: "LEASED" },
  /** a retryable failure (429, 5xx, timeout, outcome unknown): back to the queue, later */
  release: { from: ["LEASED"], to: "PENDING" },
  /** every identifier's result is stored */
  complete: { from: ["LEASED"], to: "DONE" },
  /** a whole-batch 400: its recipients move to two halves */
  split: { from: ["LEASED"], to: "SPLIT" },
  /** a one-identifier batch refused, or retries exhausted */
  fail: { from: ["LEASED"], to: "FAILED" },
  /** staff asked to retry */
  retry: { from: ["FAILED"], to: "PENDING" },
  /**
   * the campaign was cancelled: a batch waiting its (next) turn, or one whose worker died holding
   * it, is never sent. A batch a live worker holds is left to finish (PKB may be answering now).
   */
  cancel: { from: ["PENDING", "LEASED"], to: "CANCELLED" },
} as const satisfies Record<string, { from: readonly BatchState[]; to: BatchState }>;

export type BatchEvent = keyof typeof BATCH_EVENTS;

export function canRecipient(state: RecipientState, event: RecipientEvent): boolean {
  return (RECIPIENT_EVENTS[event].from as readonly RecipientState[]).includes(state);
}

export function canBatch(state: BatchState, event: BatchEvent): boolean {
  return (BATCH_EVENTS[event].from as readonly BatchState[]).includes(state);
}
