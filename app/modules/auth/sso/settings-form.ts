import { z } from "zod";
import { Role, SsoUnknownUserPolicy } from "~/generated/prisma/enums.ts";

/**
 * The /admin/sso form: one setting per field, lists one per line. Mapping lines read
 * `group = ROLE` and `group = Team name`; a line that does not parse is named in the message.
 */
const lines = (text: string) =>
  text
    .split(/\r?\n|,/)
    .map((line) => line.trim())
    .filter(Boolean);

function issuerIsSafe(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  } catch {
    return false;
  }
}

const mappingLines = <T>(field: string, toValue: (right: string) => T | null, what: string) =>
  z.string().transform((text, ctx) => {
    const out: Array<{ group: string; value: T }> = [];
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean)
      .forEach((line, index) => {
        const at = line.lastIndexOf("=");
        const group = at > 0 ? line.slice(0, at).trim() : "";
        const value = at > 0 ? toValue(line.slice(at + 1).trim()) : null;
        if (!group || value === null) {
          ctx.addIssue({
            code: "custom",
            path: [],
            message: `${field} line ${index + 1} ("${line.slice(0, 60)}"): write it as group = ${what}`,
          });
          return;
        }
        out.push({ group, value });
      });
    return out;
  });

const roleFrom = (text: string): Role | null => {
  const key = text.toUpperCase().replace(/[\s-]+/g, "_");
  return (Object.values(Role) as string[]).includes(key) ? (key as Role) : null;
};

export const SsoSettingsFormSchema = z.object({
  enabled: z.literal("yes").optional(),
  issuer: z
    .string()
    .trim()
    .min(1, "Enter the issuer address")
    .max(500)
    .refine(issuerIsSafe, "The issuer must be an https:// address (http only for this machine)"),
  clientId: z.string().trim().min(1, "Enter the client id").max(300),
  clientSecret: z.string().max(1000).default(""),
  allowedDomains: z
    .string()
    .max(5000)
    .transform(lines)
    .pipe(
      z
        .array(
          z
            .string()
            .toLowerCase()
            .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, "Allowed domains: write each like trust.nhs.uk"),
        )
        .min(1, "Name at least one allowed e-mail domain"),
    ),
  unknownUsers: z.enum(SsoUnknownUserPolicy),
  defaultRole: z.enum(Role),
  groupRoles: mappingLines("Group to role", roleFrom, "ROLE (e.g. TEAM_LEAD)"),
  groupTeams: mappingLines(
    "Group to team",
    (team) => (team ? team.slice(0, 200) : null),
    "Team name",
  ),
  ssoOnly: z.literal("yes").optional(),
  breakGlassEmails: z
    .string()
    .max(5000)
    .transform(lines)
    .pipe(z.array(z.email("Break-glass accounts: one e-mail address per line"))),
});
