/**
 * Join PKB links (pkb-api.md §7), shared by the server, the template preview and the kiosk:
 * `{joinBase}?t1={invitation code}&t2={access code}&e={email}`. The join base is the PKB
 * organisation's web address + `/join`; the team code, when the campaign has one, puts the
 * patient into that team on registration.
 */

export function joinBase(webBaseUrl: string, teamCode: string | null): string {
  const base = `${webBaseUrl.replace(/\/+$/, "")}/join`;
  return teamCode ? `${base}/${encodeURIComponent(teamCode)}` : base;
}

/** `{joinBase}?t1={invitation code}&t2={access code}&e={email}` (e only when known). */
export function joinLink(
  base: string,
  invitationCode: string,
  accessCode: string,
  email: string | null,
): string {
  const query = new URLSearchParams({ t1: invitationCode, t2: accessCode });
  if (email) query.set("e", email);
  return `${base}?${query.toString()}`;
}

export interface JoinLinkInput {
  webBaseUrl: string;
  teamCode: string | null;
  invitationCode: string;
  accessCode: string;
  /** pre-fills the Join page's e-mail field (e-mail invitations only) */
  email?: string | null;
}

export function joinPkbLink(input: JoinLinkInput): string {
  return joinLink(
    joinBase(input.webBaseUrl, input.teamCode),
    input.invitationCode,
    input.accessCode,
    input.email ?? null,
  );
}
