import { randomUUID } from "node:crypto";
import { isConstraintViolation } from "~/platform/db-errors.ts";
import { prisma } from "~/platform/db.server.ts";
import { getEnv } from "~/platform/env.server.ts";
import { recordAudit, type AuditActor } from "../audit/audit.server.ts";
import { SECRET_FIELDS, type ConnectionForm, type SecretField } from "./connection-forms.ts";
import type { PkbEndpoints } from "./grant-contract.ts";
import { seal, unseal } from "./secrets.server.ts";

/**
 * PKB connection settings: one row per PKB organisation the trust works with. Client secrets are
 * sealed with the row id as associated data, never returned by the view functions, and kept when
 * an edit leaves the secret field blank. Every change is audited with field names, never values.
 */
export interface ConnectionContext {
  actor: AuditActor;
  clientAddress: string | null;
}

/** A rule about the settings was broken; `field` names the form field to point at. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where PKB sends the clinician back after they grant access. */
export function defaultRedirectUri(): string {
  const env = getEnv();
  const origin = env.APP_ORIGIN ?? `http://localhost:${env.PORT}`;
  return `${origin.replace(/\/+$/, "")}/pkb/oauth/callback`;
}

const VIEW_SELECT = {
  id: true,
  label: true,
  webBaseUrl: true,
  systemTokenUrl: true,
  aggregatedTokenUrl: true,
  facadeBaseUrl: true,
  restBaseUrl: true,
  aggregatedBaseUrl: true,
  userClientId: true,
  redirectUri: true,
  systemClientId: true,
  aggregatedClientId: true,
  organisationPublicId: true,
  nominatedTeamName: true,
  updatedAt: true,
} as const;

/** Every connection with its grant's status, for the PKB admin page. No secrets. */
export async function listConnections() {
  const db = await prisma();
  return db.pkbConnection.findMany({
    orderBy: { label: "asc" },
    select: {
      id: true,
      label: true,
      webBaseUrl: true,
      organisationPublicId: true,
      grant: { select: { id: true, status: true, grantedByLabel: true, grantedAt: true } },
    },
  });
}

/** One connection's settings as the pages show them: no secrets, only whether each is stored. */
export async function getConnectionView(id: string) {
  const db = await prisma();
  const row = await db.pkbConnection.findUnique({
    where: { id },
    select: {
      ...VIEW_SELECT,
      userClientSecret: true,
      systemClientSecret: true,
      aggregatedClientSecret: true,
    },
  });
  if (!row) return null;
  const { userClientSecret, systemClientSecret, aggregatedClientSecret, ...settings } = row;
  return {
    ...settings,
    secretsStored: {
      userClientSecret: userClientSecret.length > 0,
      systemClientSecret: systemClientSecret.length > 0,
      aggregatedClientSecret: aggregatedClientSecret.length > 0,
    } satisfies Record<SecretField, boolean>,
  };
}
export type ConnectionView = NonNullable<Awaited<ReturnType<typeof getConnectionView>>>;

const SECRET_LABELS: Record<SecretField, string> = {
  userClientSecret: "user client secret",
  systemClientSecret: "system client secret",
  aggregatedClientSecret: "Aggregated client secret",
};

export async function createConnection(
  input: ConnectionForm,
  context: ConnectionContext,
): Promise<string> {
  for (const field of SECRET_FIELDS) {
    if (!input[field]) throw new ConnectionError(field, `Enter the ${SECRET_LABELS[field]}`);
  }
  const id = randomUUID();
  const db = await prisma();
  return uniqueLabel(() =>
    db.$transaction(async (tx) => {
      await tx.pkbConnection.create({ data: { ...input, ...sealSecrets(input, id), id } });
      await recordAudit(tx, {
        ...context,
        action: "pkb.connection.create",
        entityType: "pkb-connection",
        entityId: id,
        details: { organisationPublicId: input.organisationPublicId },
      });
      return id;
    }),
  );
}

/** Saves the settings; a blank secret keeps the stored one. Returns false when no such row. */
export async function updateConnection(
  id: string,
  input: ConnectionForm,
  context: ConnectionContext,
): Promise<boolean> {
  const db = await prisma();
  return uniqueLabel(() =>
    db.$transaction(async (tx) => {
      const before = await tx.pkbConnection.findUnique({ where: { id } });
      if (!before) return false;
      const { userClientSecret, systemClientSecret, aggregatedClientSecret, ...plain } = input;
      const secrets = sealSecrets(
        { userClientSecret, systemClientSecret, aggregatedClientSecret },
        id,
      );
      await tx.pkbConnection.update({ where: { id }, data: { ...plain, ...secrets } });
      const changed = [
        ...Object.entries(plain)
          .filter(([key, value]) => before[key as keyof typeof plain] !== value)
          .map(([key]) => key),
        ...Object.keys(secrets),
      ];
      await recordAudit(tx, {
        ...context,
        action: "pkb.connection.update",
        entityType: "pkb-connection",
        entityId: id,
        details: { changedFields: changed },
      });
      return true;
    }),
  );
}

/** Seals the secrets that were given; blank ones are left out (kept as stored). */
function sealSecrets(
  input: Pick<ConnectionForm, SecretField>,
  rowId: string,
): Partial<Record<SecretField, string>> {
  const sealed: Partial<Record<SecretField, string>> = {};
  for (const field of SECRET_FIELDS) {
    if (input[field]) sealed[field] = seal(input[field], rowId);
  }
  return sealed;
}

async function uniqueLabel<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isConstraintViolation(error, "P2002")) {
      throw new ConnectionError("label", "Another PKB organisation already has this name");
    }
    throw error;
  }
}

/** Everything the PKB clients need to talk to this organisation. Server-side only. */
export interface ConnectionCredentials {
  id: string;
  endpoints: PkbEndpoints;
  userClient: { id: string; secret: string; redirectUri: string };
  systemClient: { id: string; secret: string };
  aggregatedClient: { id: string; secret: string };
  organisationPublicId: string;
  nominatedTeamName: string;
}

export async function loadConnectionCredentials(id: string): Promise<ConnectionCredentials | null> {
  const db = await prisma();
  const row = await db.pkbConnection.findUnique({ where: { id } });
  if (!row) return null;
  return {
    id: row.id,
    endpoints: {
      webBaseUrl: row.webBaseUrl,
      systemTokenUrl: row.systemTokenUrl,
      aggregatedTokenUrl: row.aggregatedTokenUrl,
      facadeBaseUrl: row.facadeBaseUrl,
      restBaseUrl: row.restBaseUrl,
      aggregatedBaseUrl: row.aggregatedBaseUrl,
    },
    userClient: {
      id: row.userClientId,
      secret: unseal(row.userClientSecret, row.id),
      redirectUri: row.redirectUri,
    },
    systemClient: { id: row.systemClientId, secret: unseal(row.systemClientSecret, row.id) },
    aggregatedClient: {
      id: row.aggregatedClientId,
      secret: unseal(row.aggregatedClientSecret, row.id),
    },
    organisationPublicId: row.organisationPublicId,
    nominatedTeamName: row.nominatedTeamName,
  };
}

/**
 * Creates the connection, or brings it up to date, by label (npm run demo pre-configures the
 * sandbox's trust this way). Returns the connection id.
 */
export async function ensureConnection(
  input: ConnectionForm,
  context: ConnectionContext,
): Promise<string> {
  const db = await prisma();
  const existing = await db.pkbConnection.findUnique({
    where: { label: input.label },
    select: { id: true },
  });
  if (!existing) return createConnection(input, context);
  await updateConnection(existing.id, input, context);
  return existing.id;
}
