import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse, type InfoRecord, type Options } from "csv-parse";
import iconv from "iconv-lite";
import type { Prisma } from "~/generated/prisma/client.ts";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import type { NationalIdKind } from "~/modules/pkb/identifiers.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { transitionCampaign } from "../lifecycle.server.ts";
import { IMPORT_FIELDS, type ColumnMapping, type ImportField } from "./fields.ts";
import { maskValue } from "./mask.ts";
import { readUpload } from "./upload.server.ts";
import { validateRow, type RowProblem, type ValidRecipient } from "./validate-row.ts";

/**
 * Imports one uploaded list: streams it (memory bounded by two chunks of rows, never by the file),
 * validates each row, collapses duplicates and writes each chunk — recipients, row errors and the
 * resume cursor — in one transaction. A worker killed mid-file re-runs from the last committed
 * chunk, so no row is lost or counted twice.
 *
 * Throughput (docs/decisions/0013): while one chunk is being written the next one is parsed and
 * validated (at most one write in flight, so chunks still commit in file order), and each chunk
 * costs a fixed handful of set-based statements whatever its size or number of duplicates.
 */
export const ROWS_PER_CHUNK = 5000;
/** A cell longer than this is refused (names, numbers and addresses are far shorter). */
export const MAX_CELL_CHARS = 1000;
/** A record longer than this stops the parser (memory guard against a quote that never closes). */
const MAX_RECORD_BYTES = 1024 * 1024;

export const IMPORT_MESSAGES = {
  ragged: (cells: number, columns: number) =>
    `This row has ${cells} cells but the header has ${columns}; a delimiter is missing or extra`,
  cellTooLong: (header: string, length: number) =>
    `The value in column “${header}” is ${length} characters long; the limit is ${MAX_CELL_CHARS}`,
  quoteNotClosed:
    'A quote (") opens in this row and is never closed, so the rest of the file could not be read. Fix the quote and upload the remaining rows again.',
  badQuote: 'This row has a quote (") in the wrong place, so its cells could not be told apart',
  recordTooLarge:
    "This row is larger than 1 MB (usually a quote that is never closed), so the rest of the file could not be read. Fix the row and upload the remaining rows again.",
  unreadable: (detail: string) => `This row could not be read as CSV (${detail})`,
  duplicateConflict: (firstRow: number, row: number) =>
    `Listed more than once with different details (rows ${firstRow} and ${row}); check which is right`,
  sharedMobile: (count: number) =>
    `The mobile number is shared with ${count - 1} other patient${count > 2 ? "s" : ""} in this campaign`,
  sharedEmail: (count: number) =>
    `The e-mail address is shared with ${count - 1} other patient${count > 2 ? "s" : ""} in this campaign`,
} as const;

interface RowError {
  row: number;
  field: ImportField | "row";
  value: string;
  reason: string;
}

interface GoodRow {
  row: number;
  recipient: ValidRecipient;
}

interface ParsedRecord {
  record: string[];
  /** spreadsheet row number: the header is row 1 */
  row: number;
  /** file line the record ends on (the resume cursor) */
  line: number;
}

interface SkippedRecord {
  row: number;
  line: number;
  reason: string;
}

interface Chunk {
  good: GoodRow[];
  errors: RowError[];
  rowsRead: number;
  lastLine: number;
  lastRow: number;
}

const KINDS: Record<"NHS" | "CHI" | "HC", NationalIdKind> = { NHS: "nhs", CHI: "chi", HC: "hc" };

