import type { Prisma } from "~/generated/prisma/client.ts";
import type { EligibilityBucket, RecipientState } from "~/generated/prisma/enums.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { cancelWaitingBatches } from "./batches/cancel-batches.server.ts";
import type { CampaignInput } from "./campaign-forms.ts";
import { guessMapping, presetFits, type ColumnMapping } from "./import/fields.ts";
import { transitionCampaign, type TransitionContext } from "./lifecycle.server.ts";
import { nextStepFor } from "./lifecycle.ts";

/**
 * Campaigns as staff see them. Campaigns belong to the trust, not to a team, so every campaign
 * manager sees every campaign (access is by the read:campaign / manage:campaign permissions).
 */
export interface ActionContext {
  actor: AuditActor;
  clientAddress: string | null;
}

export class CampaignError extends Error {
  override name = "CampaignError";
}

export async function createCampaign(input: CampaignInput, context: ActionContext) {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const connection = await tx.pkbConnection.findUnique({
      where: { id: input.pkbConnectionId },
      select: { id: true },
    });
    if (!connection) throw new CampaignError("Choose the PKB organisation");
    const campaign = await tx.campaign.create({
      data: { ...input, createdById: context.actor.id },
    });
    await recordAudit(tx, {
      actor: context.actor,
      action: "campaign.create",
      entityType: "Campaign",
      entityId: campaign.id,
      clientAddress: context.clientAddress,
      details: {
        channel: input.channel,
        identifierKind: input.identifierKind,
        concurrency: campaign.concurrency,
      },
    });
    return campaign;
  });
}

export async function listCampaigns() {
  const db = await prisma();
  const campaigns = await db.campaign.findMany({
    orderBy: { createdAt: "desc" },
    take: 200,
    select: {
      id: true,
      name: true,
      state: true,
      pausedFrom: true,
      channel: true,
      identifierKind: true,
      createdAt: true,
      _count: { select: { recipients: true } },
    },
  });
  return campaigns.map(({ _count, ...campaign }) => ({
    ...campaign,
    recipients: _count.recipients,
  }));
}

/** Everything the campaign page shows, in one call. */
export async function campaignPage(campaignId: string, userId: string) {
  const db = await prisma();
  const campaign = await db.campaign.findUnique({ where: { id: campaignId } });
  if (!campaign) return null;
  const [byState, byBucket, imports, presets, batches] = await Promise.all([
    db.recipient.groupBy({ by: ["state"], where: { campaignId }, _count: { _all: true } }),
    db.recipient.groupBy({
      by: ["bucket"],
      where: { campaignId, bucket: { not: null } },
      _count: { _all: true },
    }),
    db.campaignImport.findMany({
      where: { campaignId },
      orderBy: { createdAt: "desc" },
      take: 20,
      select: {
        id: true,
        originalFileName: true,
        byteSize: true,
        encoding: true,
        delimiter: true,
        headers: true,
        mapping: true,
        state: true,
        rowsRead: true,
        rowsAccepted: true,
        rowsRejected: true,
        duplicatesCollapsed: true,
        rowsFlagged: true,
        failureMessage: true,
        createdAt: true,
        startedAt: true,
        finishedAt: true,
      },
    }),
    db.importColumnPreset.findMany({ where: { userId }, orderBy: { updatedAt: "desc" } }),
    db.campaignBatch.groupBy({
      by: ["operation", "state"],
      where: { campaignId },
      _count: { _all: true },
      _sum: { size: true },
      _min: { createdAt: true },
    }),
  ]);
  const states = Object.fromEntries(byState.map((row) => [row.state, row._count._all])) as Partial<
    Record<RecipientState, number>
  >;
  const buckets = Object.fromEntries(
    byBucket.map((row) => [row.bucket, row._count._all]),
  ) as Partial<Record<EligibilityBucket, number>>;
  const recipientCount = byState.reduce((sum, row) => sum + row._count._all, 0);
  const awaitingMapping = imports.find((item) => item.state === "UPLOADED") ?? null;
  const suggestedMapping = awaitingMapping
    ? suggestMapping(
        awaitingMapping.headers,
        presets.map((preset) => preset.mapping as ColumnMapping),
      )
    : null;
  return {
    campaign,
    recipientCount,
    states,
    buckets,
    batches: batches.map((row) => ({
      operation: row.operation,
      state: row.state,
      count: row._count._all,
      identifiers: row._sum.size ?? 0,
      firstCreatedAt: row._min.createdAt,
    })),
    imports,
    awaitingMapping,
    suggestedMapping,
    presets: presets.map((preset) => ({
      id: preset.id,
      name: preset.name,
      mapping: preset.mapping as ColumnMapping,
    })),
    nextStep: nextStepFor(campaign, recipientCount, awaitingMapping !== null),
  };
}

/** A remembered mapping that fits the headers wins over the guess from header names. */
function suggestMapping(headers: string[], presets: ColumnMapping[]): ColumnMapping {
  return presets.find((preset) => presetFits(preset, headers)) ?? guessMapping(headers);
}

export async function changeCampaignState(
  campaignId: string,
  event: "pause" | "resume" | "cancel",
  context: ActionContext,
) {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    await transitionCampaign(tx, campaignId, event, contextOf(context));
    if (event === "cancel") await cancelWaitingBatches(tx, campaignId);
  });
}

/**
 * Changes how many PKB calls the campaign keeps in flight; audited. Returns the value it had, so
 * a running step can start the extra drivers (run.server.ts). A cancelled campaign keeps its own.
 */
export async function setCampaignConcurrency(
  campaignId: string,
  concurrency: number,
  context: ActionContext,
) {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const [campaign] = await tx.$queryRaw<Array<{ state: string; concurrency: number }>>`
      SELECT "state"::text AS "state", "concurrency" FROM "Campaign"
      WHERE "id" = ${campaignId}::uuid FOR UPDATE`;
    if (!campaign) throw new CampaignError("This campaign no longer exists.");
    if (campaign.state === "CANCELLED") {
      throw new CampaignError("This campaign was cancelled; its speed can no longer change.");
    }
    if (campaign.concurrency === concurrency) return campaign;
    await tx.campaign.update({ where: { id: campaignId }, data: { concurrency } });
    await recordAudit(tx, {
      actor: context.actor,
      action: "campaign.concurrency",
      entityType: "Campaign",
      entityId: campaignId,
      clientAddress: context.clientAddress,
      details: { from: campaign.concurrency, to: concurrency },
    });
    return campaign;
  });
}

export function contextOf(context: ActionContext): TransitionContext {
  return { actor: context.actor, clientAddress: context.clientAddress };
}

export async function savePreset(
  tx: Prisma.TransactionClient,
  userId: string,
  name: string,
  mapping: ColumnMapping,
) {
  await tx.importColumnPreset.upsert({
    where: { userId_name: { userId, name } },
    create: { userId, name, mapping },
    update: { mapping },
  });
}
