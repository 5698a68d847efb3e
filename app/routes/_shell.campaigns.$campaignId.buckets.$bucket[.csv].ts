import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { bucketCsv, bucketFromSlug } from "~/modules/campaigns/eligibility/bucket-list.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { csvDownload } from "~/platform/csv-download.server.ts";

export const access = { loader: "read:campaign" } satisfies RouteAccess;

/** One eligibility bucket as formula-safe CSV, streamed; every download is audited. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = z.uuid().safeParse(params.campaignId);
  const bucket = bucketFromSlug(params.bucket ?? "");
  if (!id.success || !bucket) throw notFound();
  const db = await prisma();
  if (!(await db.campaign.findUnique({ where: { id: id.data }, select: { id: true } }))) {
    throw notFound();
  }
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: session.user.id, label: session.user.email },
      clientAddress: clientAddress(request),
      action: "campaign.export-bucket",
      entityType: "Campaign",
      entityId: id.data,
      details: { bucket },
    }),
  );
  return csvDownload(`campaign-${params.bucket}.csv`, bucketCsv(id.data, bucket), "bucket export");
}
