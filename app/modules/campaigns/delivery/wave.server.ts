import type { NotifySendOutcome } from "~/modules/notify/outcome.ts";
import { prisma } from "~/platform/db.server.ts";
import { now } from "~/platform/clock.ts";
import { getLogger } from "~/platform/logger.server.ts";
import {
  claimNext,
  settleClaim,
  sweepStaleClaims,
  type ClaimedDispatch,
  type SendChannel,
} from "./dispatch-store.server.ts";
import type { DeliveryProvider, InvitationMessage } from "./providers/provider.ts";
import { RESENDABLE_STATUSES, refreshDispatch } from "./receipts.server.ts";
import {
  CONTENT_SELECT,
  deliveryContext,
  recipientValues,
  type CampaignDeliveryContext,
} from "./recipient-content.server.ts";
import { renderEmail, renderSms } from "./templates/channel-templates.ts";

/**
 * One slice of a delivery wave: `concurrency` loops, each claiming one recipient at a time
 * (committed before the send), sending its message(s) and recording the outcome. Bounded in time
 * so the job hands over to a successor; safe to kill at any instant (ADR 0014):
 * - killed before the claim commits → nothing happened; the recipient is claimed later;
 * - killed after the claim, before the answer is recorded → the claim goes stale and the sweep
 *   makes it OUTCOME_UNKNOWN for a person, never a second send;
 * - SMS part 1 recorded, part 2 not → only part 2 is ever sent again.
 */

export const WAVE_MESSAGES = {
  notConfigured:
    "GOV.UK Notify is not set up. An administrator must enter its settings at Admin → GOV.UK Notify.",
  configuration: (reason: string) =>
    `Paused: Notify refused the portal's settings (${reason}). An administrator must fix them, then resume the wave.`,
  noCodes: "No invitation code is stored for this patient any more, so nothing was sent.",
  refused: (part: 1 | 2, channel: SendChannel, reason: string) =>
    `Notify refused ${channel === "SMS" ? (part === 1 ? "the first text (codes)" : "the second text (link)") : "the e-mail"}: ${reason}`,
  unknown: (part: 1 | 2, channel: SendChannel, reason: string) =>
    channel === "SMS" && part === 2
      ? `The codes were sent; then sending the link: ${reason}`
      : reason,
  gaveUp: (attempts: number, reason: string) =>
    `Not sent after ${attempts} attempts (${reason}). Use "Send again" once the problem is fixed.`,
} as const;

export const MAX_ATTEMPTS = 8;

export interface WaveOptions {
  concurrency: number;
  /** A claim older than this has lost its worker. Far above the provider's timeout. */
  staleMs: number;
  signal: AbortSignal;
}

export type WaveSliceResult =
  | { kind: "done" }
  | { kind: "paused"; reason: string }
  | { kind: "more" }
  | { kind: "waiting"; nextDueAt: Date };

