import type { IdentifierKind } from "~/generated/prisma/enums.ts";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { isValidNationalId, type NationalIdKind } from "~/modules/pkb/identifiers.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { enqueue } from "~/platform/jobs/enqueue.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { campaignFacade } from "../../batches/facade-factory.server.ts";
import type { ActionContext } from "../../campaigns.server.ts";
import { bucketFor } from "../../eligibility/bucket.ts";
import { KIND_SYSTEMS } from "../../eligibility/eligibility.server.ts";
import { identifierKey } from "../../pkb-port.ts";
import { kioskInviteJob } from "./kiosk-invite.job.server.ts";

/**
 * The check-in kiosk (issue 9, ADR 0020): a patient gives their NHS number and date of birth, PKB's
 * status-query says whether they can be invited, the patient types an e-mail address, and a job
 * generates their tokens and e-mails the invitation. The kiosk shows nothing PKB knows about the
 * patient: a number and date that do not match, a deceased patient, a record the trust cannot see
 * all get the same "ask at reception" answer, so the kiosk cannot be used to learn about anyone.
 */

/** How long a patient has between the two steps (the visit is then useless). */
export const KIOSK_VISIT_MS = 5 * 60 * 1000;
/** Non-matching attempts one kiosk may make in the window before it asks patients to see staff. */
export const KIOSK_PROBE_LIMIT = 8;
export const KIOSK_PROBE_WINDOW_MS = 10 * 60 * 1000;

const KIND_NAMES: Record<IdentifierKind, NationalIdKind> = { NHS: "nhs", CHI: "chi", HC: "hc" };

export type IdentifyResult =
  | { kind: "eligible"; visitId: string }
  | { kind: "no-match" }
  | { kind: "already-registered" }
  | { kind: "under-16" }
  | { kind: "already-invited" }
  | { kind: "too-many-attempts" }
  /** PKB could not be asked, or the campaign is paused: nothing was stored */
  | { kind: "unavailable" };

export type FieldProblem = { field: string; message: string };

/** Campaigns a kiosk can serve: KIOSK-channel campaigns that are not cancelled. */
export async function kioskCampaigns() {
  const db = await prisma();
  return db.campaign.findMany({
    where: { channel: "KIOSK", state: { not: "CANCELLED" } },
    orderBy: { name: "asc" },
    select: { id: true, name: true, state: true },
  });
}

export async function kioskCampaign(campaignId: string) {
  const db = await prisma();
  return db.campaign.findFirst({
    where: { id: campaignId, channel: "KIOSK", state: { not: "CANCELLED" } },
    select: { id: true, name: true, state: true, identifierKind: true },
  });
}

/** The number's check digit and a real, past date of birth; field-named problems otherwise. */
export function checkIdentity(
  kind: IdentifierKind,
  input: { nationalId: string; dobDay: number; dobMonth: number; dobYear: number },
  at: Date,
): { problems: FieldProblem[]; dateOfBirth: string } {
  const problems: FieldProblem[] = [];
  if (!isValidNationalId(KIND_NAMES[kind], input.nationalId)) {
    problems.push({
      field: "nationalId",
      message: "That is not a valid NHS number. Check the 10 digits on your letter or NHS App",
    });
  }
  const date = new Date(Date.UTC(input.dobYear, input.dobMonth - 1, input.dobDay));
  const real =
    date.getUTCFullYear() === input.dobYear &&
    date.getUTCMonth() === input.dobMonth - 1 &&
    date.getUTCDate() === input.dobDay;
  if (!real) {
    problems.push({ field: "dobDay", message: "Enter a real date of birth" });
  } else if (date.getTime() > at.getTime()) {
    problems.push({ field: "dobYear", message: "Your date of birth must be in the past" });
  }
  return { problems, dateOfBirth: real ? date.toISOString().slice(0, 10) : "" };
}

/**
 * Step 1. Asks PKB about the patient and records the visit. Only an eligible, matching patient
 * is written as a recipient of the campaign (or refreshed if already on its list).
 */
