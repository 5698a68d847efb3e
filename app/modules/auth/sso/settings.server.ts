import { randomUUID } from "node:crypto";
import type { Prisma } from "~/generated/prisma/client.ts";
import { Role, type SsoUnknownUserPolicy } from "~/generated/prisma/enums.ts";
import { prisma } from "~/platform/db.server.ts";
import { getEnv } from "~/platform/env.server.ts";
import { recordAudit, type AuditActor } from "../../audit/audit.server.ts";
import { seal, unseal } from "../../pkb/secrets.server.ts";
import { normaliseEmail } from "../login.server.ts";

/**
 * The installation's trust identity provider (one row): issuer, client, allowed e-mail domains,
 * group → role and group → team mapping, and the "SSO only" switch with its named break-glass
 * local accounts. The client secret is sealed like PKB's (the row id as associated data), never
 * returned by the view, and kept when an edit leaves it blank. Changes are audited by field name.
 */
const INSTALLATION = "default";

export interface GroupRole {
  group: string;
  role: Role;
}
export interface GroupTeam {
  group: string;
  team: string;
}

export interface SsoConfig {
  id: string;
  enabled: boolean;
  issuer: string;
  clientId: string;
  clientSecret: string;
  allowedDomains: string[];
  unknownUsers: SsoUnknownUserPolicy;
  defaultRole: Role;
  groupRoles: GroupRole[];
  groupTeams: GroupTeam[];
  ssoOnly: boolean;
  breakGlassEmails: string[];
}

export type SsoSettingsInput = Omit<SsoConfig, "id" | "clientSecret"> & {
  /** blank keeps the stored secret */
  clientSecret: string;
};

export class SsoSettingsError extends Error {
  override name = "SsoSettingsError";
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super(issues.map((issue) => issue.message).join("; "));
  }
}

/** Where the identity provider sends people back (register it with the provider). */
export function ssoCallbackUrl(): string {
  const env = getEnv();
  const origin = env.APP_ORIGIN ?? `http://localhost:${env.PORT}`;
  return `${origin.replace(/\/+$/, "")}/auth/sso/callback`;
}

function parseMappings(row: { groupRoles: Prisma.JsonValue; groupTeams: Prisma.JsonValue }) {
  const roles = Object.values(Role) as string[];
  const groupRoles = (Array.isArray(row.groupRoles) ? row.groupRoles : []).flatMap((item) =>
    item &&
    typeof item === "object" &&
    !Array.isArray(item) &&
    typeof item.group === "string" &&
    typeof item.role === "string" &&
    roles.includes(item.role)
      ? [{ group: item.group, role: item.role as Role }]
      : [],
  );
  const groupTeams = (Array.isArray(row.groupTeams) ? row.groupTeams : []).flatMap((item) =>
    item &&
    typeof item === "object" &&
    !Array.isArray(item) &&
    typeof item.group === "string" &&
    typeof item.team === "string"
      ? [{ group: item.group, team: item.team }]
      : [],
  );
  return { groupRoles, groupTeams };
}

/** The full configuration, secret unsealed: server side only. Null when not set up. */
export async function loadSsoConfig(): Promise<SsoConfig | null> {
  const db = await prisma();
  const row = await db.ssoSettings.findUnique({ where: { installation: INSTALLATION } });
  if (!row) return null;
  return {
    id: row.id,
    enabled: row.enabled,
    issuer: row.issuer,
    clientId: row.clientId,
    clientSecret: unseal(row.clientSecret, row.id),
    allowedDomains: row.allowedDomains,
    unknownUsers: row.unknownUsers,
    defaultRole: row.defaultRole,
    ...parseMappings(row),
    ssoOnly: row.ssoOnly,
    breakGlassEmails: row.breakGlassEmails,
  };
}

/** What the admin page shows: everything except the secret, which is only "stored". */
export async function getSsoSettingsView() {
  const config = await loadSsoConfig();
  if (!config) return null;
  const { clientSecret, ...rest } = config;
  return { ...rest, secretStored: clientSecret.length > 0 };
}

/** For the sign-in page: is the "Sign in with your trust account" button offered, and is it the only way? */
export async function ssoSignInOptions(): Promise<{ offered: boolean; ssoOnly: boolean }> {
  const db = await prisma();
  const row = await db.ssoSettings.findUnique({
    where: { installation: INSTALLATION },
    select: { enabled: true, ssoOnly: true },
  });
  return { offered: row?.enabled === true, ssoOnly: row?.enabled === true && row.ssoOnly };
}

/**
 * In SSO-only mode a local password is accepted only for the named break-glass accounts. Checked
 * before the password, by e-mail alone, so the answer says nothing about the password.
 */
export async function localPasswordAllowed(email: string): Promise<boolean> {
  const db = await prisma();
  const row = await db.ssoSettings.findUnique({
    where: { installation: INSTALLATION },
    select: { enabled: true, ssoOnly: true, breakGlassEmails: true },
  });
  if (!row?.enabled || !row.ssoOnly) return true;
  return row.breakGlassEmails.includes(normaliseEmail(email));
}

export async function saveSsoSettings(
  input: SsoSettingsInput,
  context: { actor: AuditActor; clientAddress: string | null },
): Promise<void> {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const existing = await tx.ssoSettings.findUnique({ where: { installation: INSTALLATION } });
    const issues: Array<{ field: string; message: string }> = [];
    if (!existing && !input.clientSecret) {
      issues.push({ field: "clientSecret", message: "Enter the client secret" });
    }
    const breakGlass = input.breakGlassEmails.map(normaliseEmail);
    if (input.ssoOnly) {
      // Never lock every administrator out: one break-glass admin who can sign in locally.
      const admins = await tx.user.count({
        where: {
          email: { in: breakGlass },
          role: Role.ADMIN,
          disabledAt: null,
          passwordHash: { not: null },
        },
      });
      if (admins === 0) {
        issues.push({
          field: "breakGlassEmails",
          message:
            "Name at least one active administrator with a password as a break-glass account before turning on single sign-on only",
        });
      }
    }
    if (issues.length > 0) throw new SsoSettingsError(issues);
    const id = existing?.id ?? randomUUID();
    const data = {
      enabled: input.enabled,
      issuer: input.issuer,
      clientId: input.clientId,
      allowedDomains: input.allowedDomains.map((domain) => domain.toLowerCase()),
      unknownUsers: input.unknownUsers,
      defaultRole: input.defaultRole,
      groupRoles: input.groupRoles as unknown as Prisma.InputJsonValue,
      groupTeams: input.groupTeams as unknown as Prisma.InputJsonValue,
      ssoOnly: input.ssoOnly,
      breakGlassEmails: breakGlass,
      ...(input.clientSecret ? { clientSecret: seal(input.clientSecret, id) } : {}),
    };
    if (existing) {
      await tx.ssoSettings.update({ where: { id }, data });
    } else {
      await tx.ssoSettings.create({
        data: {
          ...data,
          id,
          installation: INSTALLATION,
          clientSecret: seal(input.clientSecret, id),
        },
      });
    }
    const changed = existing
      ? (Object.keys(data) as Array<keyof typeof data>).filter((key) =>
          key === "clientSecret"
            ? true
            : JSON.stringify(existing[key]) !== JSON.stringify(data[key]),
        )
      : ["created"];
    await recordAudit(tx, {
      actor: context.actor,
      action: "sso.settings-changed",
      entityType: "sso-settings",
      entityId: id,
      clientAddress: context.clientAddress,
      details: { changed, ssoOnly: input.ssoOnly, enabled: input.enabled },
    });
  });
}
