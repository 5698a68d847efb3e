import { recordAudit } from "~/modules/audit/audit.server.ts";
import type { ActiveSession } from "~/modules/auth/session.server.ts";
import { now } from "~/platform/clock.ts";
import { toCsv } from "~/platform/csv.ts";
import { prisma } from "~/platform/db.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { campaignSectionCsv, type CampaignReportSection } from "./campaign-report-csv.server.ts";
import { parseCampaignReportFilter } from "./campaign-report-range.ts";
import type { CampaignScope } from "./campaign-reports.server.ts";

/**
 * A campaign report section's CSV download (counts only, a few rows, so built whole): the range
 * from the query as the page read it, the download audited like every report export.
 */
export async function campaignSectionDownload(
  request: Request,
  session: ActiveSession,
  section: CampaignReportSection,
  options: { scope: CampaignScope; since: Date | null },
): Promise<Response> {
  const { filter, errors } = parseCampaignReportFilter(
    new URL(request.url).searchParams,
    now(),
    options.since,
  );
  if (errors) {
    return new Response(`Invalid range: ${Object.values(errors).join("; ")}`, { status: 400 });
  }
  const csv = await campaignSectionCsv(section, options.scope, filter);
  const db = await prisma();
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: session.user.id, label: session.user.email },
      clientAddress: clientAddress(request),
      action: "report.export",
      entityType: options.scope === "all" ? "report" : "Campaign",
      entityId: options.scope === "all" ? `campaigns-${section}` : options.scope.campaignId,
      details: { section, ...filter, rows: csv.rows.length },
    }),
  );
  return new Response(toCsv(csv.header, csv.rows), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="pkb-desk-${csv.filename}"`,
      "Cache-Control": "no-store",
    },
  });
}
