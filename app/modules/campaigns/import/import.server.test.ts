import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { signedInAs } from "../../../../tests/support/requests.ts";
import { createCampaign } from "../campaigns.server.ts";
import { syntheticNhsNumber } from "../test-support.ts";
import { offlineConnection } from "../testing.server.ts";
import { errorReportCsv } from "./error-report.server.ts";
import { guessMapping, type ColumnMapping } from "./fields.ts";
import { acceptMapping } from "./import.server.ts";
import { IMPORT_MESSAGES, MAX_CELL_CHARS, ROWS_PER_CHUNK, runImport } from "./run-import.server.ts";
import { REFUSALS } from "./sniff.ts";
import { storeUpload, UPLOAD_MESSAGES, UploadRefused } from "./upload.server.ts";
import { MESSAGES } from "./validate-row.ts";

withTestDatabase();

const A = syntheticNhsNumber(1);
const B = syntheticNhsNumber(2);
const C = syntheticNhsNumber(3);
const D = syntheticNhsNumber(4);

async function newCampaign(identifierKind: "NHS" | "CHI" | "HC" = "NHS") {
  const user = await signedInAs("CAMPAIGN_MANAGER");
  const actor = { id: user.userId, label: user.email };
  const campaign = await createCampaign(
    {
      name: `Campaign ${randomUUID()}`,
      pkbConnectionId: await offlineConnection(),
      channel: "SMS",
      identifierKind,
      teamCode: null,
    },
    { actor, clientAddress: null },
  );
  return { campaign, actor };
}

async function* bytesOf(content: Uint8Array, pieceSize = 7_000) {
  for (let offset = 0; offset < content.length; offset += pieceSize) {
    yield content.subarray(offset, offset + pieceSize);
  }
}

/** Uploads `content`, maps its columns (guessed from the headers unless given) and imports it. */
async function importList(
  content: string | Uint8Array,
  options: { kind?: "NHS" | "CHI" | "HC"; mapping?: ColumnMapping } = {},
) {
  const { campaign, actor } = await newCampaign(options.kind);
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const stored = await storeUpload(campaign.id, "list.csv", bytesOf(bytes), actor.id);
  await acceptMapping(
    campaign.id,
    stored.importId,
    options.mapping ?? guessMapping(stored.headers),
    undefined,
    { actor, clientAddress: null },
  );
  await runImport(stored.importId);
  const db = await prisma();
  const result = await db.campaignImport.findUniqueOrThrow({ where: { id: stored.importId } });
  const recipients = await db.recipient.findMany({
    where: { campaignId: campaign.id },
    orderBy: { sourceRow: "asc" },
  });
  const errors = await db.importRowError.findMany({
    where: { importId: stored.importId },
    orderBy: { id: "asc" },
  });
  const after = await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
  return { stored, result, recipients, errors, campaign: after };
}

async function refusal(content: string | Uint8Array, maxBytes?: number): Promise<string> {
  const { campaign, actor } = await newCampaign();
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const error = await storeUpload(campaign.id, "x.csv", bytesOf(bytes), actor.id, {
    maxBytes,
  }).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UploadRefused);
  // Nothing is left behind by a refused upload.
  expect(await (await prisma()).campaignImport.count({ where: { campaignId: campaign.id } })).toBe(
    0,
  );
  return (error as Error).message;
}

const ids = (recipients: Array<{ nationalId: string }>) => recipients.map((r) => r.nationalId);

describe("refused uploads (the message the user sees)", () => {
  it("refuses an empty file", async () => {
    expect(await refusal("")).toBe(REFUSALS.empty);
  });
  it("refuses a header-only file", async () => {
    expect(await refusal("NHS number,Given name\r\n")).toBe(UPLOAD_MESSAGES.headerOnly);
  });
  it("refuses duplicate columns, whatever their case", async () => {
    expect(await refusal(`NHS number,Mobile,nhs number\n${A},,\n`)).toBe(
      UPLOAD_MESSAGES.duplicateHeader("nhs number"),
    );
  });
  it("refuses a zip or xlsx renamed to .csv", async () => {
    const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100, 1)]);
    expect(await refusal(xlsx)).toBe(REFUSALS.zip);
  });
  it("refuses an old .xls workbook", async () => {
    expect(await refusal(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))).toBe(
      REFUSALS.xls,
    );
  });
  it("refuses NUL bytes in a text file", async () => {
    expect(await refusal(`NHS number\n${A}\u0000\n${B}\n`)).toBe(REFUSALS.nul);
  });
  it("refuses binary data", async () => {
    const binary = Buffer.from(Array.from({ length: 400 }, (_, index) => (index * 37) % 32 || 1));
    expect(await refusal(binary)).toBe(REFUSALS.binary);
  });
  it("refuses a file over the size cap", async () => {
    expect(await refusal(`NHS number\n${`${A}\n`.repeat(2000)}`, 10_000)).toBe(
      UPLOAD_MESSAGES.tooLarge(10_000),
    );
  });
  it("refuses an encoding it cannot read", async () => {
    const chinese = iconv.encode(
      "患者番号,氏名,住所\n9434765919,山田太郎,东京都千代田区\n9999999999,佐藤花子,大阪府大阪市北区\n".repeat(
        5,
      ),
      "GB18030",
    );
    expect(await refusal(chinese)).toMatch(
      /^The file’s character encoding \(it looks like .+\) is not one the portal reads/,
    );
  });
});

