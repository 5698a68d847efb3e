import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { notFound, requireMutation } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import {
  postalAddressColumns,
  postListRows,
  takePostList,
} from "~/modules/campaigns/hybrid-mail/post-list.server.ts";
import { csvChunks, csvDownload } from "~/platform/csv-download.server.ts";
import { prisma } from "~/platform/db.server.ts";

export const access = { action: "manage:campaign" } satisfies RouteAccess;

const HEADER = [
  "document_id",
  "national_id",
  "given_name",
  "family_name",
  "address_line_1",
  "address_line_2",
  "address_line_3",
  "address_line_4",
  "postcode",
  "invite_round",
  "sent_to_pkb_at",
];

/**
 * "Post these": the letters still unread N hours after PKB accepted them, as formula-safe CSV for
 * the printer. A POST, because taking the list marks its letters as listed (audited) so the next
 * list does not repeat them.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const { actor, clientAddress } = await requireMutation(request, access.action);
  const id = z.uuid().safeParse(params.campaignId);
  if (!id.success) throw notFound();
  const db = await prisma();
  if (!(await db.campaign.findUnique({ where: { id: id.data }, select: { id: true } }))) {
    throw notFound();
  }
  const list = await takePostList(id.data, { actor, clientAddress });
  if (!list) throw notFound();
  const stamp = list.listedAt.toISOString().slice(0, 16).replace(/[-:T]/g, "");
  return csvDownload(
    `post-these-${stamp}.csv`,
    csvChunks(HEADER, postListRows(id.data, list.listedAt), (row) => [
      row.documentId,
      row.recipient.nationalId,
      row.recipient.givenName,
      row.recipient.familyName,
      // The printer posts these, so the address travels with each letter (same columns as the
      // letter merge file).
      ...postalAddressColumns(row.recipient),
      row.inviteRound,
      row.sentAt?.toISOString() ?? "",
    ]),
    "hybrid-mail post list",
  );
}
