import { facadeClient, type FacadeClient } from "~/modules/pkb/facade-client.server.ts";
import { loadConnectionCredentials } from "~/modules/pkb/connections.server.ts";
import { restClient } from "~/modules/pkb/rest-client.server.ts";
import { systemTokenSource } from "~/modules/pkb/system-tokens.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAccessTokenFacade } from "../legacy/record-access-tokens.server.ts";
import type { CampaignFacade } from "../pkb-port.ts";

/**
 * A campaign's Facade client: its PKB connection's endpoints, system client and organisation
 * public id (`X-Org-Public-Id`). One client per connection per process, so the system token is
 * fetched once and shared by the campaign's drivers. An organisation still on the Custom REST
 * API (PkbConnectionTokenApi = CUSTOM_REST) gets its codes from recordAccessToken behind the same
 * port; everything else about the campaign is unchanged.
 */
const clients = new Map<string, FacadeClient>();
const tokenSources = new Map<string, ReturnType<typeof systemTokenSource>>();

async function connectionClient(connectionId: string): Promise<FacadeClient> {
  const cached = clients.get(connectionId);
  if (cached) return cached;
  const connection = await loadConnectionCredentials(connectionId);
  if (!connection) throw new Error("The campaign's PKB connection no longer exists");
  const token = systemTokenSource(connection.endpoints, {
    clientId: connection.systemClient.id,
    clientSecret: connection.systemClient.secret,
  });
  tokenSources.set(connectionId, token);
  const client = facadeClient({
    endpoints: connection.endpoints,
    organisationPublicId: connection.organisationPublicId,
    token,
  });
  clients.set(connectionId, client);
  return client;
}

export async function campaignFacade(campaignId: string): Promise<CampaignFacade> {
  const db = await prisma();
  const campaign = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { pkbConnectionId: true, identifierKind: true },
  });
  const client = await connectionClient(campaign.pkbConnectionId);
  const api = await db.pkbConnectionTokenApi.findUnique({
    where: { connectionId: campaign.pkbConnectionId },
  });
  if (api?.tokenApi !== "CUSTOM_REST") return client;
  const connection = await loadConnectionCredentials(campaign.pkbConnectionId);
  if (!connection) throw new Error("The campaign's PKB connection no longer exists");
  const rest = restClient({
    endpoints: connection.endpoints,
    token: tokenSources.get(campaign.pkbConnectionId)!,
    organisationPublicId: connection.organisationPublicId,
  });
  return recordAccessTokenFacade(client, rest, campaign.identifierKind);
}

/** $read-receipt-query for a campaign's hybrid-mail letters (same client and token). */
export async function campaignReadReceipts(campaignId: string): Promise<FacadeClient> {
  const db = await prisma();
  const campaign = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { pkbConnectionId: true },
  });
  return connectionClient(campaign.pkbConnectionId);
}

/** After a connection's settings change (and in tests): forget cached clients. */
export function forgetCampaignFacades(): void {
  clients.clear();
  tokenSources.clear();
}
