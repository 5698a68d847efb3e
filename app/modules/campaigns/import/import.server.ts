import { recordAudit } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { enqueue } from "~/platform/jobs/enqueue.server.ts";
import { contextOf, savePreset, type ActionContext } from "../campaigns.server.ts";
import { transitionCampaign } from "../lifecycle.server.ts";
import type { ColumnMapping } from "./fields.ts";
import { campaignImportJob } from "./import.job.server.ts";

export class ImportError extends Error {
  override name = "ImportError";
}

/** Preset name used when staff do not name one: their last mapping is always remembered. */
export const LAST_USED_PRESET = "Last used";

/**
 * Staff confirmed the column mapping: remember it, move the campaign to importing and queue the
 * import job — the first two in one transaction; the job is queued after it commits (a job queued
 * for a rolled-back import would find nothing to do).
 */
export async function confirmMapping(
  campaignId: string,
  importId: string,
  mapping: ColumnMapping,
  presetName: string | undefined,
  context: ActionContext,
): Promise<void> {
  await acceptMapping(campaignId, importId, mapping, presetName, context);
  await enqueue(campaignImportJob, { importId }, { singletonKey: `import:${importId}` });
}

export async function acceptMapping(
  campaignId: string,
  importId: string,
  mapping: ColumnMapping,
  presetName: string | undefined,
  context: ActionContext,
): Promise<void> {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const upload = await tx.campaignImport.findFirst({ where: { id: importId, campaignId } });
    if (!upload || upload.state !== "UPLOADED") {
      throw new ImportError("That upload is no longer waiting for its columns to be chosen.");
    }
    const missing = Object.values(mapping).find(
      (header) => header && !upload.headers.includes(header),
    );
    if (missing) throw new ImportError(`The list has no column called “${missing}”.`);
    await tx.campaignImport.update({
      where: { id: importId },
      data: { mapping, state: "QUEUED" },
    });
    if (context.actor.id) {
      await savePreset(tx, context.actor.id, presetName || LAST_USED_PRESET, mapping);
    }
    await transitionCampaign(tx, campaignId, "start-import", {
      ...contextOf(context),
      details: { importId },
    });
  });
}

export async function discardUpload(campaignId: string, importId: string, context: ActionContext) {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const removed = await tx.campaignImport.deleteMany({
      where: { id: importId, campaignId, state: "UPLOADED" },
    });
    if (removed.count === 0) throw new ImportError("That upload is no longer waiting.");
    await recordAudit(tx, {
      actor: context.actor,
      action: "campaign.discard-upload",
      entityType: "Campaign",
      entityId: campaignId,
      clientAddress: context.clientAddress,
      details: { importId },
    });
  });
}

/** Rows per second and how far through the file, for the progress bar. */
export function importProgress(
  item: {
    state: string;
    rowsRead: number;
    byteSize: number;
    startedAt: Date | null;
    finishedAt: Date | null;
  },
  at: Date,
) {
  const end = item.finishedAt ?? at;
  const seconds = item.startedAt
    ? Math.max(0.001, (end.getTime() - item.startedAt.getTime()) / 1000)
    : 0;
  return { rowsPerSecond: seconds ? Math.round(item.rowsRead / seconds) : 0 };
}
