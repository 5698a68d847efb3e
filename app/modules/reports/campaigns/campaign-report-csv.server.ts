import type { ReportFilter } from "../report-filter.ts";
import {
  CAMPAIGN_COLUMNS,
  CHANNEL_COLUMNS,
  FUNNEL_COLUMNS,
  HYBRID_MAIL_COLUMNS,
  REGISTRATION_COLUMNS,
  type Column,
} from "./campaign-report-tables.ts";
import {
  byChannel,
  funnel,
  funnelByCampaign,
  hybridMail,
  registrationsOverTime,
  type CampaignScope,
} from "./campaign-reports.server.ts";

/**
 * One section of a campaign report as CSV: the same function the page calls and the same column
 * list its table uses (campaign-report-tables.ts), so the file holds exactly the table's numbers.
 * The route makes it formula-safe (toCsv) and audits the download.
 */
export const CAMPAIGN_REPORT_SECTIONS = [
  "funnel",
  "channels",
  "registrations",
  "hybrid-mail",
  "campaigns",
] as const;
export type CampaignReportSection = (typeof CAMPAIGN_REPORT_SECTIONS)[number];

export function isCampaignReportSection(value: unknown): value is CampaignReportSection {
  return CAMPAIGN_REPORT_SECTIONS.includes(value as CampaignReportSection);
}

export interface SectionCsv {
  filename: string;
  header: string[];
  rows: Array<Array<string | number | null>>;
}

function asCsv<Row>(filename: string, columns: Array<Column<Row>>, rows: Row[]): SectionCsv {
  return {
    filename,
    header: columns.map((column) => column.csv),
    rows: rows.map((row) => columns.map((column) => column.value(row))),
  };
}

export async function campaignSectionCsv(
  section: CampaignReportSection,
  scope: CampaignScope,
  filter: ReportFilter,
): Promise<SectionCsv> {
  const which = scope === "all" ? "all-campaigns" : `campaign-${scope.campaignId}`;
  switch (section) {
    case "funnel":
      return asCsv(`${which}-funnel.csv`, FUNNEL_COLUMNS, (await funnel(scope)).rows);
    case "channels": {
      const { counts } = await funnel(scope);
      return asCsv(
        `${which}-by-channel.csv`,
        CHANNEL_COLUMNS,
        await byChannel(scope, counts.registeredWithoutDelivery),
      );
    }
    case "registrations":
      return asCsv(
        `${which}-registrations-${filter.from}-to-${filter.to}-by-${filter.granularity}.csv`,
        REGISTRATION_COLUMNS,
        await registrationsOverTime(scope, filter),
      );
    case "hybrid-mail":
      return asCsv(`${which}-hybrid-mail.csv`, HYBRID_MAIL_COLUMNS, (await hybridMail(scope)).rows);
    case "campaigns":
      return asCsv(
        `${which}-funnel-by-campaign.csv`,
        CAMPAIGN_COLUMNS,
        await funnelByCampaign(scope),
      );
  }
}