describe("column mapping", () => {
  it("finds reordered, mis-cased columns by name", () => {
    expect(guessMapping(["MOBILE", "surname", "Forename", "nhs  Number", "D.O.B"])).toEqual({
      identifier: "nhs  Number",
      givenName: "Forename",
      familyName: "surname",
      mobile: "MOBILE",
      dateOfBirth: "D.O.B",
    });
  });
  it("imports reordered, mis-cased columns", async () => {
    const { recipients } = await importList(`MOBILE,surname,nhs NUMBER\n07700 900001,Smith,${A}\n`);
    expect(recipients.map((r) => [r.nationalId, r.familyName, r.mobile])).toEqual([
      [A, "Smith", "+447700900001"],
    ]);
  });
});

describe("bad rows are reported and good rows of the same file kept", () => {
  it("reads UTF-8 with a byte-order mark", async () => {
    const { stored, recipients } = await importList(`\uFEFFNHS number,Given name\n${A},Zoë\n`);
    expect(stored.headers).toEqual(["NHS number", "Given name"]);
    expect(recipients[0]?.givenName).toBe("Zoë");
  });

  it("reads Windows-1252 with ; delimiters", async () => {
    const bytes = iconv.encode(
      `NHS number;Given name;Family name\r\n${A};José;Müller\r\n${B};Chloë;O’Brien\r\n4857773456;Bad;Row\r\n`,
      "win1252",
    );
    const { stored, recipients, errors } = await importList(bytes);
    expect([stored.encoding, stored.delimiter]).toEqual(["windows-1252", ";"]);
    expect(recipients.map((r) => `${r.givenName} ${r.familyName}`)).toEqual([
      "José Müller",
      "Chloë O’Brien",
    ]);
    expect(errors.map((e) => [e.rowNumber, e.field, e.reason])).toEqual([
      [4, "identifier", MESSAGES.checkDigit("NHS number")],
    ]);
  });

  it("reads UTF-16 with and without a byte-order mark, and tab delimiters", async () => {
    const text = `NHS number\tGiven name\r\n${A}\tŁucja\r\n${B}\tSiân\r\n`;
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, "utf-16le")]),
      iconv.encode(text, "utf-16le"),
      Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, "utf-16be")]),
    ]) {
      const { stored, recipients } = await importList(bytes);
      expect(stored.delimiter).toBe("\t");
      expect(recipients.map((r) => r.givenName)).toEqual(["Łucja", "Siân"]);
    }
  });

  it("takes mixed CRLF/LF line ends and quoted newlines", async () => {
    const { recipients, result } = await importList(
      `NHS number,Given name\r\n${A},Ann\n${B},"Mary\nJane"\r\n${C},Cy\n`,
    );
    expect(recipients.map((r) => [r.nationalId, r.givenName, r.sourceRow])).toEqual([
      [A, "Ann", 2],
      [B, "Mary Jane", 3],
      [C, "Cy", 4],
    ]);
    expect(result.rowsRead).toBe(3);
  });

  it("names a stray quote and keeps the rows around it", async () => {
    const { recipients, errors } = await importList(
      `NHS number,Given name\n${A},Ann\n"${B}"x,Bob\n${C},Cy\n`,
    );
    expect(ids(recipients)).toEqual([A, C]);
    // Quotes inside a cell are read as text, so the damaged number is named as such.
    expect(errors.map((e) => [e.rowNumber, e.field, e.reason])).toEqual([
      [3, "identifier", MESSAGES.identifierNotDigits("NHS number")],
    ]);
  });

  it("names a quote that never closes and keeps the rows before it", async () => {
    const { recipients, errors } = await importList(
      `NHS number,Given name\n${A},Ann\n${B},"Bob\n${C},Cy\n`,
    );
    expect(ids(recipients)).toEqual([A]);
    expect(errors.map((e) => [e.rowNumber, e.reason])).toEqual([
      [3, IMPORT_MESSAGES.quoteNotClosed],
    ]);
  });

  it("names ragged rows", async () => {
    const { recipients, errors } = await importList(
      `NHS number,Given name,Mobile\n${A},Ann,\n${B},Bob\n${C},Cy,,extra\n${D},Di,,\n`,
    );
    expect(ids(recipients)).toEqual([A, D]);
    expect(errors.map((e) => [e.rowNumber, e.reason])).toEqual([
      [3, IMPORT_MESSAGES.ragged(2, 3)],
      [4, IMPORT_MESSAGES.ragged(4, 3)],
    ]);
  });

  it("names enormous fields", async () => {
    const { recipients, errors } = await importList(
      `NHS number,Given name\n${A},${"x".repeat(50_000)}\n${B},Bob\n`,
    );
    expect(ids(recipients)).toEqual([B]);
    expect(errors.map((e) => [e.rowNumber, e.field, e.reason])).toEqual([
      [2, "givenName", IMPORT_MESSAGES.cellTooLong("Given name", 50_000)],
    ]);
    expect(MAX_CELL_CHARS).toBeLessThan(50_000);
  });

  it("collapses duplicates and flags conflicting ones for a person", async () => {
    const { recipients, result } = await importList(
      `NHS number,Given name,Date of birth\n${A},Ann,01/02/1980\n${A},ANN,01/02/1980\n${B},Bob,03/04/1970\n${B},Rob,03/04/1970\n`,
    );
    expect(recipients.map((r) => [r.nationalId, r.state, r.reviewReason])).toEqual([
      [A, "IMPORTED", null],
      [B, "NEEDS_REVIEW", IMPORT_MESSAGES.duplicateConflict(4, 5)],
    ]);
    expect([result.rowsAccepted, result.duplicatesCollapsed, result.rowsFlagged]).toEqual([
      2, 2, 1,
    ]);
  });

  it("collapses and flags duplicates whose rows fall in different chunks of a long list", async () => {
    // Row 2 and row ROWS_PER_CHUNK + 3 are the same patient with different names; a bad quote
    // after them stops the file, numbered by its own row however far the writer has got.
    const filler = Array.from(
      { length: ROWS_PER_CHUNK },
      (_, index) => `${syntheticNhsNumber(100 + index)},Filler`,
    );
    const { recipients, result, errors } = await importList(
      `NHS number,Given name\n${A},Ann\n${filler.join("\n")}\n${A},Anna\n${A},Ann\n${B},"Bob\n`,
    );
    const lastRow = ROWS_PER_CHUNK + 4;
    expect(recipients).toHaveLength(ROWS_PER_CHUNK + 1);
    expect(
      recipients
        .filter((r) => r.state === "NEEDS_REVIEW")
        .map((r) => [r.nationalId, r.reviewReason]),
    ).toEqual([[A, IMPORT_MESSAGES.duplicateConflict(2, lastRow - 1)]]);
    expect([
      result.rowsRead,
      result.rowsAccepted,
      result.duplicatesCollapsed,
      result.rowsFlagged,
    ]).toEqual([ROWS_PER_CHUNK + 4, ROWS_PER_CHUNK + 1, 2, 1]);
    expect(errors.map((e) => [e.rowNumber, e.reason])).toEqual([
      [lastRow + 1, IMPORT_MESSAGES.quoteNotClosed],
    ]);
  });

  it("flags a mobile or e-mail shared by several patients (H3)", async () => {
    const { recipients } = await importList(
      `NHS number,Mobile,Email\n${A},07700 900001,a@example.com\n${B},+44 7700 900001,b@example.com\n${C},07700900001,shared@example.com\n${D},07700 900002,SHARED@example.com\n`,
    );
    expect(recipients.map((r) => [r.state, r.reviewReason])).toEqual([
      ["NEEDS_REVIEW", IMPORT_MESSAGES.sharedMobile(3)],
      ["NEEDS_REVIEW", IMPORT_MESSAGES.sharedMobile(3)],
      ["NEEDS_REVIEW", IMPORT_MESSAGES.sharedMobile(3)],
      ["NEEDS_REVIEW", IMPORT_MESSAGES.sharedEmail(2)],
    ]);
  });

  it("names spreadsheet damage: scientific notation, a CHI number's lost zero, date serials", async () => {
    const nhs = await importList(
      `NHS number,Date of birth\n9.43E+09,\n${A},44197\n${B},01/01/1990\n`,
    );
    expect(ids(nhs.recipients)).toEqual([B]);
    expect(nhs.errors.map((e) => [e.rowNumber, e.field, e.maskedValue, e.reason])).toEqual([
      [2, "identifier", "*****+09", MESSAGES.identifierScientific("NHS number")],
      [3, "dateOfBirth", "#####", MESSAGES.dobSerial],
    ]);
    const chi = await importList(`CHI number\n101011237\n0101011237\n1904851232\n`, {
      kind: "CHI",
    });
    expect(ids(chi.recipients)).toEqual(["0101011237"]);
    expect(chi.errors.map((e) => [e.rowNumber, e.reason])).toEqual([
      [2, MESSAGES.chiLostZero],
      [4, MESSAGES.checkDigit("CHI number")],
    ]);
  });

  it("accepts NHS numbers with spaces, dashes and Unicode oddities; names a wrong check digit", async () => {
    const fullWidth = A.replace(/\d/g, (digit) => String.fromCharCode(0xff10 + Number(digit)));
    const { recipients, errors } = await importList(
      `NHS number,Given name\n${A.slice(0, 3)} ${A.slice(3, 6)} ${A.slice(6)},Ann\n${B.slice(0, 3)}-${B.slice(3, 6)}-${B.slice(6)},Bob\n${fullWidth}\u00a0,\u202eCy\u200b\n\u200b${C},Di\n9876544321,Ed\n`,
    );
    expect(recipients.map((r) => [r.nationalId, r.givenName])).toEqual([
      [A, "Ann"],
      [B, "Bob"],
      [C, "Di"],
    ]);
    // Row 4 is A again (full-width digits): a duplicate with another name, flagged for a person.
    expect(recipients[0]!.reviewReason).toBe(IMPORT_MESSAGES.duplicateConflict(2, 4));
    expect(errors.map((e) => [e.rowNumber, e.maskedValue, e.reason])).toEqual([
      [6, "******4321", MESSAGES.checkDigit("NHS number")],
    ]);
  });

  it("turns UK mobiles in every common format into E.164 and names a landline", async () => {
    const formats = [
      "07700 900101",
      "07700900102",
      "+447700900103",
      "+44 (0)7700 900104",
      "447700900105",
      "(07700) 900 106",
      "07911 123456",
    ];
    const rows = formats.map((mobile, index) => `${syntheticNhsNumber(10 + index)},"${mobile}"`);
    const { recipients, errors } = await importList(
      `NHS number,Mobile\n${rows.join("\n")}\n${D},0161 496 0000\n${C},+33 6 12 34 56 78\n`,
    );
    expect(recipients.map((r) => r.mobile)).toEqual([
      "+447700900101",
      "+447700900102",
      "+447700900103",
      "+447700900104",
      "+447700900105",
      "+447700900106",
      "+447911123456",
    ]);
    expect(errors.map((e) => [e.rowNumber, e.field, e.maskedValue, e.reason])).toEqual([
      [9, "mobile", "********000", MESSAGES.landline],
      [10, "mobile", "********678", MESSAGES.mobileNotUk],
    ]);
  });

  it("keeps a formula in a name as text and the error report cannot run it (H7)", async () => {
    const { stored, recipients, errors } = await importList(
      `NHS number,Given name\n${A},=HYPERLINK("http://x")\n4857773456,=cmd|' /C calc'!A0\n`,
    );
    expect(recipients[0]?.givenName).toBe('=HYPERLINK("http://x")');
    expect(errors).toHaveLength(1);
    let report = "";
    for await (const part of errorReportCsv(stored.importId)) report += part;
    expect(report).toBe(
      `Row,Field,Value (masked),Problem\r\n3,Patient identifier,******3456,"${MESSAGES.checkDigit("NHS number")}"\r\n`,
    );
  });

  it("finishes the campaign's import and deletes the raw file", async () => {
    const { stored, campaign, result } = await importList(`NHS number\n${A}\n`);
    expect(campaign.state).toBe("DRAFT");
    expect(result.state).toBe("DONE");
    const db = await prisma();
    expect(await db.campaignUploadChunk.count({ where: { importId: stored.importId } })).toBe(0);
    const audit = await db.auditEvent.findMany({
      where: { entityId: campaign.id },
      orderBy: { id: "asc" },
    });
    expect(audit.map((event) => event.action)).toEqual([
      "campaign.create",
      "campaign.start-import",
      "campaign.import-finished",
    ]);
  });
});
