import { facadeClient } from "~/modules/pkb/facade-client.server.ts";
import { loadConnectionCredentials } from "~/modules/pkb/connections.server.ts";
import { systemTokenSource } from "~/modules/pkb/system-tokens.server.ts";
import { prisma } from "~/platform/db.server.ts";
import type { CampaignFacade } from "../pkb-port.ts";

/**
 * A campaign's Facade client: its PKB connection's endpoints, system client and organisation
 * public id (`X-Org-Public-Id`). One client per connection per process, so the system token is
 * fetched once and shared by the campaign's drivers.
 */
const clients = new Map<string, CampaignFacade>();

export async function campaignFacade(campaignId: string): Promise<CampaignFacade> {
  const db = await prisma();
  const campaign = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { pkbConnectionId: true },
  });
  const cached = clients.get(campaign.pkbConnectionId);
  if (cached) return cached;
  const connection = await loadConnectionCredentials(campaign.pkbConnectionId);
  if (!connection) throw new Error("The campaign's PKB connection no longer exists");
  const client = facadeClient({
    endpoints: connection.endpoints,
    organisationPublicId: connection.organisationPublicId,
    token: systemTokenSource(connection.endpoints, {
      clientId: connection.systemClient.id,
      clientSecret: connection.systemClient.secret,
    }),
  });
  clients.set(campaign.pkbConnectionId, client);
  return client;
}

/** After a connection's settings change (and in tests): forget cached clients. */
export function forgetCampaignFacades(): void {
  clients.clear();
}
