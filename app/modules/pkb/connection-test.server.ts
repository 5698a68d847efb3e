import { recordAudit } from "../audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { loadConnectionCredentials, type ConnectionContext } from "./connections.server.ts";
import { testConnection, type ConnectionCheck } from "./test-connection.server.ts";

/**
 * "Test connection" for a stored PKB connection: decrypts its settings server-side, makes one
 * harmless call per surface, and audits that a test ran and how many surfaces answered (never
 * the secrets or PKB's words). `null` when there is no such connection.
 */
export async function testStoredConnection(
  connectionId: string,
  context: ConnectionContext,
): Promise<ConnectionCheck[] | null> {
  const credentials = await loadConnectionCredentials(connectionId);
  if (!credentials) return null;
  const checks = await testConnection({
    endpoints: credentials.endpoints,
    organisationPublicId: credentials.organisationPublicId,
    userClient: {
      clientId: credentials.userClient.id,
      redirectUri: credentials.userClient.redirectUri,
    },
    systemClient: {
      clientId: credentials.systemClient.id,
      clientSecret: credentials.systemClient.secret,
    },
    aggregatedClient: {
      clientId: credentials.aggregatedClient.id,
      clientSecret: credentials.aggregatedClient.secret,
    },
  });
  const db = await prisma();
  await db.$transaction((tx) =>
    recordAudit(tx, {
      ...context,
      action: "pkb.connection.test",
      entityType: "pkb-connection",
      entityId: connectionId,
      details: {
        passed: checks.filter((check) => check.ok).map((check) => check.surface),
        failed: checks.filter((check) => !check.ok && !check.skipped).map((check) => check.surface),
        skipped: checks.filter((check) => check.skipped).map((check) => check.surface),
      },
    }),
  );
  return checks;
}
