import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { errorReportCsv } from "~/modules/campaigns/import/error-report.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { csvDownload } from "~/platform/csv-download.server.ts";

export const access = { loader: "read:campaign" } satisfies RouteAccess;

const ParamsSchema = z.object({ campaignId: z.uuid(), importId: z.uuid() });

/** One import's error report as formula-safe CSV, streamed; the download is audited. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw notFound();
  const { campaignId, importId } = parsed.data;
  const db = await prisma();
  const upload = await db.campaignImport.findFirst({ where: { id: importId, campaignId } });
  if (!upload) throw notFound();
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: session.user.id, label: session.user.email },
      clientAddress: clientAddress(request),
      action: "campaign.export-import-errors",
      entityType: "Campaign",
      entityId: campaignId,
      details: { importId },
    }),
  );
  return csvDownload(
    `import-problems-${importId.slice(0, 8)}.csv`,
    errorReportCsv(importId),
    "import error report",
  );
}
