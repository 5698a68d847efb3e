import { z } from "zod";
import { prisma } from "~/platform/db.server.ts";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { enqueue } from "~/platform/jobs/enqueue.server.ts";
import { now } from "~/platform/clock.ts";
import { sendKioskInvitation } from "./kiosk-invite.server.ts";

/** One kiosk patient's tokens and e-mail (kiosk-invite.server.ts); retried with backoff. */
export const kioskInviteJob = defineJob({
  name: "campaigns.kiosk-invite",
  description: "Generates a kiosk patient's invitation codes and e-mails the invitation",
  payload: z.object({ recipientId: z.uuid() }),
  options: { retryLimit: 8, retryDelaySeconds: 30, retryBackoff: true, expireInSeconds: 300 },
  async handler({ recipientId }) {
    await sendKioskInvitation(recipientId);
  },
});

/**
 * Every five minutes: re-queues kiosk patients whose e-mail step finished in the last day but who
 * have no dispatch yet (the process stopped between saving the address and queueing the job).
 */
export const kioskInviteSweepJob = defineJob({
  name: "campaigns.kiosk-invite-sweep",
  description: "Queues kiosk invitations that were left unqueued",
  payload: z.object({}).passthrough(),
  options: { cron: "*/5 * * * *", retryLimit: 1, expireInSeconds: 120 },
  async handler() {
    const db = await prisma();
    const since = new Date(now().getTime() - 24 * 60 * 60 * 1000);
    const visits = await db.kioskVisit.findMany({
      where: { completedAt: { gt: since }, outcome: "ELIGIBLE", recipientId: { not: null } },
      select: { recipientId: true },
      take: 1000,
    });
    const ids = [...new Set(visits.map((visit) => visit.recipientId!))];
    if (ids.length === 0) return;
    const waiting = await db.recipient.findMany({
      where: {
        id: { in: ids },
        state: { not: "NOT_ISSUED" },
        registeredAt: null,
        dispatches: { none: { channel: "KIOSK" } },
      },
      select: { id: true },
    });
    for (const recipient of waiting) {
      await enqueue(
        kioskInviteJob,
        { recipientId: recipient.id },
        { singletonKey: `kiosk-invite:${recipient.id}` },
      );
    }
  },
});
