import type { CampaignFacade } from "../pkb-port.ts";

/**
 * Where a campaign's Facade client comes from: the campaign's PKB connection (endpoints, system
 * client, organisation public id). Until the connection settings are wired in, a process must
 * install a factory (the worker at start-up, tests with the sandbox's address).
 */
export type CampaignFacadeFactory = (campaignId: string) => Promise<CampaignFacade>;

const holder = globalThis as unknown as { __pkbDeskCampaignFacade?: CampaignFacadeFactory };

export function setCampaignFacadeFactory(factory: CampaignFacadeFactory | undefined): void {
  holder.__pkbDeskCampaignFacade = factory;
}

export async function campaignFacade(campaignId: string): Promise<CampaignFacade> {
  const factory = holder.__pkbDeskCampaignFacade;
  if (!factory) throw new Error("No PKB connection is configured for campaigns in this process");
  return factory(campaignId);
}
