import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { campaignReadReceipts, forgetCampaignFacades } from "../batches/facade-factory.server.ts";
import { sandboxConnection } from "../testing.server.ts";
import { CONTEXT, campaignWithTokens, sandboxCsv } from "../tracking/testing.server.ts";
import { DEFAULT_TEMPLATES } from "../delivery/templates/channel-templates.ts";
import { saveTemplate } from "../delivery/templates/templates.server.ts";
import { Hl7NoAnswerError, httpHl7Transport, type Hl7Transport } from "./hl7-transport.server.ts";
import { buildMdmT02, parseMdmT02, readAck } from "./mdm.ts";
import {
  hybridMailSummary,
  postalAddressColumns,
  postListRows,
  takePostList,
} from "./post-list.server.ts";
import { pollReadReceipts } from "./read-receipts.server.ts";
import { sendHybridMail } from "./send.server.ts";

/**
 * Hybrid mail against the PKB sandbox's HL7 intake and $read-receipt-query over HTTP: documents
 * built and parsed back with @medplum/core, ACKs read (AA and AE), a lost ACK retried with the
 * same TXA-12.1 (PKB holds one document), receipts asked in chunks of at most 5000, and the post
 * list holding exactly the letters still unread N hours after sending.
 */
withTestDatabase();
let pkb: TestSandbox;
let connectionId: string;
const HOUR = 3_600_000;

beforeAll(async () => {
  pkb = await startTestSandbox({ patients: 400 });
  forgetCampaignFacades();
  connectionId = await sandboxConnection(pkb.sandbox.url, pkb.trustPublicId);
});
afterAll(async () => {
  setClock(systemClock);
  await pkb?.close();
});

function sandboxTransport(): Hl7Transport {
  return httpHl7Transport({
    webBaseUrl: pkb.sandbox.url,
    clientId: "pkb-desk-system",
    clientSecret: "pkb-desk-system-secret",
    organisationPublicId: pkb.trustPublicId,
  });
}

async function sandboxDocuments(): Promise<Array<{ identifier: string; readAt: string | null }>> {
  return (await pkb.admin("GET", "/documents?limit=100000")).documents;
}

describe("MDM^T02 and ACK", () => {
  it("builds an MDM^T02 that parses back, with the letter and no date of birth", () => {
    const documentId = randomUUID();
    const text = buildMdmT02({
      documentId,
      controlId: "c-1",
      organisationPublicId: "org",
      identifierKind: "NHS",
      nationalId: "9434765919",
      givenName: "Ann|e",
      familyName: "O'Neil",
      title: "Invitation",
      lines: ["Dear Ann|e,", "Invitation code: AB^CD~EF&G\\H", "", "Last line"],
      at: new Date("2026-12-05T09:00:00Z"),
    });
    const parsed = parseMdmT02(text);
    expect(parsed).toMatchObject({
      messageType: "MDM^T02^MDM_T02",
      documentId,
      nationalId: "9434765919",
      assigningAuthority: "NHS",
      dateOfBirth: "",
    });
    expect(parsed.text).toBe("Dear Ann|e,\nInvitation code: AB^CD~EF&G\\H\n\nLast line");
  });

  it("reads AA/CA as accepted and AE/AR as refused with the reason", () => {
    const ack = (code: string, text: string) =>
      `MSH|^~\\&|PKB|PKB|A|B|20261205||ACK^T02^ACK|x|P|2.4\rMSA|${code}|c-1|${text}\r`;
    expect(readAck(ack("AA", "Document filed"))).toEqual({ kind: "accepted", code: "AA" });
    expect(readAck(ack("CA", ""))).toEqual({ kind: "accepted", code: "CA" });
    expect(readAck(ack("AE", "Patient not found (PID-3)"))).toEqual({
      kind: "rejected",
      code: "AE",
      reason: "Patient not found (PID-3)",
      duplicate: false,
    });
    expect(readAck(ack("AE", "Duplicate document: TXA-12.1 already received"))).toMatchObject({
      duplicate: true,
    });
    expect(() => readAck("MSH|^~\\&|PKB\r")).toThrow(/MSA/);
  });
});

