import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { ensureConnection } from "~/modules/pkb/connections.server.ts";
import { endpointsForOrigin } from "~/modules/pkb/endpoints.ts";
import { prisma } from "~/platform/db.server.ts";
import { acceptMapping } from "./import/import.server.ts";
import type { ColumnMapping } from "./import/fields.ts";
import { runImport } from "./import/run-import.server.ts";
import { storeUpload } from "./import/upload.server.ts";

/** Test and benchmark helpers: a PKB connection to a sandbox, and a campaign imported from CSV. */
export async function sandboxConnection(
  url: string,
  organisationPublicId: string,
  label = `Sandbox ${url}`,
): Promise<string> {
  return ensureConnection(
    {
      label,
      ...endpointsForOrigin(url),
      userClientId: "pkb-desk",
      userClientSecret: "pkb-desk-sandbox-secret",
      redirectUri: "http://localhost:3000/pkb/oauth/callback",
      systemClientId: "pkb-desk-system",
      systemClientSecret: "pkb-desk-system-secret",
      aggregatedClientId: "pkb-desk-aggregated",
      aggregatedClientSecret: "pkb-desk-aggregated-secret",
      organisationPublicId,
      nominatedTeamName: "Appointments team",
    },
    { actor: SYSTEM_ACTOR, clientAddress: null },
  );
}

/** A connection row for tests that never call PKB (imports only). */
export async function offlineConnection(): Promise<string> {
  return sandboxConnection("http://127.0.0.1:9", "00000000-0000-4000-8000-000000000001", "Offline");
}

export async function importedCampaign(
  pkbConnectionId: string,
  csv: string | Buffer,
  mapping: ColumnMapping,
  options: { identifierKind?: "NHS" | "CHI" | "HC"; concurrency?: number } = {},
): Promise<string> {
  const db = await prisma();
  const campaign = await db.campaign.create({
    data: {
      name: "Test campaign",
      pkbConnectionId,
      channel: "LETTER",
      identifierKind: options.identifierKind ?? "NHS",
      concurrency: options.concurrency ?? 4,
    },
  });
  const bytes = typeof csv === "string" ? Buffer.from(csv) : csv;
  async function* body() {
    for (let offset = 0; offset < bytes.length; offset += 1 << 20) {
      yield bytes.subarray(offset, offset + (1 << 20));
    }
  }
  const stored = await storeUpload(campaign.id, "list.csv", body(), null);
  await acceptMapping(campaign.id, stored.importId, mapping, undefined, {
    actor: SYSTEM_ACTOR,
    clientAddress: null,
  });
  await runImport(stored.importId);
  return campaign.id;
}