export async function runImport(importId: string): Promise<void> {
  const db = await prisma();
  const started = await db.campaignImport.findUnique({
    where: { id: importId },
    include: { campaign: { select: { id: true, identifierKind: true, state: true } } },
  });
  if (!started || started.state === "DONE" || started.state === "FAILED") return;
  if (started.state === "UPLOADED") throw new Error("import has no column mapping yet");
  const campaignId = started.campaign.id;
  if (started.campaign.state !== "IMPORTING") {
    await failImport(importId, "The campaign was cancelled before the list was imported.");
    return;
  }
  await db.campaignImport.update({
    where: { id: importId },
    data: { state: "RUNNING", startedAt: started.startedAt ?? now() },
  });

  const kind = KINDS[started.campaign.identifierKind];
  const mapping = (started.mapping ?? {}) as ColumnMapping;
  const columns = columnIndexes(started.headers, mapping);
  const today = now().toISOString().slice(0, 10);
  const resumeLine = started.resumeLine;
  // Rows already committed by an earlier run are skipped by file line (the resume cursor).
  let chunk: Chunk = emptyChunk(started.resumeRow, resumeLine);

  // Spreadsheet row numbers are counted as the parser meets each record (header = row 1), in
  // its own callbacks, so a record the parser skips gets its row number in file order whatever
  // the reading loop below has caught up with.
  let parsedRows = 0;
  const skipped: SkippedRecord[] = [];
  const options: Options<ParsedRecord, string[]> = {
    delimiter: started.delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    record_delimiter: ["\r\n", "\n", "\r"],
    on_record: (record: string[], context: InfoRecord): ParsedRecord => ({
      record,
      row: ++parsedRows,
      line: context.lines,
    }),
  };
  // csv-parse's typings only let on_record change the record's type when columns are named.
  const parser = parse(options as unknown as Options);
  parser.on("skip", (error: Error & { code?: string; lines?: number }) => {
    skipped.push({ row: ++parsedRows, line: error.lines ?? 0, reason: parseProblem(error) });
  });
  /** Skipped records met before `row` (all of them when undefined) join the current chunk. */
  const takeSkipped = (row?: number) => {
    while (skipped.length > 0 && (row === undefined || skipped[0]!.row < row)) {
      const { row: skippedRow, line, reason } = skipped.shift()!;
      if (line <= resumeLine) continue;
      chunk.lastRow = skippedRow;
      chunk.lastLine = line;
      chunk.rowsRead++;
      chunk.errors.push({ row: skippedRow, field: "row", value: "", reason });
    }
  };

  const source = Readable.from(readUpload(importId));
  const decoded = source.pipe(iconv.decodeStream(started.encoding));
  const feeding = pipeline(decoded, parser);
  // Awaited after the loop; if the loop throws first, its error is the one that matters (the
  // pipeline then only reports that the parser was closed early).
  feeding.catch(() => undefined);
  // The chunk being written while the next is read: one at a time, so commits keep file order.
  let writing: Promise<boolean> | null = null;
  const write = (full: Chunk) => {
    const commit = commitChunk(importId, campaignId, full);
    commit.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    return commit;
  };
  let cancelled = false;
  try {
    for await (const { record, row, line } of parser as AsyncIterable<ParsedRecord>) {
      takeSkipped(row);
      if (row === 1) continue; // the header
      if (line <= resumeLine) continue;
      chunk.lastRow = row;
      chunk.lastLine = line;
      chunk.rowsRead++;
      checkRecord(record, row, started.headers, columns, kind, today, chunk);
      if (chunk.rowsRead >= ROWS_PER_CHUNK) {
        if (writing && !(await writing)) {
          cancelled = true;
          break;
        }
        writing = write(chunk);
        chunk = emptyChunk(chunk.lastRow, chunk.lastLine);
      }
    }
    if (!cancelled && writing && !(await writing)) cancelled = true;
  } finally {
    // Never leave a write running behind a failure: the job's retry resumes from its cursor.
    if (writing) await (writing as Promise<boolean>).catch(() => undefined);
  }
  if (cancelled) {
    source.destroy();
    await feeding.catch(() => undefined);
    await failImport(importId, "The campaign was cancelled while the list was importing.");
    return;
  }
  await feeding;
  takeSkipped();
  if (!(await commitChunk(importId, campaignId, chunk))) {
    await failImport(importId, "The campaign was cancelled while the list was importing.");
    return;
  }
  await finishImport(importId, campaignId);
}

function emptyChunk(lastRow: number, lastLine: number): Chunk {
  return { good: [], errors: [], rowsRead: 0, lastLine, lastRow };
}

function columnIndexes(headers: string[], mapping: ColumnMapping) {
  const indexes: Partial<Record<ImportField, number>> = {};
  for (const field of IMPORT_FIELDS) {
    const header = mapping[field];
    if (!header) continue;
    const index = headers.indexOf(header);
    if (index >= 0) indexes[field] = index;
  }
  return indexes;
}

