import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";
import { Prisma } from "~/generated/prisma/client.ts";
import type { IdentifierKind } from "~/generated/prisma/enums.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { BUCKET_LABELS } from "~/modules/campaigns/eligibility/bucket.ts";
import { RECIPIENT_STATE_LABELS } from "~/modules/campaigns/recipient-lifecycle.ts";
import { csvChunks } from "~/platform/csv-download.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { UK_TIME_ZONE } from "~/platform/uk-time.ts";

/**
 * The recipient-level export of one campaign (issue 9 §4): one row per patient with their
 * identifier, name, state, eligibility, invitation round, the outcome of their invitation by each
 * channel, when tracking found them registered, and their hybrid-mail letter's read and post
 * times. Patient data: only `export:campaign-recipients` (campaign managers) may download it,
 * every download is audited with its row count, and the CSV is formula-safe (toCsv, H7). Read a
 * page of patients at a time (keyset on the identifier, which the unique index orders), so memory
 * does not grow with the campaign.
 */
const PAGE = 2000;

const IDENTIFIER_HEADERS: Record<IdentifierKind, string> = {
  NHS: "NHS number",
  CHI: "CHI number",
  HC: "H&C number",
};

const DISPATCH_STATE_LABELS: Record<string, string> = {
  CLAIMED: "Being sent",
  SENT: "Sent",
  DELIVERED: "Delivered",
  PERMANENT_FAILURE: "Failed (permanent)",
  TEMPORARY_FAILURE: "Failed (will retry)",
  OUTCOME_UNKNOWN: "Outcome unknown (check before resending)",
  HELD: "Held (shared contact)",
  CANCELLED: "Cancelled",
};

interface ExportRow {
  nationalId: string;
  givenName: string | null;
  familyName: string | null;
  state: keyof typeof RECIPIENT_STATE_LABELS;
  bucket: keyof typeof BUCKET_LABELS | null;
  inviteRound: number;
  letter: string | null;
  sms: string | null;
  email: string | null;
  kiosk: string | null;
  registeredAt: Date | null;
  readAt: Date | null;
  postListedAt: Date | null;
}

export function recipientExportHeader(kind: IdentifierKind): string[] {
  return [
    IDENTIFIER_HEADERS[kind],
    "Given name",
    "Family name",
    "State",
    "Eligibility",
    "Invitation round",
    "Letter",
    "SMS",
    "E-mail",
    "Kiosk",
    "Registered (UK time)",
    "Letter read online (UK time)",
    "Letter put on the post list (UK time)",
  ];
}

function ukTime(value: Date | null): string {
  return value ? format(new TZDate(value, UK_TIME_ZONE), "yyyy-MM-dd HH:mm") : "";
}

function dispatchLabel(state: string | null): string {
  return state ? (DISPATCH_STATE_LABELS[state] ?? state) : "";
}

export function recipientExportCells(row: ExportRow): Array<string | number> {
  return [
    row.nationalId,
    row.givenName ?? "",
    row.familyName ?? "",
    RECIPIENT_STATE_LABELS[row.state] ?? row.state,
    row.bucket ? (BUCKET_LABELS[row.bucket] ?? row.bucket) : "",
    row.inviteRound,
    dispatchLabel(row.letter),
    dispatchLabel(row.sms),
    dispatchLabel(row.email),
    dispatchLabel(row.kiosk),
    ukTime(row.registeredAt),
    ukTime(row.readAt),
    ukTime(row.postListedAt),
  ];
}

/** The latest-round invitation (current round or earlier) by one channel, for each patient. */
function channelState(channel: "LETTER" | "SMS" | "EMAIL" | "KIOSK"): Prisma.Sql {
  return Prisma.sql`(SELECT d."state"::text FROM "InvitationDispatch" d
            WHERE d."recipientId" = r."id" AND d."channel" = ${channel}::"DeliveryChannel"
              AND d."inviteRound" <= r."inviteRound"
            ORDER BY d."inviteRound" DESC LIMIT 1)`;
}

/** Every patient of the campaign, in identifier order, a page at a time. */
export async function* recipientExportRows(campaignId: string): AsyncGenerator<ExportRow> {
  const db = await prisma();
  let after = "";
  for (;;) {
    const page = await db.$queryRaw<ExportRow[]>`
      SELECT r."nationalId", r."givenName", r."familyName", r."state"::text AS "state",
             r."bucket"::text AS "bucket", r."inviteRound", r."registeredAt",
             ${channelState("LETTER")} AS "letter", ${channelState("SMS")} AS "sms",
             ${channelState("EMAIL")} AS "email", ${channelState("KIOSK")} AS "kiosk",
             h."readAt", h."postListedAt"
        FROM "Recipient" r
        LEFT JOIN LATERAL (
          SELECT x."readAt", x."postListedAt" FROM "HybridMailDocument" x
           WHERE x."recipientId" = r."id" AND x."inviteRound" <= r."inviteRound"
           ORDER BY x."inviteRound" DESC LIMIT 1) h ON TRUE
       WHERE r."campaignId" = ${campaignId}::uuid AND r."nationalId" > ${after}
       ORDER BY r."nationalId"
       LIMIT ${PAGE}`;
    yield* page;
    if (page.length < PAGE) return;
    after = page.at(-1)!.nationalId;
  }
}

/**
 * Starts a download: records who exported which campaign and how many rows it held at that
 * moment (audit, one transaction with the count), then returns the CSV text chunks. Null when the
 * campaign does not exist.
 */
export async function startRecipientExport(
  campaignId: string,
  context: { actor: AuditActor; clientAddress: string | null },
): Promise<{ chunks: AsyncGenerator<string>; rows: number } | null> {
  const db = await prisma();
  const started = await db.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUnique({
      where: { id: campaignId },
      select: { identifierKind: true },
    });
    if (!campaign) return null;
    const rows = await tx.recipient.count({ where: { campaignId } });
    await recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: "campaign.export-recipients",
      entityType: "Campaign",
      entityId: campaignId,
      details: { rows },
    });
    return { kind: campaign.identifierKind, rows };
  });
  if (!started) return null;
  return {
    rows: started.rows,
    chunks: csvChunks(
      recipientExportHeader(started.kind),
      recipientExportRows(campaignId),
      recipientExportCells,
    ),
  };
}
