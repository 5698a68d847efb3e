import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { startRecipientExport } from "~/modules/reports/campaigns/recipient-export.server.ts";
import { csvDownload } from "~/platform/csv-download.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";

export const access = { loader: "export:campaign-recipients" } satisfies RouteAccess;

/**
 * Every patient of one campaign as CSV, streamed, formula-safe; patient data, so campaign
 * managers only, and each download is audited (who, when, which campaign, how many rows).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = z.uuid().safeParse(params.campaignId);
  if (!id.success) throw notFound();
  const started = await startRecipientExport(id.data, {
    actor: { id: session.user.id, label: session.user.email },
    clientAddress: clientAddress(request),
  });
  if (!started) throw notFound();
  return csvDownload(
    `pkb-desk-campaign-${id.data}-patients.csv`,
    started.chunks,
    "campaign patient export",
  );
}
