import type { DeliveryChannel, DispatchState } from "~/generated/prisma/enums.ts";
import { prisma } from "~/platform/db.server.ts";
import { now } from "~/platform/clock.ts";

/**
 * The at-most-once record (H4, ADR 0014). A dispatch row is INSERTed in state CLAIMED — committed
 * — before its send leaves the building; the unique key (recipient, channel, round) makes a
 * second claim impossible. Every later move is a guarded UPDATE (`WHERE state = …`), so repeating
 * it changes nothing. A claim nobody finished (the worker died, the send hung) is never sent
 * again by a machine: the sweep turns it into OUTCOME_UNKNOWN for a person.
 */

export type SendChannel = Extract<DeliveryChannel, "SMS" | "EMAIL">;

/** H3's hold reason, written by the claim statement: "…belongs to 2 other patients in…". */
const HELD_PREFIX = {
  mobile: "Held: this mobile number also belongs to ",
  email: "Held: this e-mail address also belongs to ",
};
const HELD_SUFFIX = " in this campaign. Check it is theirs before sending.";

export const DISPATCH_MESSAGES = {
  staleClaim:
    "The sending worker stopped (restart or crash) after claiming this invitation and before recording the answer: the message may have been sent.",
} as const;

export interface ClaimedDispatch {
  id: string;
  recipientId: string;
  inviteRound: number;
  attempts: number;
}

const CONTACT_COLUMN: Record<SendChannel, "mobile" | "email"> = { SMS: "mobile", EMAIL: "email" };

/**
 * Claims the next recipient for a channel: first a temporary failure that is due again, then a
 * recipient with a code pair, a contact for the channel and no dispatch for this round. A
 * recipient whose contact is shared is written HELD instead (returned as null, loop again).
 * `afterRow` is the caller's cursor over `sourceRow`, so a wave is one pass, not n².
 */
export async function claimNext(
  campaignId: string,
  channel: SendChannel,
  afterRow: number,
): Promise<
  | { kind: "claimed"; dispatch: ClaimedDispatch; sourceRow: number | null }
  | { kind: "held"; sourceRow: number }
  | { kind: "none" }
