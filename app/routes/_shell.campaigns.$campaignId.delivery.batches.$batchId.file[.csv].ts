import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { batchChannel, batchCsvResponse } from "~/modules/campaigns/delivery/downloads.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";

/** A file batch as formula-safe CSV: the letters' mail merge, or the texts/e-mails to send. */
export const access = { loader: "manage:campaign" } satisfies RouteAccess;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const campaignId = z.uuid().safeParse(params.campaignId);
  const batchId = z.uuid().safeParse(params.batchId);
  if (!campaignId.success || !batchId.success) throw notFound();
  const channel = await batchChannel(campaignId.data, batchId.data);
  if (channel !== "LETTER" && channel !== "SMS" && channel !== "EMAIL") throw notFound();
  return batchCsvResponse(campaignId.data, batchId.data, channel, {
    actor: { id: session.user.id, label: session.user.email },
    clientAddress: clientAddress(request),
  });
}
