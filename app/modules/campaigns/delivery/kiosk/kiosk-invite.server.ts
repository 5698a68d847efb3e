import { recordAudit, SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import type { NotifySendOutcome } from "~/modules/notify/outcome.ts";
import { loadNotifySender } from "~/modules/notify/settings.server.ts";
import type { NotifySender } from "~/modules/notify/notify-client.server.ts";
import { loadConnectionCredentials } from "~/modules/pkb/connections.server.ts";
import { seal, unseal } from "~/modules/pkb/secrets.server.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { campaignFacade } from "../../batches/facade-factory.server.ts";
import { KIND_SYSTEMS } from "../../eligibility/eligibility.server.ts";
import { asCallFailure, identifierKey, type CampaignFacade } from "../../pkb-port.ts";
import { TOKEN_MESSAGES } from "../../tokens/tokens.server.ts";
import { joinPkbLink } from "../join-link.ts";
import { deliveryContext, longDate } from "../recipient-content.server.ts";
import { loadTemplates } from "../templates/templates.server.ts";
import { kioskInvitationEmail } from "./kiosk-email.ts";

/**
 * A kiosk patient's invitation, after they gave their e-mail address: tokens from PKB (one
 * identifier), then one e-mail through GOV.UK Notify. Safe to run again at any point:
 *
 * - tokens are stored before anything is sent, so a retry does not ask PKB again;
 * - the dispatch row (unique per recipient, channel and round) is committed as CLAIMED before
 *   the send (H4). A retry that finds it CLAIMED cannot know whether the e-mail left, so it marks
 *   it OUTCOME_UNKNOWN for a person, never sends again;
 * - an e-mail address other patients of the campaign also gave is HELD for a person (H3).
 */

export class KioskInviteRetry extends Error {
  override name = "KioskInviteRetry";
}

export type KioskInviteResult =
  | "sent"
  | "not-issued"
  | "registered"
  | "held"
  | "already-dispatched"
  | "outcome-unknown"
  | "permanent-failure"
  | "no-email";

export interface KioskInviteDeps {
  facade?: CampaignFacade;
  sender?: NotifySender | null;
}

export async function sendKioskInvitation(
  recipientId: string,
  deps: KioskInviteDeps = {},
): Promise<KioskInviteResult> {
  const db = await prisma();
  const recipient = await db.recipient.findUnique({
    where: { id: recipientId },
    select: {
      id: true,
      campaignId: true,
      nationalId: true,
      givenName: true,
      familyName: true,
      email: true,
      state: true,
      registeredAt: true,
      inviteRound: true,
      tokenSealed: true,
      campaign: { select: { identifierKind: true, teamCode: true, pkbConnectionId: true } },
    },
  });
  if (!recipient) return "not-issued";
  if (!recipient.email) return "no-email";
  if (recipient.registeredAt) return "registered";
  if (recipient.state === "NOT_ISSUED") return "not-issued";

  if (!recipient.tokenSealed) {
    const issued = await issueTokens(recipient, deps.facade);
    if (!issued) return "not-issued";
  }

  const dispatch = await claimDispatch(recipient);
  if (dispatch.kind !== "claimed") return dispatch.kind;

  const fresh = await db.recipient.findUniqueOrThrow({
    where: { id: recipient.id },
    select: { tokenSealed: true, codeSealed: true, tokenExpiresAt: true },
  });
  const connection = await loadConnectionCredentials(recipient.campaign.pkbConnectionId);
  const sender = deps.sender === undefined ? await loadNotifySender() : deps.sender;
  if (!connection || !sender || !fresh.tokenSealed || !fresh.codeSealed || !fresh.tokenExpiresAt) {
    await settle(dispatch.id, {
      state: "TEMPORARY_FAILURE",
      reason: !sender
        ? "GOV.UK Notify is not set up: an administrator must add its settings"
        : "The campaign's PKB organisation or the patient's codes are missing",
    });
    throw new KioskInviteRetry("kiosk invitation cannot be sent yet");
  }
  const invitationCode = unseal(fresh.codeSealed, recipient.id);
  const accessCode = unseal(fresh.tokenSealed, recipient.id);
  // The campaign's own e-mail wording, when a person saved one; the kiosk's default otherwise.
  const template = (await loadTemplates(recipient.campaignId)).EMAIL;
  const name = [recipient.givenName, recipient.familyName].filter(Boolean).join(" ");
  const email = kioskInvitationEmail({
    invitationCode,
    accessCode,
    expiry: fresh.tokenExpiresAt,
    template: template.custom ? template : null,
    values: template.custom
      ? {
          name: name || "Patient",
          "given name": recipient.givenName ?? "",
          "family name": recipient.familyName ?? "",
          "expiry date": longDate(fresh.tokenExpiresAt),
          "trust name": (await deliveryContext(recipient.campaignId)).trustName,
        }
      : undefined,
    joinLink: joinPkbLink({
      webBaseUrl: connection.endpoints.webBaseUrl,
      teamCode: recipient.campaign.teamCode,
      invitationCode,
      accessCode,
      email: recipient.email,
    }),
  });
  const outcome = await sender.sendEmail({
    emailAddress: recipient.email,
    // Notify forbids personal data in a reference: the dispatch row's id ties receipts back.
    reference: dispatch.id,
    personalisation: { subject: email.subject, body: email.body },
  });
  return fileOutcome(dispatch.id, outcome);
}

async function issueTokens(
  recipient: {
    id: string;
    campaignId: string;
    nationalId: string;
    campaign: { identifierKind: "NHS" | "CHI" | "HC" };
  },
  facade?: CampaignFacade,
): Promise<boolean> {
  const db = await prisma();
  const identifier = {
    system: KIND_SYSTEMS[recipient.campaign.identifierKind],
    value: recipient.nationalId,
  };
  let answer;
  try {
    answer = await (
      facade ?? (await campaignFacade(recipient.campaignId))
    ).generateInvitationTokens([identifier]);
  } catch (error) {
    const failure = asCallFailure(error);
    if (failure?.outcomeUnknown) {
      // PKB may have issued a pair we never saw: counted, as for list campaigns (ADR 0009).
      await db.recipient.update({
        where: { id: recipient.id },
        data: { tokensIssued: { increment: 1 } },
      });
    }
    throw new KioskInviteRetry("PKB token call failed; retried later");
  }
  const issued = answer.issued.get(identifierKey(identifier));
  const unknownAttempts = answer.meta.outcomeUnknown ? answer.meta.attempts - 1 : 0;
  await db.recipient.update({
    where: { id: recipient.id },
    data: issued
      ? {
          state: "TOKEN_ISSUED",
          tokenSealed: seal(issued.accessToken, recipient.id),
          codeSealed: seal(issued.invitationCode, recipient.id),
          tokenExpiresAt: issued.expiry,
          tokensIssued: { increment: 1 + unknownAttempts },
        }
      : {
          state: "NOT_ISSUED",
          failureReason: TOKEN_MESSAGES.leftOut,
          tokensIssued: { increment: unknownAttempts },
        },
  });
  return Boolean(issued);
}

type Claim =
  | { kind: "claimed"; id: string }
  | { kind: "held" }
  | { kind: "already-dispatched" }
  | { kind: "outcome-unknown" };

async function claimDispatch(recipient: {
  id: string;
  campaignId: string;
  email: string | null;
  inviteRound: number;
}): Promise<Claim> {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const key = {
      recipientId_channel_inviteRound: {
        recipientId: recipient.id,
        channel: "KIOSK" as const,
        inviteRound: recipient.inviteRound,
      },
    };
    const existing = await tx.invitationDispatch.findUnique({ where: key });
    if (existing) {
      if (existing.state === "CLAIMED") {
        // An earlier run claimed it and stopped: the e-mail may have left. A person decides.
        await tx.invitationDispatch.update({
          where: { id: existing.id },
          data: {
            state: "OUTCOME_UNKNOWN",
            reason: "The sending worker stopped after claiming this e-mail; it may have been sent",
          },
        });
        return { kind: "outcome-unknown" };
      }
      if (existing.state !== "TEMPORARY_FAILURE") return { kind: "already-dispatched" };
      await tx.invitationDispatch.update({
        where: { id: existing.id },
        data: { state: "CLAIMED", attempts: { increment: 1 }, claimedAt: now() },
      });
      return { kind: "claimed", id: existing.id };
    }
    const sharing = recipient.email
      ? await tx.recipient.count({
          where: {
            campaignId: recipient.campaignId,
            id: { not: recipient.id },
            email: { equals: recipient.email, mode: "insensitive" },
          },
        })
      : 0;
    const created = await tx.invitationDispatch.create({
      data: {
        campaignId: recipient.campaignId,
        recipientId: recipient.id,
        channel: "KIOSK",
        inviteRound: recipient.inviteRound,
        state: sharing > 0 ? "HELD" : "CLAIMED",
        reason:
          sharing > 0
            ? `This e-mail address was also given for ${sharing} other patient${sharing === 1 ? "" : "s"} of this campaign`
            : null,
        attempts: sharing > 0 ? 0 : 1,
      },
      select: { id: true },
    });
    if (sharing > 0) {
      await recordAudit(tx, {
        actor: SYSTEM_ACTOR,
        action: "dispatch.held",
        entityType: "InvitationDispatch",
        entityId: created.id,
        details: { campaignId: recipient.campaignId, channel: "KIOSK", sharedWith: sharing },
      });
      return { kind: "held" };
    }
    return { kind: "claimed", id: created.id };
  });
}