> {
  const db = await prisma();
  const at = now();
  const retried = await db.$queryRaw<ClaimedDispatch[]>`
    UPDATE "InvitationDispatch" SET "state" = 'CLAIMED', "claimedAt" = ${at}, "attempts" = "attempts" + 1,
      "updatedAt" = ${at}
    WHERE "id" = (
      SELECT "id" FROM "InvitationDispatch"
      WHERE "campaignId" = ${campaignId}::uuid AND "channel" = ${channel}::"DeliveryChannel"
        AND "state" = 'TEMPORARY_FAILURE' AND "notBefore" IS NOT NULL AND "notBefore" <= ${at}
      ORDER BY "notBefore" LIMIT 1 FOR UPDATE SKIP LOCKED)
      AND "state" = 'TEMPORARY_FAILURE'
    RETURNING "id", "recipientId", "inviteRound", "attempts"`;
  if (retried[0]) return { kind: "claimed", dispatch: retried[0], sourceRow: null };

  const column = CONTACT_COLUMN[channel];
  // One statement: lock the next candidate (SKIP LOCKED: workers never wait on each other),
  // decide HELD or CLAIMED, insert. ON CONFLICT: a claim from elsewhere already holds the key.
  const rows = await db.$queryRawUnsafe<
    Array<ClaimedDispatch & { state: DispatchState; sourceRow: number }>
  >(
    `WITH candidate AS (
       SELECT r."id", r."inviteRound", r."sourceRow", r."${column}" AS contact
       FROM "Recipient" r
       WHERE r."campaignId" = $1::uuid AND r."state" = 'TOKEN_ISSUED' AND r."sourceRow" > $3
         AND r."${column}" IS NOT NULL AND r."tokenExpiresAt" > $4
         AND NOT EXISTS (SELECT 1 FROM "InvitationDispatch" d
           WHERE d."recipientId" = r."id" AND d."channel" = $2::"DeliveryChannel"
             AND d."inviteRound" = r."inviteRound")
       ORDER BY r."sourceRow" LIMIT 1 FOR UPDATE OF r SKIP LOCKED),
     shared AS (
       SELECT c."id", (SELECT count(*) FROM "Recipient" o
         WHERE o."campaignId" = $1::uuid AND o."${column}" = c.contact AND o."id" <> c."id"
           AND o."state" <> 'EXCLUDED')::int AS others
       FROM candidate c)
     INSERT INTO "InvitationDispatch" ("id", "campaignId", "recipientId", "channel", "inviteRound",
       "state", "reason", "attempts", "claimedAt", "updatedAt")
     SELECT gen_random_uuid(), $1::uuid, c."id", $2::"DeliveryChannel", c."inviteRound",
       CASE WHEN s.others > 0 THEN 'HELD'::"DispatchState" ELSE 'CLAIMED'::"DispatchState" END,
       CASE WHEN s.others > 0 THEN $5 || s.others::text
         || CASE WHEN s.others = 1 THEN ' other patient' ELSE ' other patients' END || $6
         ELSE NULL END,
       CASE WHEN s.others > 0 THEN 0 ELSE 1 END, $4, $4
     FROM candidate c JOIN shared s ON s."id" = c."id"
     ON CONFLICT ("recipientId", "channel", "inviteRound") DO NOTHING
     RETURNING "id", "recipientId", "inviteRound", "attempts", "state",
       (SELECT "sourceRow" FROM candidate) AS "sourceRow"`,
    campaignId,
    channel,
    afterRow,
    at,
    channel === "SMS" ? HELD_PREFIX.mobile : HELD_PREFIX.email,
    HELD_SUFFIX,
  );
  const row = rows[0];
  if (!row) {
    // Either nothing is left after the cursor, or another claim won the key: the caller decides.
    return { kind: "none" };
  }
  if (row.state === "HELD") {
    return { kind: "held", sourceRow: row.sourceRow };
  }
  return {
    kind: "claimed",
    dispatch: {
      id: row.id,
      recipientId: row.recipientId,
      inviteRound: row.inviteRound,
      attempts: row.attempts,
    },
    sourceRow: row.sourceRow,
  };
}

/** CLAIMED → another state, only if still CLAIMED (a person or sweep may have moved it). */
export async function settleClaim(
  dispatchId: string,
  state: Exclude<DispatchState, "CLAIMED" | "HELD">,
  data: { reason?: string | null; providerRef?: string | null; notBefore?: Date | null } = {},
): Promise<boolean> {
  const db = await prisma();
  const at = now();
  const result = await db.invitationDispatch.updateMany({
    where: { id: dispatchId, state: "CLAIMED" },
    data: {
      state,
      reason: data.reason ?? null,
      ...(data.providerRef !== undefined ? { providerRef: data.providerRef } : {}),
      notBefore: data.notBefore ?? null,
      ...(state === "SENT" ? { sentAt: at } : {}),
    },
  });
  return result.count === 1;
}

/**
 * Claims left CLAIMED longer than `staleMs` become OUTCOME_UNKNOWN: their worker died between
 * claim and record, so the send may have left. Never resent by a machine.
 */
export async function sweepStaleClaims(
  campaignId: string,
  channel: DeliveryChannel,
  staleMs: number,
): Promise<number> {
  const db = await prisma();
  const result = await db.invitationDispatch.updateMany({
    where: {
      campaignId,
      channel,
      state: "CLAIMED",
      claimedAt: { lt: new Date(now().getTime() - staleMs) },
    },
    data: { state: "OUTCOME_UNKNOWN", reason: DISPATCH_MESSAGES.staleClaim },
  });
  return result.count;
}
