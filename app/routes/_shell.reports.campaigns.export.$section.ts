import type { LoaderFunctionArgs } from "@remix-run/node";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { isCampaignReportSection } from "~/modules/reports/campaigns/campaign-report-csv.server.ts";
import { campaignSectionDownload } from "~/modules/reports/campaigns/section-download.server.ts";

export const access = { loader: "read:campaign-report" } satisfies RouteAccess;

/** One section of the all-campaigns report as CSV: exactly its table's numbers; audited. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  if (!isCampaignReportSection(params.section)) throw notFound();
  return campaignSectionDownload(request, session, params.section, { scope: "all", since: null });
}
