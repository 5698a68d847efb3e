import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../../tests/support/database.ts";
import { offlineConnection } from "../../testing.server.ts";
import { createFileBatch, DeliveryActionError } from "../delivery.server.ts";
import { deliveryContext } from "../recipient-content.server.ts";
import { seedGeneratedCampaign } from "../testing.server.ts";
import { messageExportCsv } from "../export/export-csv.server.ts";
import { batchRecipients } from "./letter-rows.server.ts";
import { createLetterDocument, writeLetters } from "./letter-pdf.server.ts";
import { mergeCsv } from "./merge-csv.server.ts";

/**
 * Letters and file exports: one batch claims every addressable patient once, the PDF holds their
 * codes and expiry but never a date of birth (read back from the uncompressed PDF's text), and
 * the merge file neutralises spreadsheet formulas (H7).
 */
withTestDatabase();
const context = { actor: { id: null, label: "tester@example.nhs.uk" }, clientAddress: null };

/** The text of an uncompressed pdfkit PDF: its TJ arrays' hex strings, decoded (WinAnsi). */
export function pdfText(pdf: Buffer): string {
  const source = pdf.toString("latin1");
  const out: string[] = [];
  for (const match of source.matchAll(/\[((?:<[0-9a-fA-F]*>\s*-?[\d.]*\s*)+)\]\s*TJ/g)) {
    const hexes = [...match[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((m) => m[1]!);
    out.push(hexes.map((h) => Buffer.from(h, "hex").toString("latin1")).join(""));
  }
  return out.join("\n");
}

async function collect(text: AsyncIterator<string>): Promise<string> {
  let all = "";
  for (;;) {
    const next = await text.next();
    if (next.done) return all;
    all += next.value;
  }
}

async function renderPdf(campaignId: string, batchId: string): Promise<Buffer> {
  const ctx = await deliveryContext(campaignId);
  const doc = createLetterDocument({
    compress: false,
    qr: true,
    date: new Date("2026-12-05"),
    trustName: ctx.trustName,
  });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on("data", (c: Buffer) => chunks.push(c));
  doc.pipe(sink);
  const ended = new Promise((resolve) => sink.on("end", resolve));
  const rows = (async function* () {
    for await (const { row } of batchRecipients(campaignId, "LETTER", batchId, ctx)) yield row;
  })();
  const pages = await writeLetters(doc, ctx.templates.LETTER, rows, {
    compress: false,
    qr: true,
    date: new Date("2026-12-05"),
    trustName: ctx.trustName,
  });
  await ended;
  expect(pages).toBeGreaterThan(0);
  return Buffer.concat(chunks);
}

describe("letters", () => {
  it("prints codes, link and expiry for each addressable patient, never the date of birth, once", async () => {
    const connectionId = await offlineConnection();
    const { campaignId, codes } = await seedGeneratedCampaign(
      connectionId,
      [
        { givenName: "Ada", familyName: "Lovelace", dateOfBirth: new Date("1815-12-10") },
        { givenName: "Bo", familyName: "NoAddress", address: [], postcode: null },
        { givenName: "Cy", familyName: "Smith", dateOfBirth: new Date("1972-03-09") },
      ],
      { expiresAt: new Date("2027-01-04T12:00:00Z") },
    );
    const batch = await createFileBatch(campaignId, "LETTER", context);
    expect(batch.count).toBe(2);
    // A second batch finds nobody: at most one letter per patient and round (H4).
    await expect(createFileBatch(campaignId, "LETTER", context)).rejects.toBeInstanceOf(
      DeliveryActionError,
    );
    const pdf = await renderPdf(campaignId, batch.batchId);
    // One A4 page per letter: the footer once spilled onto a page of its own.
    expect(pdf.toString("latin1").match(/\/Type \/Page\b/g)).toHaveLength(2);
    const text = pdfText(pdf);
    expect(text).toContain("Dear Ada Lovelace,");
    expect(text).toContain(codes[0]!.t1);
    expect(text).toContain(codes[2]!.t2);
    expect(text).toContain("4 January 2027");
    expect(text).toContain("EX1 2AB");
    expect(text).not.toContain("NoAddress");
    for (const dob of ["1815", "10/12", "10 December", "1972", "09/03", "9 March"]) {
      expect(text).not.toContain(dob);
    }
    const db = await prisma();
    expect(
      await db.invitationDispatch.count({
        where: { campaignId, channel: "LETTER", state: "SENT" },
      }),
    ).toBe(2);
  });

  it("neutralises cells starting = + - @ tab or CR in the merge file and the SMS export", async () => {
    const connectionId = await offlineConnection();
    const { campaignId } = await seedGeneratedCampaign(connectionId, [
      {
        givenName: '=HYPERLINK("http://x")',
        familyName: "A",
        address: ["+1 Evil Road", "-2", "@3", "\tTab"],
        postcode: "\rCR1 1AA",
      },
    ]);
    const batch = await createFileBatch(campaignId, "LETTER", context);
    const csv = await collect(await mergeCsv(campaignId, batch.batchId));
    const row = csv.split("\r\n")[1]!;
    for (const cell of ["'+1 Evil Road", "'-2", "'@3", "'\tTab"]) expect(row).toContain(cell);
    expect(csv).toContain("'\rCR1 1AA");
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
    const sms = await createFileBatch(campaignId, "SMS", context);
    const exported = await collect(await messageExportCsv(campaignId, "SMS", sms.batchId));
    expect(exported.split("\r\n")[0]).toBe("reference,phone_number,message_1_codes,message_2_link");
    expect(exported).toContain("'+447700910000");
  });
});
