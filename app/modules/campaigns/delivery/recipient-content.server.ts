import { decryptSecret, parseKeyRing, type KeyRing } from "~/platform/crypto.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { getEnv } from "~/platform/env.server.ts";
import { joinBase, joinLink } from "./join-link.ts";
import type { PlaceholderValues } from "./templates/placeholders.ts";
import type { ChannelTemplate, TemplateChannel } from "./templates/channel-templates.ts";
import { loadTemplates } from "./templates/templates.server.ts";

/**
 * What one invitation says to one patient: the stored code pair unsealed (AES-256-GCM, the
 * recipient's row id as associated data), the Join PKB link (pkb-api.md §7) and the dates, as
 * placeholder values. Nothing here is logged.
 */

let ring: KeyRing | undefined;
function keyRing(): KeyRing {
  ring ??= parseKeyRing(getEnv().ENCRYPTION_KEYS);
  return ring;
}

export interface CampaignDeliveryContext {
  campaignId: string;
  trustName: string;
  /** `{webBaseUrl}/join[/teamcode]` */
  joinBase: string;
  templates: Record<TemplateChannel, ChannelTemplate>;
}

export async function deliveryContext(campaignId: string): Promise<CampaignDeliveryContext> {
  const db = await prisma();
  const campaign = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { teamCode: true, pkbConnection: { select: { label: true, webBaseUrl: true } } },
  });
  return {
    campaignId,
    trustName: campaign.pkbConnection.label,
    joinBase: joinBase(campaign.pkbConnection.webBaseUrl, campaign.teamCode),
    templates: await loadTemplates(campaignId),
  };
}

const LONG_DATE = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "Europe/London",
});
export function longDate(date: Date): string {
  return LONG_DATE.format(date);
}

export interface RecipientForContent {
  id: string;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  tokenSealed: string | null;
  codeSealed: string | null;
  tokenExpiresAt: Date | null;
}

/** The placeholder values for one recipient, or null when no code pair is stored. */
export function recipientValues(
  context: Pick<CampaignDeliveryContext, "trustName" | "joinBase">,
  recipient: RecipientForContent,
  options: { withEmail: boolean },
): PlaceholderValues | null {
  if (!recipient.tokenSealed || !recipient.codeSealed || !recipient.tokenExpiresAt) return null;
  const accessCode = decryptSecret(keyRing(), recipient.tokenSealed, recipient.id);
  const invitationCode = decryptSecret(keyRing(), recipient.codeSealed, recipient.id);
  const name = [recipient.givenName, recipient.familyName].filter(Boolean).join(" ");
  return {
    name: name || "Patient",
    "given name": recipient.givenName ?? "",
    "family name": recipient.familyName ?? "",
    "invitation code": invitationCode,
    "access code": accessCode,
    "join link": joinLink(
      context.joinBase,
      invitationCode,
      accessCode,
      options.withEmail ? recipient.email : null,
    ),
    // In UK time, as the patient reads it.
    "expiry date": longDate(recipient.tokenExpiresAt),
    "trust name": context.trustName,
  };
}

export const CONTENT_SELECT = {
  id: true,
  givenName: true,
  familyName: true,
  email: true,
  tokenSealed: true,
  codeSealed: true,
  tokenExpiresAt: true,
} as const;
