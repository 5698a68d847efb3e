/**
 * The Join PKB link of an invitation (pkb-api.md §7):
 * `{joinBase}/{teamcode?}?t1={invitation code}&t2={access code}&e={email}`. The join base is the
 * PKB organisation's web address + `/join`; the team code, when the campaign has one, puts the
 * patient into that team on registration.
 */
export interface JoinLinkInput {
  webBaseUrl: string;
  teamCode: string | null;
  invitationCode: string;
  accessCode: string;
  /** pre-fills the Join page's e-mail field (e-mail invitations only) */
  email?: string | null;
}

export function joinPkbLink(input: JoinLinkInput): string {
  const base = new URL(input.webBaseUrl).origin;
  const team = input.teamCode ? `/${encodeURIComponent(input.teamCode)}` : "";
  const params = new URLSearchParams({ t1: input.invitationCode, t2: input.accessCode });
  if (input.email) params.set("e", input.email);
  return `${base}/join${team}?${params.toString()}`;
}
