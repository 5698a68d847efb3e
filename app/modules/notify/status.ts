import { z } from "zod";

/**
 * Delivery states as Notify reports them, for text messages and e-mails, and the one update shape
 * both ways of learning them produce: Notify's delivery-receipt callback and status polling.
 */
export const NOTIFY_DELIVERY_STATUSES = [
  "created",
  "sending",
  "pending",
  /** Sent to an international number; some networks report nothing more. */
  "sent",
  "delivered",
  /** The provider could not deliver: the number or address does not exist (do not retry as is). */
  "permanent-failure",
  /** The phone was off or the inbox full, for 72 hours: Notify gave up. */
  "temporary-failure",
  /** Notify's own problem; Notify did not send it. */
  "technical-failure",
] as const;
export type NotifyDeliveryStatus = (typeof NOTIFY_DELIVERY_STATUSES)[number];

/** Statuses after which Notify reports nothing more. */
export const TERMINAL_STATUSES: ReadonlySet<NotifyDeliveryStatus> = new Set([
  "sent",
  "delivered",
  "permanent-failure",
  "temporary-failure",
  "technical-failure",
]);

export interface NotifyStatusUpdate {
  notifyId: string;
  /** Our reference as sent with the message (the dispatch's id), when one was sent. */
  reference: string | null;
  channel: "sms" | "email";
  status: NotifyDeliveryStatus;
  terminal: boolean;
  sentAt: Date | null;
  completedAt: Date | null;
  source: "callback" | "poll";
}

/**
 * Where status updates go. The campaigns' delivery module registers one
 * (`registerNotifyStatusHandler`); it must be idempotent, because Notify may send a receipt more
 * than once and polling may report what a callback already did.
 */
export type NotifyStatusHandler = (update: NotifyStatusUpdate) => Promise<void>;

const notifyDate = z
  .string()
  .nullable()
  .optional()
  .transform((value, ctx) => {
    if (value === null || value === undefined || value === "") return null;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: "custom", message: "not a date" });
      return z.NEVER;
    }
    return date;
  });

/** Notify's delivery-receipt body. `to` is read only to be dropped: it is patient data. */
export const deliveryReceiptSchema = z.object({
  id: z.uuid(),
  reference: z.string().nullable().optional(),
  status: z.enum(NOTIFY_DELIVERY_STATUSES),
  notification_type: z.enum(["sms", "email"]),
  created_at: notifyDate,
  sent_at: notifyDate,
  completed_at: notifyDate,
});

/** One notification as `GET /v2/notifications/{id}` answers it (what polling reads). */
export const notificationSchema = z.object({
  id: z.uuid(),
  reference: z.string().nullable().optional(),
  type: z.enum(["sms", "email", "letter"]),
  status: z.string(),
  sent_at: notifyDate,
  completed_at: notifyDate,
});

export function statusUpdateFrom(
  body: {
    id: string;
    reference?: string | null | undefined;
    status: NotifyDeliveryStatus;
    sent_at: Date | null;
    completed_at: Date | null;
  },
  channel: "sms" | "email",
  source: NotifyStatusUpdate["source"],
): NotifyStatusUpdate {
  return {
    notifyId: body.id.toLowerCase(),
    reference: body.reference ?? null,
    channel,
    status: body.status,
    terminal: TERMINAL_STATUSES.has(body.status),
    sentAt: body.sent_at,
    completedAt: body.completed_at,
    source,
  };
}

export function isDeliveryStatus(value: string): value is NotifyDeliveryStatus {
  return (NOTIFY_DELIVERY_STATUSES as readonly string[]).includes(value);
}