/** Slows every loop of the wave after a 429 and honours Retry-After; speeds up again slowly. */
class Pacer {
  paceMs: number;
  private resumeAt = 0;
  private successes = 0;
  constructor(initialMs: number) {
    this.paceMs = initialMs;
  }
  slowDown(retryAfterSeconds: number | null) {
    this.paceMs = Math.min(Math.max(Math.round(this.paceMs * 1.5), 20), 2_000);
    this.resumeAt = Math.max(this.resumeAt, Date.now() + (retryAfterSeconds ?? 1) * 1000);
    this.successes = 0;
  }
  succeeded() {
    if (++this.successes >= 20 && this.paceMs > 0) {
      this.paceMs = Math.floor(this.paceMs / 2);
      this.successes = 0;
    }
  }
  async wait(signal: AbortSignal) {
    const delay = Math.max(this.resumeAt - Date.now(), this.paceMs);
    if (delay > 0) await sleep(delay, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function backoffMs(attempts: number, retryAfterSeconds: number | null): number {
  const exponential = Math.min(30 * 60_000, 2_000 * 2 ** Math.max(0, attempts - 1));
  const jitter = Math.random() * 1_000;
  return Math.max(exponential + jitter, (retryAfterSeconds ?? 0) * 1000);
}

export async function runWaveSlice(
  waveId: string,
  provider: DeliveryProvider,
  options: WaveOptions,
): Promise<WaveSliceResult> {
  const db = await prisma();
  const wave = await db.deliveryWave.findUnique({ where: { id: waveId } });
  if (!wave || wave.state !== "RUNNING") return { kind: "done" };
  if (wave.channel !== "SMS" && wave.channel !== "EMAIL") return { kind: "done" };
  const channel: SendChannel = wave.channel;
  const log = getLogger();
  const swept = await sweepStaleClaims(wave.campaignId, channel, options.staleMs);
  if (swept > 0) {
    log.warn({ delivery: { waveId, staleClaims: swept } }, "stale claims need a person");
  }

  const context = await deliveryContext(wave.campaignId);
  const pacer = new Pacer(wave.paceMs);
  let paused: string | null = null;
  let cursor = -1;
  let exhausted = false;
  const counts = { sent: 0, held: 0, failed: 0, unknown: 0 };

  const loop = async () => {
    while (!options.signal.aborted && paused === null && !exhausted) {
      const claim = await claimNext(wave.campaignId, channel, cursor);
      if (claim.kind === "none") {
        if (await candidatesLeft(wave.campaignId, channel)) {
          // Rows after the cursor were taken by other loops, or a claim lost the race: start over.
          cursor = -1;
          await sleep(20, options.signal);
          continue;
        }
        exhausted = true;
        break;
      }
      if (claim.sourceRow !== null) cursor = Math.max(cursor, claim.sourceRow);
      if (claim.kind === "held") {
        counts.held++;
        continue;
      }
      await pacer.wait(options.signal);
      const result = await deliver(claim.dispatch, channel, context, provider);
      if (result.kind === "sent") {
        counts.sent++;
        pacer.succeeded();
      } else if (result.kind === "rate-limited") {
        counts.failed++;
        pacer.slowDown(result.retryAfterSeconds);
        await db.deliveryWave.update({ where: { id: waveId }, data: { paceMs: pacer.paceMs } });
      } else if (result.kind === "configuration") {
        paused = result.reason;
      } else if (result.kind === "unknown") {
        counts.unknown++;
      } else {
        counts.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, loop));
  log.info({ delivery: { waveId, channel, ...counts } }, "delivery wave slice");

  if (paused !== null) {
    await db.deliveryWave.updateMany({
      where: { id: waveId, state: "RUNNING" },
      data: { state: "PAUSED", pausedReason: WAVE_MESSAGES.configuration(paused) },
    });
    return { kind: "paused", reason: paused };
  }
  if (!exhausted) return { kind: "more" };
  const next = await db.invitationDispatch.findFirst({
    where: {
      campaignId: wave.campaignId,
      channel,
      state: "TEMPORARY_FAILURE",
      notBefore: { not: null },
    },
    orderBy: { notBefore: "asc" },
    select: { notBefore: true },
  });
  if (next?.notBefore) return { kind: "waiting", nextDueAt: next.notBefore };
  // A claim still open (a dead worker's, younger than staleMs, or another slice's in flight): the
  // wave is not over until the sweep has turned it into OUTCOME_UNKNOWN or its sender settled it.
  // Finishing now would leave it "sending" for ever, with nothing left to sweep it.
  const open = await db.invitationDispatch.findFirst({
    where: { campaignId: wave.campaignId, channel, state: "CLAIMED" },
    orderBy: { claimedAt: "asc" },
    select: { claimedAt: true },
  });
  if (open) {
    const staleAt = open.claimedAt.getTime() + options.staleMs;
    return { kind: "waiting", nextDueAt: new Date(Math.max(staleAt, now().getTime() + 1_000)) };
  }
  await db.deliveryWave.updateMany({
    where: { id: waveId, state: "RUNNING" },
    data: { state: "DONE", finishedAt: now() },
  });
  return { kind: "done" };
}

async function candidatesLeft(campaignId: string, channel: SendChannel): Promise<boolean> {
  const db = await prisma();
  const column = channel === "SMS" ? "mobile" : "email";
  const rows = await db.$queryRawUnsafe<Array<{ one: number }>>(
    `SELECT 1 AS one FROM "Recipient" r
     WHERE r."campaignId" = $1::uuid AND r."state" = 'TOKEN_ISSUED' AND r."${column}" IS NOT NULL
       AND r."tokenExpiresAt" > $3
       AND NOT EXISTS (SELECT 1 FROM "InvitationDispatch" d WHERE d."recipientId" = r."id"
         AND d."channel" = $2::"DeliveryChannel" AND d."inviteRound" = r."inviteRound")
     LIMIT 1`,
    campaignId,
    channel,
    now(),
  );
  if (rows.length > 0) return true;
  return (
    (await db.invitationDispatch.count({
      where: { campaignId, channel, state: "TEMPORARY_FAILURE", notBefore: { lte: now() } },
    })) > 0
  );
}

type DeliverResult =
  | { kind: "sent" }
  | { kind: "rate-limited"; retryAfterSeconds: number | null }
  | { kind: "configuration"; reason: string }
  | { kind: "unknown" }
  | { kind: "failed" };

/** Sends the parts of one claimed dispatch that have no live message yet, and records each. */
export async function deliver(
  dispatch: ClaimedDispatch,
  channel: SendChannel,
  context: CampaignDeliveryContext,
  provider: DeliveryProvider,
): Promise<DeliverResult> {
  const db = await prisma();
  const recipient = await db.recipient.findUniqueOrThrow({
    where: { id: dispatch.recipientId },
    select: { ...CONTENT_SELECT, mobile: true },
  });
  const values = recipientValues(context, recipient, { withEmail: channel === "EMAIL" });
  const to = channel === "SMS" ? recipient.mobile : recipient.email;
  if (!values || !to) {
    await settleClaim(dispatch.id, "CANCELLED", { reason: WAVE_MESSAGES.noCodes });
    return { kind: "failed" };
  }
  let messages: InvitationMessage[];
  if (channel === "SMS") {
    const sms = renderSms(context.templates.SMS, values);
    messages = [
      { part: 1, subject: null, body: sms.messages[0] },
      { part: 2, subject: null, body: sms.messages[1] },
    ];
  } else {
    const email = renderEmail(context.templates.EMAIL, values);
    messages = [{ part: 1, subject: email.subject, body: email.body }];
  }
  const done = await db.dispatchMessage.findMany({
    where: { dispatchId: dispatch.id, status: { notIn: RESENDABLE_STATUSES } },
    select: { part: true, notifyId: true },
  });
  let firstId = done.find((m) => m.part === 1)?.notifyId ?? null;
  for (const message of messages) {
    if (done.some((m) => m.part === message.part)) continue;
    const outcome = await provider.send(channel, to, message, `${dispatch.id}.${message.part}`);
    if (outcome.kind === "sent") {
      await db.dispatchMessage.create({
        data: { dispatchId: dispatch.id, part: message.part, notifyId: outcome.notifyId },
      });
      firstId ??= outcome.notifyId;
      continue;
    }
    return recordFailure(dispatch, channel, message.part, outcome);
  }
  await settleClaim(dispatch.id, "SENT", { providerRef: firstId });
  // A receipt may already have arrived for a part sent earlier.
  await refreshDispatch(dispatch.id);
  return { kind: "sent" };
}

async function recordFailure(
  dispatch: ClaimedDispatch,
  channel: SendChannel,
  part: 1 | 2,
  outcome: Exclude<NotifySendOutcome, { kind: "sent" }>,
): Promise<DeliverResult> {
  if (outcome.kind === "permanent-failure") {
    await settleClaim(dispatch.id, "PERMANENT_FAILURE", {
      reason: WAVE_MESSAGES.refused(part, channel, outcome.reason),
    });
    return { kind: "failed" };
  }
  if (outcome.kind === "outcome-unknown") {
    await settleClaim(dispatch.id, "OUTCOME_UNKNOWN", {
      reason: WAVE_MESSAGES.unknown(part, channel, outcome.reason),
    });
    return { kind: "unknown" };
  }
  if (outcome.cause === "configuration") {
    // Due again as soon as the wave is resumed; the wave pauses instead of looping on it.
    await settleClaim(dispatch.id, "TEMPORARY_FAILURE", {
      reason: outcome.reason,
      notBefore: now(),
    });
    return { kind: "configuration", reason: outcome.reason };
  }
  const gaveUp = dispatch.attempts >= MAX_ATTEMPTS;
  await settleClaim(dispatch.id, "TEMPORARY_FAILURE", {
    reason: gaveUp ? WAVE_MESSAGES.gaveUp(dispatch.attempts, outcome.reason) : outcome.reason,
    notBefore: gaveUp
      ? null
      : new Date(now().getTime() + backoffMs(dispatch.attempts, outcome.retryAfterSeconds)),
  });
  return outcome.cause === "rate-limited"
    ? { kind: "rate-limited", retryAfterSeconds: outcome.retryAfterSeconds }
    : { kind: "failed" };
}