export async function identifyPatient(
  input: { campaignId: string; sessionId: string; nationalId: string; dateOfBirth: string },
  context: ActionContext,
): Promise<IdentifyResult> {
  const db = await prisma();
  const campaign = await kioskCampaign(input.campaignId);
  if (!campaign || campaign.state === "PAUSED") return { kind: "unavailable" };

  const at = now();
  const recentMisses = await db.kioskVisit.count({
    where: {
      sessionId: input.sessionId,
      outcome: "NO_MATCH",
      createdAt: { gt: new Date(at.getTime() - KIOSK_PROBE_WINDOW_MS) },
    },
  });
  if (recentMisses >= KIOSK_PROBE_LIMIT) return { kind: "too-many-attempts" };

  const identifier = { system: KIND_SYSTEMS[campaign.identifierKind], value: input.nationalId };
  let answer;
  try {
    const facade = await campaignFacade(campaign.id);
    const result = await facade.statusQuery([identifier]);
    answer = result.statuses.get(identifierKey(identifier));
  } catch (error) {
    getLogger().warn(
      { campaignId: campaign.id, err: error instanceof Error ? error.name : "unknown" },
      "kiosk: PKB status-query failed; nothing stored",
    );
    return { kind: "unavailable" };
  }

  const bucket = answer ? bucketFor(answer, at) : "NOT_FOUND";
  // A date of birth that differs from PKB's is a non-match whatever else PKB said: the kiosk must
  // not confirm that a number belongs to a registered, deceased or young patient.
  const dateMatches = answer?.dateOfBirth === input.dateOfBirth;
  const outcome =
    !dateMatches || bucket === "NOT_FOUND" || bucket === "NO_ACCESS" || bucket === "DECEASED"
      ? "NO_MATCH"
      : bucket === "ALREADY_REGISTERED"
        ? "ALREADY_REGISTERED"
        : bucket === "UNDER_16"
          ? "UNDER_16"
          : bucket === "NO_DATE_OF_BIRTH"
            ? "NO_MATCH"
            : "ELIGIBLE";

  return db.$transaction(async (tx) => {
    let recipientId: string | null = null;
    let finalOutcome: typeof outcome | "ALREADY_INVITED" = outcome;
    if (outcome === "ELIGIBLE") {
      const existing = await tx.recipient.findUnique({
        where: {
          campaignId_nationalId: { campaignId: campaign.id, nationalId: input.nationalId },
        },
        select: { id: true, inviteRound: true, dispatches: { select: { inviteRound: true } } },
      });
      if (existing?.dispatches.some((d) => d.inviteRound === existing.inviteRound)) {
        finalOutcome = "ALREADY_INVITED";
        recipientId = existing.id;
      } else if (existing) {
        await tx.recipient.update({
          where: { id: existing.id },
          data: {
            state: "ELIGIBLE",
            bucket: "ELIGIBLE",
            dateOfBirth: new Date(`${input.dateOfBirth}T00:00:00Z`),
            checkedAt: at,
          },
        });
        recipientId = existing.id;
      } else {
        const created = await tx.recipient.create({
          data: {
            campaignId: campaign.id,
            nationalId: input.nationalId,
            dateOfBirth: new Date(`${input.dateOfBirth}T00:00:00Z`),
            // 0: added at a kiosk, not from a row of an uploaded list
            sourceRow: 0,
            state: "ELIGIBLE",
            bucket: "ELIGIBLE",
            checkedAt: at,
          },
          select: { id: true },
        });
        recipientId = created.id;
      }
    }
    const visit = await tx.kioskVisit.create({
      data: {
        campaignId: campaign.id,
        sessionId: input.sessionId,
        outcome: finalOutcome,
        recipientId,
        expiresAt: new Date(at.getTime() + KIOSK_VISIT_MS),
      },
      select: { id: true },
    });
    await recordAudit(tx, {
      actor: context.actor,
      action: "kiosk.identify",
      entityType: "KioskVisit",
      entityId: visit.id,
      clientAddress: context.clientAddress,
      details: { campaignId: campaign.id, outcome: finalOutcome, recipientId },
    });
    switch (finalOutcome) {
      case "ELIGIBLE":
        return { kind: "eligible", visitId: visit.id };
      case "NO_MATCH":
        return { kind: "no-match" };
      case "ALREADY_REGISTERED":
        return { kind: "already-registered" };
      case "UNDER_16":
        return { kind: "under-16" };
      case "ALREADY_INVITED":
        return { kind: "already-invited" };
    }
  });
}

export type EmailResult = { kind: "queued" } | { kind: "visit-expired" };

/**
 * Step 2. Stores the e-mail address on the recipient and queues the invitation (tokens, then the
 * e-mail). The visit must belong to this kiosk's session, be eligible, unexpired and unused.
 */
export async function giveEmail(
  input: { campaignId: string; sessionId: string; visitId: string; email: string },
  context: ActionContext,
): Promise<EmailResult> {
  const db = await prisma();
  const at = now();
  const recipientId = await db.$transaction(async (tx) => {
    // Marking the visit used in the same statement that checks it: a double tap cannot queue twice.
    const claimed = await tx.kioskVisit.updateMany({
      where: {
        id: input.visitId,
        campaignId: input.campaignId,
        sessionId: input.sessionId,
        outcome: "ELIGIBLE",
        completedAt: null,
        expiresAt: { gt: at },
        recipientId: { not: null },
      },
      data: { completedAt: at },
    });
    if (claimed.count !== 1) return null;
    const visit = await tx.kioskVisit.findUniqueOrThrow({
      where: { id: input.visitId },
      select: { recipientId: true },
    });
    const id = visit.recipientId!;
    await tx.recipient.update({ where: { id }, data: { email: input.email } });
    await recordAudit(tx, {
      actor: context.actor,
      action: "kiosk.email-given",
      entityType: "Recipient",
      entityId: id,
      clientAddress: context.clientAddress,
      details: { campaignId: input.campaignId, visitId: input.visitId },
    });
    return id;
  });
  if (!recipientId) return { kind: "visit-expired" };
  await enqueue(kioskInviteJob, { recipientId }, { singletonKey: `kiosk-invite:${recipientId}` });
  return { kind: "queued" };
}
