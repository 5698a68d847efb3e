import { z } from "zod";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { prisma } from "~/platform/db.server.ts";
import { loadNotifyProvider } from "./providers/notify-provider.server.ts";
import { pollPendingStatuses } from "./receipts.server.ts";
import { runWaveSlice, WAVE_MESSAGES } from "./wave.server.ts";

const WavePayload = z.object({
  waveId: z.uuid(),
  /** A slice hands over to a successor after this long, so no job outlives its expiry. */
  maxRunMs: z.number().int().positive().default(25_000),
  /** Claims older than this lost their worker (the provider's timeout is 10 s). */
  staleMs: z.number().int().positive().default(120_000),
  concurrency: z.number().int().min(1).max(16).optional(),
  /** Status polling: ask Notify about messages with no receipt after this long. */
  pollAfterMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
});

/**
 * A delivery wave (SMS or e-mail through GOV.UK Notify), in time slices. A worker killed mid-slice
 * expires and pg-boss retries the slice; the retry's sweep turns the dead worker's claims into
 * OUTCOME_UNKNOWN once they are older than `staleMs`. After the sends, the wave keeps polling
 * Notify for messages whose receipt never came, until none is pending.
 */
export const deliveryWaveJob = defineJob({
  name: "campaigns.delivery-wave",
  description: "Sends a campaign's invitation texts or e-mails through GOV.UK Notify",
  payload: WavePayload,
  options: {
    retryLimit: 50,
    retryDelaySeconds: 1,
    retryBackoff: false,
    expireInSeconds: 90,
    concurrency: 4,
  },
  async handler(payload, { signal }) {
    const db = await prisma();
    const wave = await db.deliveryWave.findUnique({ where: { id: payload.waveId } });
    if (!wave) return;
    const provider = await loadNotifyProvider();
    if (!provider) {
      await db.deliveryWave.updateMany({
        where: { id: wave.id, state: "RUNNING" },
        data: { state: "PAUSED", pausedReason: WAVE_MESSAGES.notConfigured },
      });
      return;
    }
    if (wave.state === "RUNNING") {
      const campaign = await db.campaign.findUnique({
        where: { id: wave.campaignId },
        select: { concurrency: true },
      });
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(payload.maxRunMs)]);
      const result = await runWaveSlice(wave.id, provider, {
        concurrency: payload.concurrency ?? campaign?.concurrency ?? 4,
        staleMs: payload.staleMs,
        signal: deadline,
      });
      if (signal.aborted) return;
      if (result.kind === "more") return void (await enqueue(payload));
      if (result.kind === "waiting") {
        const seconds = Math.max(1, Math.ceil((result.nextDueAt.getTime() - Date.now()) / 1000));
        return void (await enqueue(payload, seconds));
      }
      if (result.kind === "paused") return;
    }
    if (wave.state === "PAUSED") return;
    // Sending is over: follow up receipts Notify may never have delivered to the callback.
    const { pending } = await pollPendingStatuses(wave.campaignId, provider, {
      olderThanMs: payload.pollAfterMs,
      limit: 500,
    });
    if (pending > 0) await enqueue(payload, Math.ceil(payload.pollAfterMs / 1000));
  },
});

/** Loaded when first needed (the job catalog imports this module: a static import is a cycle). */
async function enqueue(payload: z.input<typeof WavePayload>, startAfterSeconds?: number) {
  const jobs = await import("~/platform/jobs/enqueue.server.ts");
  return jobs.enqueue(deliveryWaveJob, payload, startAfterSeconds ? { startAfterSeconds } : {});
}

export async function enqueueWave(
  waveId: string,
  tuning: Partial<z.input<typeof WavePayload>> = {},
) {
  return enqueue({ ...tuning, waveId });
}