describe("hybrid mail against the sandbox", () => {
  it("sends each letter once, handles AE and a lost ACK, polls receipts and lists exactly the unread", async () => {
    setClock(systemClock);
    const campaignId = await campaignWithTokens(
      connectionId,
      await sandboxCsv(pkb, "eligible", 25),
    );
    const db = await prisma();
    await db.hybridMailSetting.create({ data: { campaignId, postAfterHours: 72 } });
    // The campaign's own letter template is what PKB shows online.
    await saveTemplate(
      campaignId,
      {
        channel: "LETTER",
        subject: "Joining Patients Know Best",
        body: DEFAULT_TEMPLATES.LETTER.body.replace(
          "The Patient Engagement Team",
          "The Outpatients Team (hybrid mail)",
        ),
      },
      { actor: { id: null, label: "test" }, clientAddress: null },
    );
    const recipients = await db.recipient.findMany({
      where: { campaignId, state: "TOKEN_ISSUED" },
      orderBy: { nationalId: "asc" },
    });
    expect(recipients.length).toBeGreaterThan(10);
    // One patient's record has since moved to another organisation: PKB refuses their letter (AE).
    const noAccess = (await pkb.admin("GET", "/patients?category=no-access&limit=1")).patients[0];
    const refused = recipients[0]!;
    await db.recipient.update({
      where: { id: refused.id },
      data: { nationalId: noAccess.identifier.value },
    });

    // The ACKs of the first three letters are lost on the way back (PKB filed them).
    const real = sandboxTransport();
    const sent: string[] = [];
    let lost = 0;
    const lossy: Hl7Transport = {
      async send(message) {
        sent.push(message);
        const answer = await real.send(message);
        if (parseMdmT02(message).nationalId !== refused.nationalId && lost < 3) {
          lost++;
          throw new Hl7NoAnswerError("PKB's HL7 intake did not answer in time");
        }
        return answer;
      },
    };
    const clock = new FakeClock(new Date());
    setClock(clock);
    const first = await sendHybridMail(campaignId, { transport: lossy, concurrency: 1 });
    expect(first.claimed).toBe(recipients.length);
    expect(first.noAnswer).toBe(1); // the run stops at the first silence
    const pending = await db.hybridMailDocument.findMany({
      where: { campaignId, state: "PENDING" },
    });
    expect(pending.length).toBeGreaterThan(0);
    const pendingIds = new Set(pending.map((doc) => doc.documentId));

    // Retried until every letter has an answer; a PENDING letter keeps its TXA-12.1.
    for (let run = 0; run < 5; run++) {
      const again = await sendHybridMail(campaignId, { transport: lossy, concurrency: 1 });
      expect(again.claimed).toBe(0);
      if (again.noAnswer === 0) break;
    }
    const docs = await db.hybridMailDocument.findMany({ where: { campaignId } });
    expect(docs).toHaveLength(recipients.length);
    for (const doc of docs.filter((d) => pendingIds.has(d.documentId))) {
      expect(doc.state === "ACCEPTED" || doc.recipientId === refused.id).toBe(true);
    }
    const rejected = docs.filter((doc) => doc.state === "REJECTED");
    expect(rejected.map((doc) => doc.recipientId)).toEqual([refused.id]);
    expect(rejected[0]!.reason).toMatch(/^AE: .*no access/i);
    expect(docs.filter((doc) => doc.state === "ACCEPTED")).toHaveLength(recipients.length - 1);

    // Every message: the TXA-12.1 of its row, the letter's codes and expiry, never the DOB.
    for (const message of sent) {
      const parsed = parseMdmT02(message);
      expect(docs.some((doc) => doc.documentId === parsed.documentId)).toBe(true);
      expect(parsed.text).toContain("Joining Patients Know Best");
      expect(parsed.text).toContain("The Outpatients Team (hybrid mail)");
      expect(parsed.text).toMatch(/Invitation code: \w{10}/);
      expect(parsed.text).toMatch(/stop working on \d{1,2} \w+ \d{4}/);
      expect(parsed.dateOfBirth).toBe("");
      const recipient = recipients.find((r) => r.nationalId === parsed.nationalId);
      if (recipient?.dateOfBirth) {
        const dob = recipient.dateOfBirth.toISOString().slice(0, 10);
        expect(message).not.toContain(dob);
        expect(message).not.toContain(dob.replace(/-/g, ""));
      }
    }
    // PKB holds exactly one document per accepted letter, lost ACKs included.
    const held = (await sandboxDocuments()).filter((doc) =>
      docs.some((d) => d.documentId === doc.identifier),
    );
    expect(held.map((doc) => doc.identifier).sort()).toEqual(
      docs
        .filter((doc) => doc.state === "ACCEPTED")
        .map((doc) => doc.documentId)
        .sort(),
    );

    // Some read in PKB; the rest still unread when the 72 hours pass.
    const accepted = docs.filter((doc) => doc.state === "ACCEPTED");
    const readOnes = accepted.slice(0, 4).map((doc) => doc.documentId);
    await pkb.admin("POST", "/documents/read", { documentIdentifiers: readOnes });
    await pkb.clearCalls();
    const polled = await pollReadReceipts(campaignId, await campaignReadReceipts(campaignId), {
      chunkSize: 5,
    });
    expect(polled).toMatchObject({ asked: accepted.length, read: 4 });
    expect(polled.calls).toBe(Math.ceil(accepted.length / 5));
    const log = await pkb.admin("GET", "/calls");
    expect(log.endpoints["facade.read-receipt-query"].maxIdentifiers).toBeLessThanOrEqual(5);

    // Before the deadline nothing is due; after it, exactly the unread accepted ones.
    clock.advance(71 * HOUR);
    expect((await hybridMailSummary(campaignId))?.unreadPastDeadline).toBe(0);
    clock.advance(2 * HOUR);
    const summary = await hybridMailSummary(campaignId);
    expect(summary).toMatchObject({
      accepted: accepted.length,
      rejected: 1,
      read: 4,
      unreadPastDeadline: accepted.length - 4,
      postageAvoided: 4,
      posted: 0,
    });
    const list = await takePostList(campaignId, CONTEXT);
    expect(list?.count).toBe(accepted.length - 4);
    const rows = [];
    for await (const row of postListRows(campaignId, list!.listedAt)) rows.push(row.documentId);
    expect(rows.sort()).toEqual(
      accepted
        .filter((doc) => !readOnes.includes(doc.documentId))
        .map((doc) => doc.documentId)
        .sort(),
    );
    // Taken once: a second list is empty, and the taking is audited.
    expect((await takePostList(campaignId, CONTEXT))?.count).toBe(0);
    expect(await hybridMailSummary(campaignId)).toMatchObject({
      unreadPastDeadline: 0,
      posted: accepted.length - 4,
      postageAvoided: 4,
    });
    expect(
      await db.auditEvent.count({
        where: { entityId: campaignId, action: "campaign.hybrid-mail-post-list" },
      }),
    ).toBe(2);
    setClock(systemClock);
  }, 120_000);

  it("gives the printer four address lines, blank ones closed up, then the postcode", () => {
    expect(
      postalAddressColumns({
        addressLine1: "Flat 2",
        addressLine2: "  ",
        addressLine3: "1 High Street",
        addressLine4: "Leeds",
        postcode: "LS1 4AB",
      }),
    ).toEqual(["Flat 2", "1 High Street", "Leeds", "", "LS1 4AB"]);
    expect(
      postalAddressColumns({
        addressLine1: null,
        addressLine2: null,
        addressLine3: null,
        addressLine4: null,
        postcode: null,
      }),
    ).toEqual(["", "", "", "", ""]);
  });

  it("asks about at most 5000 documents per read-receipt call", async () => {
    setClock(systemClock);
    const campaignId = await campaignWithTokens(
      connectionId,
      await sandboxCsv(pkb, "eligible", 3, 100),
    );
    const db = await prisma();
    const recipient = await db.recipient.findFirstOrThrow({ where: { campaignId } });
    // 5003 accepted letters (one recipient over many rounds keeps the rows cheap to write).
    await db.$executeRaw`
      INSERT INTO "HybridMailDocument" ("id", "campaignId", "recipientId", "inviteRound", "documentId", "state", "sentAt", "createdAt")
      SELECT gen_random_uuid(), ${campaignId}::uuid, ${recipient.id}::uuid, g, gen_random_uuid()::text, 'ACCEPTED', now(), now()
      FROM generate_series(1, 5003) AS g`;
    await pkb.clearCalls();
    const polled = await pollReadReceipts(campaignId, await campaignReadReceipts(campaignId));
    expect(polled).toMatchObject({ asked: 5003, read: 0, calls: 2 });
    const log = await pkb.admin("GET", "/calls");
    expect(log.endpoints["facade.read-receipt-query"]).toMatchObject({
      calls: 2,
      maxIdentifiers: 5000,
    });
  }, 120_000);
});
