import type { NotifyStatusUpdate } from "~/modules/notify/status.ts";
import { registerNotifyStatusHandler } from "~/modules/notify/status-callback.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { now } from "~/platform/clock.ts";
import type { DeliveryProvider } from "./providers/provider.ts";

/**
 * Delivery receipts, by Notify's callback or by polling, for the messages of each dispatch.
 * Idempotent: a receipt repeated, or a poll saying what a callback already said, changes nothing.
 * A dispatch is DELIVERED when every part is; PERMANENT_FAILURE when the network refused any part
 * for good; a part Notify gave up on (phone off 72 h, Notify's own failure) is due again later —
 * only that part is resent, because parts with a live message row are never sent twice.
 */

const FAILED_FOR_GOOD = new Set(["permanent-failure"]);
/** Statuses after which the part may be sent again: it certainly did not reach the phone. */
export const RESENDABLE_STATUSES = ["temporary-failure", "technical-failure"];

export const RECEIPT_MESSAGES = {
  undelivered:
    "Notify could not deliver it: the number or address does not exist or refuses messages. Check the contact details before sending again.",
  gaveUp:
    "Notify could not deliver a message (phone off or inbox full for 72 hours, or a Notify fault); it will be tried again.",
} as const;

export class UnknownNotification extends Error {
  override name = "UnknownNotification";
}

export async function applyStatusUpdate(update: NotifyStatusUpdate): Promise<void> {
  const db = await prisma();
  const message = await db.dispatchMessage.findUnique({
    where: { notifyId: update.notifyId },
    select: { id: true, dispatchId: true },
  });
  if (!message) {
    // A receipt may beat the row that records the send: 503 lets Notify try again. A receipt for
    // a message this portal never sent (no dispatch for its reference) is acknowledged and dropped.
    const dispatchId = update.reference?.split(".")[0] ?? "";
    const ours = /^[0-9a-f-]{36}$/i.test(dispatchId)
      ? await db.invitationDispatch.findUnique({ where: { id: dispatchId }, select: { id: true } })
      : null;
    if (ours) throw new UnknownNotification("receipt before the send was recorded");
    return;
  }
  await db.dispatchMessage.updateMany({
    where: { id: message.id, status: { notIn: ["delivered", ...FAILED_FOR_GOOD] } },
    data: {
      status: update.status,
      completedAt: update.terminal ? (update.completedAt ?? now()) : null,
    },
  });
  await refreshDispatch(message.dispatchId);
}

/** Moves a SENT dispatch by its messages' statuses (guarded: only from SENT). */
export async function refreshDispatch(dispatchId: string): Promise<void> {
  const db = await prisma();
  const dispatch = await db.invitationDispatch.findUnique({
    where: { id: dispatchId },
    select: {
      state: true,
      channel: true,
      messages: { select: { part: true, status: true, completedAt: true } },
    },
  });
  if (!dispatch || dispatch.state !== "SENT") return;
  const parts = dispatch.channel === "SMS" ? [1, 2] : [1];
  const live = dispatch.messages.filter((m) => !RESENDABLE_STATUSES.includes(m.status));
  const at = now();
  if (dispatch.messages.some((m) => FAILED_FOR_GOOD.has(m.status))) {
    await db.invitationDispatch.updateMany({
      where: { id: dispatchId, state: "SENT" },
      data: { state: "PERMANENT_FAILURE", reason: RECEIPT_MESSAGES.undelivered },
    });
  } else if (parts.some((part) => !live.some((m) => m.part === part))) {
    await db.invitationDispatch.updateMany({
      where: { id: dispatchId, state: "SENT" },
      data: {
        state: "TEMPORARY_FAILURE",
        reason: RECEIPT_MESSAGES.gaveUp,
        notBefore: new Date(at.getTime() + 60 * 60_000),
      },
    });
  } else if (parts.every((part) => live.some((m) => m.part === part && m.status === "delivered"))) {
    const delivered = live.map((m) => m.completedAt?.getTime() ?? at.getTime());
    await db.invitationDispatch.updateMany({
      where: { id: dispatchId, state: "SENT" },
      data: { state: "DELIVERED", deliveredAt: new Date(Math.max(...delivered)), reason: null },
    });
  }
}

/** Asks the provider about messages still not final after `olderThanMs` (callbacks can be lost). */
export async function pollPendingStatuses(
  campaignId: string,
  provider: DeliveryProvider,
  options: { olderThanMs: number; limit: number },
): Promise<{ polled: number; pending: number }> {
  const db = await prisma();
  const cutoff = new Date(now().getTime() - options.olderThanMs);
  const where = {
    status: { in: ["created", "sending", "pending"] },
    dispatch: { campaignId, state: "SENT" as const },
  };
  const due = await db.dispatchMessage.findMany({
    where: { ...where, sentAt: { lt: cutoff } },
    select: { notifyId: true },
    orderBy: { sentAt: "asc" },
    take: options.limit,
  });
  let polled = 0;
  for (const { notifyId } of due) {
    const result = await provider.status(notifyId);
    if (result.kind === "status") {
      await applyStatusUpdate(result.update);
      polled++;
    }
  }
  return { polled, pending: await db.dispatchMessage.count({ where }) };
}

let registered = false;
/** Hands Notify's delivery receipts (POST /notify/callback) to this module. Called at start. */
export function registerDeliveryReceipts(): void {
  if (registered) return;
  registered = true;
  registerNotifyStatusHandler(applyStatusUpdate);
}
