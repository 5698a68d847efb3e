import { formatUkDate } from "~/platform/uk-time.ts";
import { renderEmail, type ChannelTemplate } from "../templates/channel-templates.ts";
import type { PlaceholderValues } from "../templates/placeholders.ts";

/**
 * The e-mail a kiosk patient receives. Notify carries it through its pass-through e-mail template
 * (subject and body as personalisation). When the campaign has its own e-mail wording (the
 * Invitation wording page), that wording is used with the same placeholders as an e-mail wave;
 * otherwise the kiosk's own wording below. It names no patient detail beyond the codes (and the
 * name, where the campaign's wording asks for it and the list gave one): the address was typed by
 * the patient at the kiosk, so the default wording assumes nothing else.
 */
export function kioskInvitationEmail(input: {
  invitationCode: string;
  accessCode: string;
  expiry: Date;
  joinLink: string;
  /** The campaign's saved EMAIL template, or null for the kiosk's default wording. */
  template?: ChannelTemplate | null;
  /** For the campaign's template: the placeholders the codes and link do not cover. */
  values?: Pick<
    PlaceholderValues,
    "name" | "given name" | "family name" | "expiry date" | "trust name"
  >;
}): { subject: string; body: string } {
  if (input.template && input.values) {
    return renderEmail(input.template, {
      ...input.values,
      "invitation code": input.invitationCode,
      "access code": input.accessCode,
      "join link": input.joinLink,
    });
  }
  const expires = formatUkDate(input.expiry);
  return {
    subject: "Your invitation to Patients Know Best",
    body: [
      "You asked at our check-in kiosk to join Patients Know Best (PKB), where you can see your hospital letters and appointments and message your care team.",
      "",
      `Join here: ${input.joinLink}`,
      "",
      "If the link does not work, go to the Join PKB page and enter these codes:",
      `Invitation code: ${input.invitationCode}`,
      `Access code: ${input.accessCode}`,
      "",
      `The codes expire on ${expires}. You will be asked for your date of birth.`,
      "",
      "If you did not ask for this, you can ignore this e-mail.",
    ].join("\n"),
  };
}