function checkRecord(
  record: string[],
  row: number,
  headers: string[],
  columns: Partial<Record<ImportField, number>>,
  kind: NationalIdKind,
  today: string,
  chunk: Chunk,
) {
  if (record.every((cell) => cell.trim() === "")) {
    chunk.rowsRead--; // a row of empty cells (spreadsheets leave them) is not a patient
    return;
  }
  const extra = record.slice(headers.length);
  if (record.length < headers.length || extra.some((cell) => cell.trim() !== "")) {
    chunk.errors.push({
      row,
      field: "row",
      value: "",
      reason: IMPORT_MESSAGES.ragged(record.length, headers.length),
    });
    return;
  }
  const tooLong = record.findIndex((cell) => cell.length > MAX_CELL_CHARS);
  if (tooLong >= 0) {
    const field = IMPORT_FIELDS.find((candidate) => columns[candidate] === tooLong) ?? "row";
    chunk.errors.push({
      row,
      field,
      value: "",
      reason: IMPORT_MESSAGES.cellTooLong(headers[tooLong]!, record[tooLong]!.length),
    });
    return;
  }
  const values: Partial<Record<ImportField, string>> = {};
  for (const field of IMPORT_FIELDS) {
    const index = columns[field];
    if (index !== undefined) values[field] = record[index];
  }
  const result = validateRow(kind, values, today);
  if (result.ok) chunk.good.push({ row, recipient: result.recipient });
  else for (const problem of result.problems) chunk.errors.push(toRowError(row, problem));
}

function toRowError(row: number, problem: RowProblem): RowError {
  return { row, field: problem.field, value: problem.value, reason: problem.reason };
}

function parseProblem(error: Error & { code?: string }): string {
  switch (error.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return IMPORT_MESSAGES.quoteNotClosed;
    case "CSV_MAX_RECORD_SIZE":
      return IMPORT_MESSAGES.recordTooLarge;
    case "CSV_INVALID_CLOSING_QUOTE":
    case "INVALID_OPENING_QUOTE":
      return IMPORT_MESSAGES.badQuote;
    default:
      return IMPORT_MESSAGES.unreadable(error.code ?? "unknown problem");
  }
}

function sameDetails(a: ValidRecipient, b: ValidRecipient): boolean {
  const same = (x: string | null, y: string | null) =>
    (x ?? "").toLowerCase() === (y ?? "").toLowerCase();
  return (
    same(a.givenName, b.givenName) &&
    same(a.familyName, b.familyName) &&
    a.dateOfBirth === b.dateOfBirth &&
    a.mobile === b.mobile &&
    a.email === b.email
  );
}

