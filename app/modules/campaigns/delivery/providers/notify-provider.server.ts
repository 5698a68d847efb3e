import type { NotifySender } from "~/modules/notify/notify-client.server.ts";
import { loadNotifySender } from "~/modules/notify/settings.server.ts";
import type { DeliveryProvider } from "./provider.ts";

/**
 * GOV.UK Notify as the delivery provider. The portal renders the wording itself, so the Notify
 * templates configured in /admin/notify are pass-through ones: text message `((body))`, e-mail
 * subject `((subject))` and body `((body))`.
 */
export function notifyProvider(sender: NotifySender): DeliveryProvider {
  return {
    send(channel, to, message, reference) {
      return channel === "SMS"
        ? sender.sendSms({ phoneNumber: to, personalisation: { body: message.body }, reference })
        : sender.sendEmail({
            emailAddress: to,
            personalisation: { subject: message.subject ?? "", body: message.body },
            reference,
          });
    },
    status(providerId) {
      return sender.getStatus(providerId);
    },
  };
}

/** The configured Notify provider, or null when Notify is not set up. */
export async function loadNotifyProvider(timeoutMs?: number): Promise<DeliveryProvider | null> {
  const sender = await loadNotifySender(timeoutMs === undefined ? {} : { timeoutMs });
  return sender ? notifyProvider(sender) : null;
}
