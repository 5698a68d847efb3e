import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { isCampaignReportSection } from "~/modules/reports/campaigns/campaign-report-csv.server.ts";
import { reportCampaign } from "~/modules/reports/campaigns/campaign-reports.server.ts";
import { campaignSectionDownload } from "~/modules/reports/campaigns/section-download.server.ts";

export const access = { loader: "read:campaign-report" } satisfies RouteAccess;

/** One section of one campaign's report as CSV: exactly its table's numbers; audited. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = z.uuid().safeParse(params.campaignId);
  const section = params.section;
  if (!id.success || !isCampaignReportSection(section) || section === "campaigns") {
    throw notFound();
  }
  const campaign = await reportCampaign(id.data);
  if (!campaign) throw notFound();
  return campaignSectionDownload(request, session, section, {
    scope: { campaignId: campaign.id },
    since: campaign.createdAt,
  });
}