/** Writes one chunk in one transaction; false when the campaign is no longer importing. */
async function commitChunk(importId: string, campaignId: string, chunk: Chunk): Promise<boolean> {
  const db = await prisma();
  // Collapse duplicates inside the chunk first; duplicates across chunks meet the unique index.
  const firstSeen = new Map<string, GoodRow>();
  const conflicts = new Map<string, string>();
  let collapsed = 0;
  for (const good of chunk.good) {
    const earlier = firstSeen.get(good.recipient.nationalId);
    if (!earlier) firstSeen.set(good.recipient.nationalId, good);
    else {
      collapsed++;
      if (
        !sameDetails(earlier.recipient, good.recipient) &&
        !conflicts.has(good.recipient.nationalId)
      ) {
        conflicts.set(
          good.recipient.nationalId,
          IMPORT_MESSAGES.duplicateConflict(earlier.row, good.row),
        );
      }
    }
  }
  const rows = [...firstSeen.values()];
  return db.$transaction(
    async (tx) => {
      const campaign = await tx.$queryRaw<Array<{ state: string }>>`
        SELECT "state"::text AS "state" FROM "Campaign" WHERE "id" = ${campaignId}::uuid FOR SHARE`;
      if (campaign[0]?.state !== "IMPORTING") return false;
      // A conflicting duplicate inside the chunk is written already flagged (RECIPIENT_EVENTS.flag
      // at birth), so the common case needs no UPDATE; the patient's first row is the one kept.
      const inserted = await insertRecipients(tx, importId, campaignId, rows, conflicts);
      const notInserted = rows.filter((good) => !inserted.has(good.recipient.nationalId));
      if (notInserted.length > 0) {
        const existing = await tx.recipient.findMany({
          where: {
            campaignId,
            nationalId: { in: notInserted.map((good) => good.recipient.nationalId) },
          },
          select: {
            nationalId: true,
            givenName: true,
            familyName: true,
            dateOfBirth: true,
            mobile: true,
            email: true,
            sourceRow: true,
            reviewReason: true,
          },
        });
        const byId = new Map(existing.map((recipient) => [recipient.nationalId, recipient]));
        for (const good of notInserted) {
          collapsed++;
          const earlier = byId.get(good.recipient.nationalId);
          if (!earlier) continue;
          const earlierDetails: ValidRecipient = {
            ...earlier,
            dateOfBirth: earlier.dateOfBirth?.toISOString().slice(0, 10) ?? null,
          };
          if (!sameDetails(earlierDetails, good.recipient) && !earlier.reviewReason) {
            conflicts.set(
              good.recipient.nationalId,
              IMPORT_MESSAGES.duplicateConflict(earlier.sourceRow, good.row),
            );
          }
        }
      }
      await flagConflicts(tx, campaignId, conflicts, inserted);
      await insertErrors(tx, importId, chunk.errors);
      await tx.$executeRaw`
        UPDATE "CampaignImport" SET
          "rowsRead" = "rowsRead" + ${chunk.rowsRead},
          "rowsAccepted" = "rowsAccepted" + ${inserted.size},
          "rowsRejected" = "rowsRejected" + ${new Set(chunk.errors.map((error) => error.row)).size},
          "duplicatesCollapsed" = "duplicatesCollapsed" + ${collapsed},
          "rowsFlagged" = "rowsFlagged" + ${conflicts.size},
          "resumeLine" = ${chunk.lastLine},
          "resumeRow" = ${chunk.lastRow}
        WHERE "id" = ${importId}::uuid`;
      return true;
    },
    // A bulk job waits for a connection on a busy server rather than failing (Prisma waits 2 s).
    { timeout: 60_000, maxWait: 30_000 },
  );
}

/**
 * Conflicting duplicates whose first row came in an earlier chunk (or an earlier run) go to a
 * person (RECIPIENT_EVENTS.flag). Rare: chunk boundaries and re-sent rows only.
 */
async function flagConflicts(
  tx: Prisma.TransactionClient,
  campaignId: string,
  conflicts: Map<string, string>,
  flaggedAtInsert: Set<string>,
) {
  for (const [nationalId, reason] of conflicts) {
    if (flaggedAtInsert.has(nationalId)) continue;
    await tx.$executeRaw`
      UPDATE "Recipient"
      SET "state" = 'NEEDS_REVIEW'::"RecipientState", "reviewReason" = ${reason}, "updatedAt" = now()
      WHERE "campaignId" = ${campaignId}::uuid AND "nationalId" = ${nationalId}
        AND "state" = 'IMPORTED'::"RecipientState" AND "reviewReason" IS NULL`;
  }
}

async function insertRecipients(
  tx: Prisma.TransactionClient,
  importId: string,
  campaignId: string,
  rows: GoodRow[],
  conflicts: Map<string, string>,
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  // Row ids come from Node: gen_random_uuid() calls out of PGlite's WASM for every row (≈1 s of
  // CPU per 100k rows there).
  const column = <T>(pick: (recipient: ValidRecipient) => T) =>
    rows.map((good) => pick(good.recipient));
  const inserted = await tx.$queryRaw<Array<{ nationalId: string }>>`
    INSERT INTO "Recipient" ("id", "campaignId", "importId", "nationalId", "givenName", "familyName",
      "dateOfBirth", "mobile", "email", "addressLine1", "addressLine2", "addressLine3",
      "addressLine4", "postcode", "sourceRow", "state", "reviewReason", "updatedAt")
    SELECT id, ${campaignId}::uuid, ${importId}::uuid, n, g, f, d::date, m, e, a1, a2, a3, a4, pc, r,
      (CASE WHEN why IS NULL THEN 'IMPORTED' ELSE 'NEEDS_REVIEW' END)::"RecipientState", why, now()
    FROM unnest(${rows.map(() => randomUUID())}::uuid[],
      ${column((r) => r.nationalId)}::text[], ${column((r) => r.givenName)}::text[],
      ${column((r) => r.familyName)}::text[], ${column((r) => r.dateOfBirth)}::text[],
      ${column((r) => r.mobile)}::text[], ${column((r) => r.email)}::text[],
      ${column((r) => r.addressLine1 ?? null)}::text[], ${column((r) => r.addressLine2 ?? null)}::text[],
      ${column((r) => r.addressLine3 ?? null)}::text[], ${column((r) => r.addressLine4 ?? null)}::text[],
      ${column((r) => r.postcode ?? null)}::text[],
      ${rows.map((good) => good.row)}::int[],
      ${rows.map((good) => conflicts.get(good.recipient.nationalId) ?? null)}::text[])
      AS t(id, n, g, f, d, m, e, a1, a2, a3, a4, pc, r, why)
    ON CONFLICT ("campaignId", "nationalId") DO NOTHING
    RETURNING "nationalId"`;
  return new Set(inserted.map((row) => row.nationalId));
}

