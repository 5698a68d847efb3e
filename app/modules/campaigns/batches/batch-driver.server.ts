import type { BatchOperation } from "~/generated/prisma/enums.ts";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { processStatusBatch, splitOrFailStatusBatch } from "../eligibility/eligibility.server.ts";
import { transitionCampaignIf } from "../lifecycle.server.ts";
import { asCallFailure, type CampaignFacade } from "../pkb-port.ts";
import {
  giveUpTokenBatch,
  processTokenBatch,
  splitOrFailTokenBatch,
} from "../tokens/tokens.server.ts";
import {
  failBatch,
  leaseNextBatch,
  releaseBatch,
  retryDelayMs,
  unfinishedBatches,
  type LeasedBatch,
} from "./batch-store.server.ts";

export interface DriverOptions {
  /** How long a lease lasts; a worker killed mid-batch delays that batch by at most this. */
  leaseMs?: number;
  /** Calls per batch before it is given up (the PKB client retries inside each call too). */
  maxAttempts?: number;
  /** Longest idle wait between looks for due batches. */
  pollMs?: number;
  signal?: AbortSignal;
}

const STATE_FOR: Record<BatchOperation, "CHECKING" | "GENERATING"> = {
  STATUS_QUERY: "CHECKING",
  GENERATE_TOKENS: "GENERATING",
};

/**
 * One worker's loop over a campaign's batches of one operation: lease a due batch, call PKB, file
 * the answer; until no batch is left (then the campaign moves on) or the campaign is paused or
 * cancelled. Several drivers (the campaign's concurrency, across processes) run side by side;
 * leases keep them off each other's batches.
 */
export async function runBatchDriver(
  campaignId: string,
  operation: BatchOperation,
  facade: CampaignFacade,
  options: DriverOptions = {},
): Promise<void> {
  const { leaseMs = 60_000, maxAttempts = 8, pollMs = 500, signal } = options;
  const db = await prisma();
  const log = getLogger().child({ campaignId, operation });
  for (;;) {
    if (signal?.aborted) return;
    const campaign = await db.campaign.findUnique({
      where: { id: campaignId },
      select: { state: true, identifierKind: true },
    });
    if (campaign?.state !== STATE_FOR[operation]) return;
    const batch = await leaseNextBatch(db, campaignId, operation, leaseMs);
    if (!batch) {
      if ((await unfinishedBatches(db, campaignId, operation)) === 0) {
        await finishIfDone(campaignId, operation);
        return;
      }
      await sleep(pollMs, signal);
      continue;
    }
    await runOne(batch, campaign.identifierKind, facade, maxAttempts, log);
  }
}

async function runOne(
  batch: LeasedBatch,
  kind: Parameters<typeof processTokenBatch>[1],
  facade: CampaignFacade,
  maxAttempts: number,
  log: ReturnType<typeof getLogger>,
) {
  const db = await prisma();
  try {
    if (batch.operation === "GENERATE_TOKENS") await processTokenBatch(batch, kind, facade);
    else {
      const result = await processStatusBatch(batch, kind, facade);
      if (result === "partial") {
        await db.$transaction((tx) =>
          releaseBatch(
            tx,
            batch,
            retryDelayMs(batch.attempts),
            "PKB left some patients unanswered",
            0,
          ),
        );
      }
    }
  } catch (error) {
    const failure = asCallFailure(error);
    if (!failure) throw error;
    const detail = error instanceof Error ? error.message : "PKB call failed";
    log.warn(
      {
        batchId: batch.id,
        status: failure.status,
        outcomeUnknown: failure.outcomeUnknown,
        attempts: batch.attempts,
      },
      "PKB batch call failed",
    );
    if (failure.retryable && batch.attempts < maxAttempts) {
      await db.$transaction((tx) =>
        releaseBatch(
          tx,
          batch,
          retryDelayMs(batch.attempts, failure.retryAfterMs),
          detail,
          // Any attempt of the call may have reached PKB when its outcome is unknown.
          failure.outcomeUnknown ? failure.attempts : 0,
        ),
      );
    } else if (batch.operation === "GENERATE_TOKENS" && failure.status === 400) {
      await splitOrFailTokenBatch(batch, detail);
    } else if (failure.status === 400) {
      await splitOrFailStatusBatch(batch, detail);
    } else if (batch.operation === "GENERATE_TOKENS") {
      await giveUpTokenBatch(batch, detail);
    } else {
      await db.$transaction((tx) => failBatch(tx, batch, detail));
    }
  }
}

async function finishIfDone(campaignId: string, operation: BatchOperation) {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    // Under the campaign's row lock: the last two drivers to finish cannot both move it.
    if ((await unfinishedBatches(tx, campaignId, operation)) > 0) return;
    await transitionCampaignIf(
      tx,
      campaignId,
      STATE_FOR[operation],
      operation === "STATUS_QUERY" ? "check-finished" : "generation-finished",
      { actor: SYSTEM_ACTOR },
    );
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