async function settle(
  dispatchId: string,
  data: {
    state: "SENT" | "PERMANENT_FAILURE" | "TEMPORARY_FAILURE" | "OUTCOME_UNKNOWN";
    reason?: string | null;
    providerRef?: string;
  },
) {
  const db = await prisma();
  await db.invitationDispatch.update({
    where: { id: dispatchId },
    data: { ...data, ...(data.state === "SENT" ? { sentAt: now() } : {}) },
  });
}

async function fileOutcome(
  dispatchId: string,
  outcome: NotifySendOutcome,
): Promise<KioskInviteResult> {
  const log = getLogger();
  switch (outcome.kind) {
    case "sent":
      await settle(dispatchId, { state: "SENT", providerRef: outcome.notifyId, reason: null });
      log.info({ dispatchId }, "kiosk invitation sent");
      return "sent";
    case "permanent-failure":
      await settle(dispatchId, { state: "PERMANENT_FAILURE", reason: outcome.reason });
      return "permanent-failure";
    case "outcome-unknown":
      await settle(dispatchId, { state: "OUTCOME_UNKNOWN", reason: outcome.reason });
      return "outcome-unknown";
    case "temporary-failure":
      await settle(dispatchId, { state: "TEMPORARY_FAILURE", reason: outcome.reason });
      throw new KioskInviteRetry(
        `Notify did not take the e-mail (${outcome.cause}); retried later`,
      );
  }
}