async function insertErrors(tx: Prisma.TransactionClient, importId: string, errors: RowError[]) {
  if (errors.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO "ImportRowError" ("importId", "rowNumber", "field", "maskedValue", "reason")
    SELECT ${importId}::uuid, r, f, v, why
    FROM unnest(${errors.map((error) => error.row)}::int[], ${errors.map((error) => error.field)}::text[],
      ${errors.map((error) => maskValue(error.field, error.value))}::text[],
      ${errors.map((error) => error.reason)}::text[]) AS t(r, f, v, why)`;
}

/** H3: one mobile or e-mail shared by several patients goes to a person before anyone is invited. */
async function flagSharedContacts(
  tx: Prisma.TransactionClient,
  campaignId: string,
): Promise<number> {
  let flagged = 0;
  for (const column of ["mobile", "email"] as const) {
    // One pass with a window count (a self-join on an unindexed column is quadratic on PGlite).
    const rows = await tx.$queryRawUnsafe<Array<{ id: string; shared: number }>>(
      `SELECT s."id", s."shared" FROM (
         SELECT "id", "state", count(*) OVER (PARTITION BY "${column}")::int AS "shared"
         FROM "Recipient" WHERE "campaignId" = $1::uuid AND "${column}" IS NOT NULL) s
       WHERE s."shared" > 1 AND s."state" = 'IMPORTED'`,
      campaignId,
    );
    const byCount = new Map<number, string[]>();
    for (const { id, shared } of rows) byCount.set(shared, [...(byCount.get(shared) ?? []), id]);
    for (const [shared, ids] of byCount) {
      // RECIPIENT_EVENTS.flag
      await tx.recipient.updateMany({
        where: { id: { in: ids }, state: "IMPORTED" },
        data: {
          state: "NEEDS_REVIEW",
          reviewReason:
            column === "mobile"
              ? IMPORT_MESSAGES.sharedMobile(shared)
              : IMPORT_MESSAGES.sharedEmail(shared),
        },
      });
    }
    flagged += rows.length;
  }
  return flagged;
}

async function finishImport(importId: string, campaignId: string) {
  const db = await prisma();
  await db.$transaction(
    async (tx) => {
      const flagged = await flagSharedContacts(tx, campaignId);
      const done = await tx.campaignImport.update({
        where: { id: importId },
        data: { state: "DONE", finishedAt: now(), rowsFlagged: { increment: flagged } },
      });
      await tx.campaignUploadChunk.deleteMany({ where: { importId } });
      await transitionCampaign(tx, campaignId, "import-finished", {
        actor: SYSTEM_ACTOR,
        details: {
          importId,
          rowsRead: done.rowsRead,
          rowsAccepted: done.rowsAccepted,
          rowsRejected: done.rowsRejected,
          duplicatesCollapsed: done.duplicatesCollapsed,
          rowsFlagged: done.rowsFlagged,
        },
      });
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
  getLogger().info({ importId, campaignId }, "campaign list imported");
}

async function failImport(importId: string, message: string) {
  const db = await prisma();
  await db.$transaction([
    db.campaignImport.update({
      where: { id: importId },
      data: { state: "FAILED", failureMessage: message, finishedAt: now() },
    }),
    db.campaignUploadChunk.deleteMany({ where: { importId } }),
  ]);
}
