import { formatUkDate } from "~/platform/uk-time.ts";

/**
 * The e-mail a kiosk patient receives. Notify carries it through its pass-through e-mail template
 * (subject and body as personalisation). It names no patient detail beyond the codes: the
 * address was typed by the patient at the kiosk, so the wording assumes nothing else.
 */
export function kioskInvitationEmail(input: {
  invitationCode: string;
  accessCode: string;
  expiry: Date;
  joinLink: string;
}): { subject: string; body: string } {
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
