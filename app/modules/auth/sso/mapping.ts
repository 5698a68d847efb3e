import type { Role } from "~/generated/prisma/enums.ts";
import type { GroupRole, GroupTeam } from "./settings.server.ts";

/**
 * From the identity provider's `groups` claim to a role and teams. The first group → role line
 * that matches wins (the admin orders them, most specific first); without a match, the default
 * role. Every matching group → team line adds its team.
 */
export function roleForGroups(groups: string[], mapping: GroupRole[], fallback: Role): Role {
  return mapping.find((line) => groups.includes(line.group))?.role ?? fallback;
}

export function teamsForGroups(groups: string[], mapping: GroupTeam[]): string[] {
  return [
    ...new Set(mapping.filter((line) => groups.includes(line.group)).map((line) => line.team)),
  ];
}

/** The e-mail's domain is one of the allowed ones (exactly: no sub-domains by surprise). */
export function emailDomainAllowed(email: string, allowedDomains: string[]): boolean {
  const at = email.lastIndexOf("@");
  if (at < 1) return false;
  return allowedDomains.includes(email.slice(at + 1).toLowerCase());
}
