import { randomUUID } from "node:crypto";
import type { DeliveryChannel, DispatchState } from "~/generated/prisma/enums.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { now } from "~/platform/clock.ts";
import type { SendChannel } from "./dispatch-store.server.ts";

/**
 * What people do on the Delivery page, each in one transaction with its audit entry: start or
 * resume a wave, decide about an invitation whose outcome is unknown or that is held, and make a
 * file batch (letters for the print house, or texts/e-mails for another sender).
 */

export interface DeliveryActionContext {
  actor: AuditActor;
  clientAddress: string | null;
}

/** A dispatch in a file batch has `providerRef` = this + the batch id (Notify ids have none). */
export const FILE_REF_PREFIX = "file:";

export class DeliveryActionError extends Error {
  override name = "DeliveryActionError";
}

export async function startWave(
  campaignId: string,
  channel: SendChannel,
  context: DeliveryActionContext,
): Promise<{ waveId: string; resumed: boolean }> {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUnique({
      where: { id: campaignId },
      select: { state: true },
    });
    if (!campaign) throw new DeliveryActionError("No such campaign.");
    if (campaign.state !== "GENERATED") {
      throw new DeliveryActionError(
        "Invitations can be sent once the campaign's invitation codes have been generated.",
      );
    }
    const open = await tx.deliveryWave.findFirst({
      where: { campaignId, channel, state: { in: ["RUNNING", "PAUSED"] } },
    });
    let waveId: string;
    let resumed = false;
    if (open) {
      waveId = open.id;
      resumed = open.state === "PAUSED";
      await tx.deliveryWave.update({
        where: { id: open.id },
        data: { state: "RUNNING", pausedReason: null },
      });
    } else {
      waveId = (
        await tx.deliveryWave.create({
          data: { campaignId, channel, startedById: context.actor.id },
        })
      ).id;
    }
    await recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: resumed ? "campaign.delivery-wave-resumed" : "campaign.delivery-wave-started",
      entityType: "Campaign",
      entityId: campaignId,
      details: { channel, waveId },
    });
    return { waveId, resumed };
  });
}

export async function pauseWave(
  campaignId: string,
  waveId: string,
  context: DeliveryActionContext,
): Promise<void> {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const result = await tx.deliveryWave.updateMany({
      where: { id: waveId, campaignId, state: "RUNNING" },
      data: { state: "PAUSED", pausedReason: `Paused by ${context.actor.label}.` },
    });
    if (result.count === 0) throw new DeliveryActionError("That wave is not running.");
    await recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: "campaign.delivery-wave-paused",
      entityType: "Campaign",
      entityId: campaignId,
      details: { waveId },
    });
  });
}

/**
 * A person's decision about one invitation the machine will not touch:
 * - outcome unknown: `mark-sent` (they found it in Notify), `send-again` (they are satisfied it
 *   did not go), `do-not-send`;
 * - held (shared contact): `release` (it is theirs: send in the next wave), `do-not-send`.
 * "Send again" and "release" make it due at once for the next wave.
 */
export type DispatchDecision = "mark-sent" | "send-again" | "release" | "do-not-send";

const DECISION_FROM: Record<DispatchDecision, DispatchState[]> = {
  "mark-sent": ["OUTCOME_UNKNOWN"],
  "send-again": ["OUTCOME_UNKNOWN", "TEMPORARY_FAILURE"],
  release: ["HELD"],
  "do-not-send": ["OUTCOME_UNKNOWN", "HELD", "TEMPORARY_FAILURE"],
};

export async function decideDispatch(
  campaignId: string,
  dispatchId: string,
  decision: DispatchDecision,
  context: DeliveryActionContext,
): Promise<void> {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const dispatch = await tx.invitationDispatch.findFirst({
      where: { id: dispatchId, campaignId },
      select: { state: true, channel: true },
    });
    if (!dispatch) throw new DeliveryActionError("No such invitation in this campaign.");
    const from = DECISION_FROM[decision];
    const by = `by ${context.actor.label}`;
    const data =
      decision === "mark-sent"
        ? { state: "SENT" as const, sentAt: now(), reason: `Marked as sent ${by}.` }
        : decision === "do-not-send"
          ? {
              state: "CANCELLED" as const,
              reason: `Not to be sent: decided ${by}.`,
              notBefore: null,
            }
          : {
              state: "TEMPORARY_FAILURE" as const,
              notBefore: now(),
              reason:
                decision === "release"
                  ? `Released ${by}: will be sent in the next wave.`
                  : `Send again: decided ${by}; will be sent in the next wave.`,
            };
    const result = await tx.invitationDispatch.updateMany({
      where: { id: dispatchId, state: { in: from } },
      data,
    });
    if (result.count === 0) {
      throw new DeliveryActionError(
        `This invitation is now ${dispatch.state.toLowerCase().replace(/_/g, " ")}; nothing was changed.`,
      );
    }
    await recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: "campaign.dispatch-decided",
      entityType: "InvitationDispatch",
      entityId: dispatchId,
      details: { campaignId, decision, from: dispatch.state, channel: dispatch.channel },
    });
  });
}

