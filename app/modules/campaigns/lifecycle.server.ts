import type { Prisma } from "~/generated/prisma/client.ts";
import type { CampaignState } from "~/generated/prisma/enums.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { CAMPAIGN_STATE_LABELS, nextCampaignState, type CampaignEvent } from "./lifecycle.ts";

export class CampaignTransitionError extends Error {
  override name = "CampaignTransitionError";
}

export interface TransitionContext {
  actor: AuditActor;
  clientAddress?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

/**
 * The one way a campaign changes state. Locks the row, checks the transition is allowed from
 * where the campaign is now, moves it and writes the audit row — all in the caller's transaction,
 * so two workers finishing at once cannot both move it, and a rolled-back change leaves no trace.
 */
export async function transitionCampaign(
  tx: Prisma.TransactionClient,
  campaignId: string,
  event: CampaignEvent,
  context: TransitionContext,
): Promise<{ from: CampaignState; to: CampaignState }> {
  const rows = await tx.$queryRaw<
    Array<{ state: CampaignState; pausedFrom: CampaignState | null }>
  >`
    SELECT "state"::text AS "state", "pausedFrom"::text AS "pausedFrom"
    FROM "Campaign" WHERE "id" = ${campaignId}::uuid FOR UPDATE`;
  const current = rows[0];
  if (!current) throw new CampaignTransitionError("That campaign does not exist.");
  const to = nextCampaignState(current, event);
  if (!to) {
    throw new CampaignTransitionError(
      `A campaign that is “${CAMPAIGN_STATE_LABELS[current.state]}” cannot ${describe(event)}.`,
    );
  }
  await tx.campaign.update({
    where: { id: campaignId },
    data: {
      state: to,
      pausedFrom: event === "pause" ? current.state : null,
    },
  });
  await recordAudit(tx, {
    actor: context.actor,
    action: `campaign.${event}`,
    entityType: "Campaign",
    entityId: campaignId,
    clientAddress: context.clientAddress ?? null,
    details: { from: current.state, to, ...context.details },
  });
  return { from: current.state, to };
}

/** Moves the campaign only if it is in `when`; for jobs that finish work a user may have paused. */
export async function transitionCampaignIf(
  tx: Prisma.TransactionClient,
  campaignId: string,
  when: CampaignState,
  event: CampaignEvent,
  context: TransitionContext,
): Promise<boolean> {
  // Locked first, so two workers finishing at once see each other's move, not a stale state.
  const rows = await tx.$queryRaw<Array<{ state: CampaignState }>>`
    SELECT "state"::text AS "state" FROM "Campaign" WHERE "id" = ${campaignId}::uuid FOR UPDATE`;
  if (rows[0]?.state !== when) return false;
  await transitionCampaign(tx, campaignId, event, context);
  return true;
}

function describe(event: CampaignEvent): string {
  switch (event) {
    case "start-import":
      return "take a new list";
    case "import-finished":
      return "finish an import";
    case "start-check":
      return "start an eligibility check";
    case "check-finished":
      return "finish an eligibility check";
    case "start-generating":
      return "start generating invitation codes";
    case "generation-finished":
      return "finish generating invitation codes";
    case "retry-failed":
      return "retry failed batches";
    case "reinvite-expired":
      return "re-invite patients whose codes expired";
    case "pause":
      return "be paused";
    case "resume":
      return "be resumed";
    case "cancel":
      return "be cancelled";
  }
}
