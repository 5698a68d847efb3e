import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { batchChannel, letterPdfResponse } from "~/modules/campaigns/delivery/downloads.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";

/** A letter batch as one print-ready PDF (codes inside: managers only, audited). */
export const access = { loader: "manage:campaign" } satisfies RouteAccess;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const campaignId = z.uuid().safeParse(params.campaignId);
  const batchId = z.uuid().safeParse(params.batchId);
  if (!campaignId.success || !batchId.success) throw notFound();
  if ((await batchChannel(campaignId.data, batchId.data)) !== "LETTER") throw notFound();
  return letterPdfResponse(campaignId.data, batchId.data, {
    actor: { id: session.user.id, label: session.user.email },
    clientAddress: clientAddress(request),
  });
}