/**
 * A file batch: every recipient with codes, the contact the channel needs and no dispatch for
 * this round is claimed AND marked SENT in one transaction — the file is produced from exactly
 * these rows, and downloading it again prints the same letters. A shared mobile or e-mail is
 * HELD instead (H3). Letters need a postal address (first line and postcode).
 */
export async function createFileBatch(
  campaignId: string,
  channel: Extract<DeliveryChannel, "LETTER" | "SMS" | "EMAIL">,
  context: DeliveryActionContext,
): Promise<{ batchId: string; count: number; held: number }> {
  const db = await prisma();
  const batchId = randomUUID();
  return db.$transaction(
    async (tx) => {
      const campaign = await tx.campaign.findUnique({
        where: { id: campaignId },
        select: { state: true },
      });
      if (campaign?.state !== "GENERATED") {
        throw new DeliveryActionError(
          "Invitations can be made once the campaign's invitation codes have been generated.",
        );
      }
      const at = now();
      const contact =
        channel === "LETTER"
          ? `r."addressLine1" IS NOT NULL AND r."postcode" IS NOT NULL`
          : `r."${channel === "SMS" ? "mobile" : "email"}" IS NOT NULL`;
      const shared =
        channel === "LETTER"
          ? "0"
          : `(SELECT count(*) FROM "Recipient" o WHERE o."campaignId" = r."campaignId"
               AND o."${channel === "SMS" ? "mobile" : "email"}" = r."${channel === "SMS" ? "mobile" : "email"}"
               AND o."id" <> r."id" AND o."state" <> 'EXCLUDED')`;
      const rows = await tx.$queryRawUnsafe<Array<{ state: DispatchState; n: number }>>(
        `WITH inserted AS (
           INSERT INTO "InvitationDispatch" ("id", "campaignId", "recipientId", "channel",
             "inviteRound", "state", "providerRef", "reason", "attempts", "claimedAt", "sentAt", "updatedAt")
           SELECT gen_random_uuid(), r."campaignId", r."id", $2::"DeliveryChannel", r."inviteRound",
             CASE WHEN x.others > 0 THEN 'HELD'::"DispatchState" ELSE 'SENT'::"DispatchState" END,
             CASE WHEN x.others > 0 THEN NULL ELSE $3 END,
             CASE WHEN x.others > 0 THEN $5 ELSE NULL END,
             1, $4, CASE WHEN x.others > 0 THEN NULL ELSE $4::timestamp END, $4
           FROM "Recipient" r CROSS JOIN LATERAL (SELECT ${shared} AS others) x
           WHERE r."campaignId" = $1::uuid AND r."state" = 'TOKEN_ISSUED' AND ${contact}
             AND r."tokenExpiresAt" > $4
             AND NOT EXISTS (SELECT 1 FROM "InvitationDispatch" d WHERE d."recipientId" = r."id"
               AND d."channel" = $2::"DeliveryChannel" AND d."inviteRound" = r."inviteRound")
           ORDER BY r."sourceRow"
           ON CONFLICT ("recipientId", "channel", "inviteRound") DO NOTHING
           RETURNING "state")
         SELECT "state", count(*)::int AS n FROM inserted GROUP BY "state"`,
        campaignId,
        channel,
        `${FILE_REF_PREFIX}${batchId}`,
        at,
        channel === "SMS"
          ? "Held: this mobile number also belongs to other patients in this campaign. Check it is theirs before sending."
          : "Held: this e-mail address also belongs to other patients in this campaign. Check it is theirs before sending.",
      );
      const count = rows.find((r) => r.state === "SENT")?.n ?? 0;
      const held = rows.find((r) => r.state === "HELD")?.n ?? 0;
      if (count === 0 && held === 0) {
        throw new DeliveryActionError(
          channel === "LETTER"
            ? "There is nobody left to write to: every patient with a code and an address already has a letter."
            : "There is nobody left to include: every patient with a code and a contact already has an invitation.",
        );
      }
      await recordAudit(tx, {
        actor: context.actor,
        clientAddress: context.clientAddress,
        action: "campaign.delivery-file-batch",
        entityType: "Campaign",
        entityId: campaignId,
        details: { channel, batchId, count, held },
      });
      return { batchId, count, held };
    },
    { timeout: 120_000 },
  );
}
