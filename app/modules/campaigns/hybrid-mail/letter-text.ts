import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";
import { UK_TIME_ZONE } from "~/platform/uk-time.ts";

/**
 * The invitation letter's words for hybrid mail (a fixed text until per-campaign letter templates
 * from the delivery work can be reused here). It prints the two codes, the Join PKB link and the
 * expiry date — and never the date of birth: the patient proves that themselves at Join PKB, so
 * a letter read by someone else does not hand it over (pkb-api.md §7).
 */
export interface LetterInput {
  givenName: string | null;
  familyName: string | null;
  organisationName: string;
  invitationCode: string;
  accessCode: string;
  expiresAt: Date;
  joinUrl: string;
}

/** `{joinBase}/{teamcode?}?t1=…&t2=…` (pkb-api.md §7); no e-mail for a letter. */
export function joinLink(joinBase: string, teamCode: string | null, code: string, token: string) {
  const base = joinBase.replace(/\/+$/, "") + (teamCode ? `/${encodeURIComponent(teamCode)}` : "");
  return `${base}?t1=${encodeURIComponent(code)}&t2=${encodeURIComponent(token)}`;
}

export function letterLines(input: LetterInput): string[] {
  const name = [input.givenName, input.familyName].filter(Boolean).join(" ").trim();
  return [
    `Dear ${name || "patient"},`,
    "",
    `${input.organisationName} invites you to join Patients Know Best (PKB), a free and secure`,
    "online record where you can read your letters and manage your appointments.",
    "",
    "To join, go to:",
    input.joinUrl,
    "",
    `Invitation code: ${input.invitationCode}`,
    `Access code: ${input.accessCode}`,
    "",
    `These codes work until ${format(new TZDate(input.expiresAt, UK_TIME_ZONE), "d MMMM yyyy")}.`,
    "You will be asked to confirm your date of birth when you join.",
    "",
    "If you read this letter online, we will not post you a paper copy.",
  ];
}
