import { PassThrough, Readable } from "node:stream";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { csvDownload } from "~/platform/csv-download.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { now } from "~/platform/clock.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { FILE_REF_PREFIX } from "./delivery.server.ts";
import { messageExportCsv } from "./export/export-csv.server.ts";
import { createLetterDocument, writeLetters } from "./letter/letter-pdf.server.ts";
import { batchRecipients } from "./letter/letter-rows.server.ts";
import { mergeCsv } from "./letter/merge-csv.server.ts";
import { deliveryContext } from "./recipient-content.server.ts";

/** A file batch's downloads, each audited (they hold patients' codes). */

export async function batchChannel(campaignId: string, batchId: string) {
  const db = await prisma();
  const row = await db.invitationDispatch.findFirst({
    where: { campaignId, providerRef: `${FILE_REF_PREFIX}${batchId}` },
    select: { channel: true },
  });
  return row?.channel ?? null;
}

async function audit(
  campaignId: string,
  batchId: string,
  file: string,
  context: { actor: AuditActor; clientAddress: string | null },
) {
  const db = await prisma();
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: "campaign.delivery-download",
      entityType: "Campaign",
      entityId: campaignId,
      details: { batchId, file },
    }),
  );
}

export async function batchCsvResponse(
  campaignId: string,
  batchId: string,
  channel: "LETTER" | "SMS" | "EMAIL",
  context: { actor: AuditActor; clientAddress: string | null },
): Promise<Response> {
  await audit(campaignId, batchId, channel === "LETTER" ? "merge.csv" : "messages.csv", context);
  const chunks =
    channel === "LETTER"
      ? await mergeCsv(campaignId, batchId)
      : await messageExportCsv(campaignId, channel, batchId);
  const name = channel === "LETTER" ? "letters-merge" : channel === "SMS" ? "texts" : "emails";
  return csvDownload(`${name}-${batchId.slice(0, 8)}.csv`, chunks, "delivery batch export");
}

export async function letterPdfResponse(
  campaignId: string,
  batchId: string,
  context: { actor: AuditActor; clientAddress: string | null },
): Promise<Response> {
  await audit(campaignId, batchId, "letters.pdf", context);
  const ctx = await deliveryContext(campaignId);
  const options = { qr: true, date: now(), trustName: ctx.trustName };
  const doc = createLetterDocument(options);
  const out = new PassThrough();
  doc.pipe(out);
  const rows = (async function* () {
    for await (const { row } of batchRecipients(campaignId, "LETTER", batchId, ctx)) yield row;
  })();
  writeLetters(doc, ctx.templates.LETTER, rows, options).catch((error: unknown) => {
    getLogger().error({ err: error, batchId }, "letter PDF failed");
    out.destroy(error instanceof Error ? error : new Error("letter PDF failed"));
  });
  return new Response(Readable.toWeb(out) as ReadableStream<Uint8Array>, {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="letters-${batchId.slice(0, 8)}.pdf"`,
      "Cache-Control": "no-store",
    },
  });
}
