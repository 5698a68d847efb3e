import type { NotifySendOutcome } from "~/modules/notify/outcome.ts";
import type { NotifyStatusResult } from "~/modules/notify/notify-client.server.ts";
import type { SendChannel } from "../dispatch-store.server.ts";

/**
 * Where text messages and e-mails go. A provider sends ONE message and sorts what happened into
 * the four outcomes of ADR 0015; it never retries (the wave decides, and an unknown outcome waits
 * for a person). GOV.UK Notify is the implementation (./notify-provider.server.ts); the file
 * export (../export/) hands the same messages to another sender as a CSV instead.
 */
export interface InvitationMessage {
  /** 1 = the codes (or the whole e-mail), 2 = the join link (SMS). */
  part: 1 | 2;
  subject: string | null;
  body: string;
}

export interface DeliveryProvider {
  send(
    channel: SendChannel,
    to: string,
    message: InvitationMessage,
    /** Our reference for the message: `{dispatch id}.{part}` — never personal data. */
    reference: string,
  ): Promise<NotifySendOutcome>;
  status(providerId: string): Promise<NotifyStatusResult>;
}
