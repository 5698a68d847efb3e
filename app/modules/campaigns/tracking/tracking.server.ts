import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { BATCH_LIMITS } from "../batches/batch-store.server.ts";
import { KIND_SYSTEMS } from "../eligibility/eligibility.server.ts";
import { identifierKey, type CampaignFacade } from "../pkb-port.ts";

/**
 * Registration tracking (issue 9 §3): invited patients — holding a code, not yet seen registered —
 * are re-checked with $status-query in chunks of at most 5000 (PKB's limit, the same constant the
 * status batches use). Each chunk is filed in one transaction: `registeredAt` is set the first time
 * PKB says registered and never moved afterwards; `trackedAt` marks every patient PKB answered.
 * A failed call leaves the chunk exactly as it was (earlier chunks stay filed) and the run records
 * why; the next run (scheduled, or "Check registrations now") asks again.
 */
export interface TrackingResult {
  runId: string;
  checked: number;
  newlyRegistered: number;
}

/** Recipients a tracking run asks PKB about. */
export const TRACKED_WHERE = {
  state: "TOKEN_ISSUED",
  registeredAt: null,
} as const;

export async function runTracking(
  campaignId: string,
  facade: Pick<CampaignFacade, "statusQuery">,
  options: { chunkSize?: number } = {},
): Promise<TrackingResult> {
  const chunkSize = Math.min(
    options.chunkSize ?? BATCH_LIMITS.STATUS_QUERY,
    BATCH_LIMITS.STATUS_QUERY,
  );
  const db = await prisma();
  const campaign = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { identifierKind: true },
  });
  const system = KIND_SYSTEMS[campaign.identifierKind];
  const run = await db.campaignTrackingRun.create({ data: { campaignId, startedAt: now() } });
  const log = getLogger().child({ campaignId, trackingRunId: run.id });
  let checked = 0;
  let newlyRegistered = 0;
  let after: string | undefined;
  try {
    for (;;) {
      const chunk = await db.recipient.findMany({
        where: { campaignId, ...TRACKED_WHERE, ...(after ? { id: { gt: after } } : {}) },
        select: { id: true, nationalId: true },
        orderBy: { id: "asc" },
        take: chunkSize,
      });
      if (chunk.length === 0) break;
      after = chunk[chunk.length - 1]!.id;
      const answer = await facade.statusQuery(
        chunk.map((recipient) => ({ system, value: recipient.nationalId })),
      );
      const answered: string[] = [];
      const registered: string[] = [];
      for (const recipient of chunk) {
        const status = answer.statuses.get(identifierKey({ system, value: recipient.nationalId }));
        if (!status) continue; // unanswered: asked again next run
        answered.push(recipient.id);
        if (status.registered === true) registered.push(recipient.id);
      }
      const at = now();
      const filed = await db.$transaction(
        async (tx) => {
          await tx.recipient.updateMany({
            where: { id: { in: answered }, campaignId },
            data: { trackedAt: at },
          });
          // First sighting only: a later run never moves the registration date.
          const marked = await tx.recipient.updateMany({
            where: { id: { in: registered }, campaignId, registeredAt: null },
            data: { registeredAt: at },
          });
          await tx.campaignTrackingRun.update({
            where: { id: run.id },
            data: {
              checked: { increment: answered.length },
              registered: { increment: marked.count },
            },
          });
          return marked.count;
        },
        { timeout: 60_000, maxWait: 10_000 },
      );
      checked += answered.length;
      newlyRegistered += filed;
      if (chunk.length < chunkSize) break;
    }
  } catch (error) {
    const detail =
      error instanceof Error && "describe" in error && typeof error.describe === "function"
        ? String(error.describe())
        : "PKB could not be asked; the next run tries again.";
    await db.campaignTrackingRun.update({
      where: { id: run.id },
      data: { finishedAt: now(), error: detail },
    });
    log.warn({ checked, newlyRegistered }, "tracking run stopped early");
    throw error;
  }
  await db.campaignTrackingRun.update({ where: { id: run.id }, data: { finishedAt: now() } });
  log.info({ checked, newlyRegistered }, "tracking run finished");
  return { runId: run.id, checked, newlyRegistered };
}

/** Codes past their expiry whose patient PKB has not seen register: "code expired". */
export function expiredWhere(campaignId: string, at: Date = now()) {
  return {
    campaignId,
    state: "TOKEN_ISSUED" as const,
    registeredAt: null,
    tokenExpiresAt: { lt: at },
  };
}

export async function trackingSummary(campaignId: string) {
  const db = await prisma();
  const at = now();
  const [registered, tracked, expired, lastRun, rounds] = await Promise.all([
    db.recipient.count({ where: { campaignId, registeredAt: { not: null } } }),
    db.recipient.count({ where: { campaignId, ...TRACKED_WHERE } }),
    db.recipient.count({ where: expiredWhere(campaignId, at) }),
    db.campaignTrackingRun.findFirst({
      where: { campaignId },
      orderBy: { startedAt: "desc" },
    }),
    db.recipient.aggregate({ where: { campaignId }, _max: { inviteRound: true } }),
  ]);
  return {
    registered,
    awaitingRegistration: tracked,
    expired,
    latestRound: rounds._max.inviteRound ?? 1,
    lastRun: lastRun
      ? {
          startedAt: lastRun.startedAt,
          finishedAt: lastRun.finishedAt,
          checked: lastRun.checked,
          registered: lastRun.registered,
          error: lastRun.error,
        }
      : null,
  };
}
