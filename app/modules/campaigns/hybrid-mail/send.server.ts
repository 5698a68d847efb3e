import { randomUUID } from "node:crypto";
import { loadConnectionCredentials } from "~/modules/pkb/connections.server.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { Hl7NoAnswerError, httpHl7Transport, type Hl7Transport } from "./hl7-transport.server.ts";
import {
  CONTENT_SELECT,
  deliveryContext,
  recipientValues,
} from "../delivery/recipient-content.server.ts";
import { renderLetter } from "../delivery/templates/channel-templates.ts";
import { buildMdmT02, readAck } from "./mdm.ts";

/**
 * Hybrid-mail sending (issue 9 §3, pkb-api.md §8). Two steps, so no letter is ever sent as two
 * documents:
 * 1. claim: one HybridMailDocument per recipient and round (its unique key), with a fresh UUID as
 *    TXA-12.1, is written and COMMITTED before anything leaves;
 * 2. send: every PENDING document goes as an MDM^T02 carrying its stored TXA-12.1. AA/CA →
 *    ACCEPTED; AE/AR → REJECTED with the reason; no answer → stays PENDING and the same
 *    TXA-12.1 goes again next run. PKB refuses a TXA-12.1 it already holds as a duplicate: for our
 *    own never-reused UUID that means an earlier send arrived, so it counts as ACCEPTED — PKB still
 *    holds one document. Two workers sending the same PENDING row at once end the same way.
 */
export const HYBRID_MAIL_TITLE = "Invitation to join Patients Know Best";

export interface SendResult {
  claimed: number;
  accepted: number;
  rejected: number;
  /** still PENDING because the intake did not answer (sent again next run) */
  noAnswer: number;
}

/** Recipients with a code for their current round and no document for it yet get one, PENDING. */
export async function claimDocuments(campaignId: string): Promise<number> {
  const db = await prisma();
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT r."id" FROM "Recipient" r
    WHERE r."campaignId" = ${campaignId}::uuid AND r."state" = 'TOKEN_ISSUED' AND r."registeredAt" IS NULL
      AND NOT EXISTS (SELECT 1 FROM "HybridMailDocument" d
        WHERE d."recipientId" = r."id" AND d."inviteRound" = r."inviteRound")`;
  if (rows.length === 0) return 0;
  // ids from Node (PGlite's gen_random_uuid is slow); ON CONFLICT: another worker claimed first.
  const inserted = await db.$executeRaw`
    INSERT INTO "HybridMailDocument" ("id", "campaignId", "recipientId", "inviteRound", "documentId", "state", "createdAt")
    SELECT t.id, ${campaignId}::uuid, r."id", r."inviteRound", t.doc, 'PENDING', now()
    FROM unnest(${rows.map(() => randomUUID())}::uuid[], ${rows.map((row) => row.id)}::uuid[],
      ${rows.map(() => randomUUID())}::text[]) AS t(id, rid, doc)
    JOIN "Recipient" r ON r."id" = t.rid
    ON CONFLICT DO NOTHING`;
  return inserted;
}

async function transportFor(campaignId: string): Promise<Hl7Transport> {
  const db = await prisma();
  const campaign = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { pkbConnectionId: true },
  });
  const connection = await loadConnectionCredentials(campaign.pkbConnectionId);
  if (!connection) throw new Error("The campaign's PKB connection no longer exists");
  return httpHl7Transport({
    webBaseUrl: connection.endpoints.webBaseUrl,
    clientId: connection.systemClient.id,
    clientSecret: connection.systemClient.secret,
    organisationPublicId: connection.organisationPublicId,
  });
}

export async function sendHybridMail(
  campaignId: string,
  options: { transport?: Hl7Transport; concurrency?: number; claimNew?: boolean } = {},
): Promise<SendResult> {
  const db = await prisma();
  const setting = await db.hybridMailSetting.findUnique({ where: { campaignId } });
  if (!setting) return { claimed: 0, accepted: 0, rejected: 0, noAnswer: 0 };
  const claimed = options.claimNew === false ? 0 : await claimDocuments(campaignId);
  const campaign = await db.campaign.findUniqueOrThrow({
    where: { id: campaignId },
    select: { identifierKind: true, pkbConnectionId: true, concurrency: true },
  });
  const connection = await db.pkbConnection.findUniqueOrThrow({
    where: { id: campaign.pkbConnectionId },
    select: { organisationPublicId: true },
  });
  // The campaign's own letter template (the same words as its printed letters), so a letter
  // read online and one posted say the same thing.
  const content = await deliveryContext(campaignId);
  const transport = options.transport ?? (await transportFor(campaignId));
  const pending = await db.hybridMailDocument.findMany({
    where: { campaignId, state: "PENDING" },
    select: {
      id: true,
      documentId: true,
      inviteRound: true,
      recipient: {
        select: { ...CONTENT_SELECT, state: true, inviteRound: true, nationalId: true },
      },
    },
    orderBy: { createdAt: "asc" },
  });
  const result: SendResult = { claimed, accepted: 0, rejected: 0, noAnswer: 0 };
  const log = getLogger().child({ campaignId });
  let stop = false;
  const queue = [...pending];
  async function worker() {
    while (!stop) {
      const doc = queue.shift();
      if (!doc) return;
      const r = doc.recipient;
      // A document of an earlier round whose recipient has moved on has no codes left to print.
      const values =
        r.inviteRound === doc.inviteRound && r.state === "TOKEN_ISSUED"
          ? recipientValues(content, r, { withEmail: false })
          : null;
      if (!values) continue;
      const letter = renderLetter(content.templates.LETTER, values);
      const message = buildMdmT02({
        documentId: doc.documentId,
        controlId: randomUUID(),
        organisationPublicId: connection.organisationPublicId,
        identifierKind: campaign.identifierKind,
        nationalId: r.nationalId,
        givenName: r.givenName,
        familyName: r.familyName,
        title: HYBRID_MAIL_TITLE,
        at: now(),
        lines: [
          letter.heading,
          "",
          ...letter.body.split("\n"),
          "",
          "If you read this letter online, we will not post you a paper copy.",
        ],
      });
      let answer: string;
      try {
        answer = await transport.send(message);
      } catch (error) {
        if (!(error instanceof Hl7NoAnswerError)) throw error;
        result.noAnswer++;
        await db.hybridMailDocument.updateMany({
          where: { id: doc.id, state: "PENDING" },
          data: { reason: `${error.message}; it will be sent again with the same document id` },
        });
        // The intake is down or slow: stop this run rather than time out on every letter.
        stop = true;
        return;
      }
      let outcome: ReturnType<typeof readAck>;
      try {
        outcome = readAck(answer);
      } catch (error) {
        result.noAnswer++;
        await db.hybridMailDocument.updateMany({
          where: { id: doc.id, state: "PENDING" },
          data: { reason: error instanceof Error ? error.message : "Unreadable HL7 answer" },
        });
        continue;
      }
      const at = now();
      if (outcome.kind === "accepted" || outcome.duplicate) {
        result.accepted++;
        await db.hybridMailDocument.updateMany({
          where: { id: doc.id, state: "PENDING" },
          data: { state: "ACCEPTED", sentAt: at, reason: null },
        });
      } else {
        result.rejected++;
        await db.hybridMailDocument.updateMany({
          where: { id: doc.id, state: "PENDING" },
          data: { state: "REJECTED", reason: `${outcome.code}: ${outcome.reason}` },
        });
      }
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency ?? campaign.concurrency, 8));
  await Promise.all(Array.from({ length: workers }, worker));
  log.info({ ...result }, "hybrid mail run finished");
  return result;
}
