import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { bucketCsv, bucketFromSlug } from "~/modules/campaigns/eligibility/bucket-list.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";

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
  const parts = bucketCsv(id.data, bucket);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await parts.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        getLogger().error({ err: error, campaignId: id.data }, "bucket export failed");
        controller.error(error);
      }
    },
    async cancel() {
      await parts.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="campaign-${params.bucket}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
