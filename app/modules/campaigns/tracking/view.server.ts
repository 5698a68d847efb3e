import { formatUkDateTime } from "~/platform/uk-time.ts";
import { hybridMailSummary } from "../hybrid-mail/post-list.server.ts";
import { trackingSummary } from "./tracking.server.ts";

/** The campaign page's Tracking section, ready to render (times in UK local time). */
export async function trackingView(campaignId: string) {
  const [tracking, mail] = await Promise.all([
    trackingSummary(campaignId),
    hybridMailSummary(campaignId),
  ]);
  return {
    registered: tracking.registered,
    awaitingRegistration: tracking.awaitingRegistration,
    expired: tracking.expired,
    latestRound: tracking.latestRound,
    lastRun: tracking.lastRun
      ? {
          when: formatUkDateTime(tracking.lastRun.finishedAt ?? tracking.lastRun.startedAt),
          checked: tracking.lastRun.checked,
          registered: tracking.lastRun.registered,
          error: tracking.lastRun.error,
        }
      : null,
    hybridMail: mail
      ? {
          ...mail,
          lastReadCheck: mail.lastReadCheck ? formatUkDateTime(mail.lastReadCheck) : null,
        }
      : null,
  };
}
