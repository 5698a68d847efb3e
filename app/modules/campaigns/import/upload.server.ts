import { randomUUID } from "node:crypto";
import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import { prisma } from "~/platform/db.server.ts";
import { detectDelimiter, type Delimiter } from "./delimiter.ts";
import { REFUSALS, sniffUpload, type TextEncoding } from "./sniff.ts";

/**
 * Takes an uploaded list into the database in 1 MB chunks as it arrives (never whole in memory,
 * never on disk under a name the user chose), after sniffing its first bytes. The rows are read
 * later by the import job (run-import.server.ts).
 */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const SNIFF_BYTES = 64 * 1024;

export class UploadRefused extends Error {
  override name = "UploadRefused";
}

export const UPLOAD_MESSAGES = {
  tooLarge: (maxBytes: number) =>
    `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB. Split the list into smaller files and upload each one.`,
  noHeader:
    "The first row of the file is empty. The first row must name the columns (for example “NHS number”).",
  headerOnly: "The file has a header row but no patients in it.",
  duplicateHeader: (header: string) =>
    `Two columns are both called “${header}”. Rename one of them and upload the file again.`,
  blankHeader: (column: number) =>
    `Column ${column} has no name in the header row. Name every column and upload the file again.`,
} as const;

export interface StoredUpload {
  importId: string;
  encoding: TextEncoding;
  delimiter: Delimiter;
  headers: string[];
}

export async function storeUpload(
  campaignId: string,
  originalFileName: string,
  body: AsyncIterable<Uint8Array>,
  uploadedById: string | null,
  { maxBytes = MAX_UPLOAD_BYTES }: { maxBytes?: number } = {},
): Promise<StoredUpload> {
  const db = await prisma();
  const importId = randomUUID();
  await db.campaignImport.create({
    data: {
      id: importId,
      campaignId,
      uploadedById,
      originalFileName: originalFileName.slice(0, 200),
      byteSize: 0,
      encoding: "",
      delimiter: "",
      headers: [],
      state: "UPLOADED",
    },
  });
  try {
    let head: Buffer | null = null;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let total = 0;
    let seq = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const bytes = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      // As hex text: Prisma's bytea parameter path costs ~10× more CPU than decode() in SQL.
      await db.$executeRaw`
        INSERT INTO "CampaignUploadChunk" ("importId", "seq", "bytes")
        VALUES (${importId}::uuid, ${seq++}, decode(${bytes.toString("hex")}, 'hex'))`;
    };
    let sniffed: ReturnType<typeof sniffUpload> | null = null;
    for await (const part of body) {
      total += part.byteLength;
      if (total > maxBytes) throw new UploadRefused(UPLOAD_MESSAGES.tooLarge(maxBytes));
      pending.push(Buffer.from(part));
      pendingBytes += part.byteLength;
      if (!sniffed && pendingBytes >= SNIFF_BYTES) {
        head = Buffer.concat(pending).subarray(0, SNIFF_BYTES);
        sniffed = sniffUpload(head);
        if (!sniffed.ok) throw new UploadRefused(sniffed.message);
      }
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    if (!sniffed) {
      head = Buffer.concat(pending);
      sniffed = sniffUpload(head);
      if (!sniffed.ok) throw new UploadRefused(sniffed.message);
    }
    await flush();
    const { encoding } = sniffed;
    const text = iconv.decode(head!, encoding);
    const delimiter = detectDelimiter(text);
    const headers = readHeaders(text, delimiter, total <= SNIFF_BYTES);
    await db.campaignImport.update({
      where: { id: importId },
      data: { byteSize: total, encoding, delimiter, headers },
    });
    return { importId, encoding, delimiter, headers };
  } catch (error) {
    // A refused or broken upload leaves nothing behind: the chunks go with the import row.
    await db.campaignImport.delete({ where: { id: importId } }).catch(() => undefined);
    throw error;
  }
}

function readHeaders(text: string, delimiter: Delimiter, wholeFile: boolean): string[] {
  let records: string[][];
  try {
    records = parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      to_line: 2,
      record_delimiter: ["\r\n", "\n", "\r"],
    }) as string[][];
  } catch {
    // The head may end inside a quoted field; the first line alone still names the columns.
    records = [text.split(/\r\n|\n|\r/, 1)[0]!.split(delimiter)];
  }
  const headers = (records[0] ?? []).map((header) => header.replace(/^\uFEFF/, "").trim());
  // Spreadsheets often end the header with empty cells (a trailing delimiter): drop those.
  while (headers.length > 0 && headers.at(-1) === "") headers.pop();
  if (headers.length === 0 || headers.every((header) => header === "")) {
    throw new UploadRefused(
      wholeFile && text.trim() === "" ? REFUSALS.empty : UPLOAD_MESSAGES.noHeader,
    );
  }
  const blank = headers.findIndex((header) => header === "");
  if (blank >= 0) throw new UploadRefused(UPLOAD_MESSAGES.blankHeader(blank + 1));
  const seen = new Set<string>();
  for (const header of headers) {
    const key = header.toLowerCase();
    if (seen.has(key)) throw new UploadRefused(UPLOAD_MESSAGES.duplicateHeader(header));
    seen.add(key);
  }
  if (wholeFile && records.length < 2) throw new UploadRefused(UPLOAD_MESSAGES.headerOnly);
  return headers;
}

/**
 * The stored bytes in order, one chunk in memory at a time. Read as hex text and decoded by Node
 * (native) rather than through Prisma's bytea result path, which parses hex in JavaScript.
 */
export async function* readUpload(importId: string): AsyncGenerator<Buffer> {
  const db = await prisma();
  for (let seq = 0; ; seq++) {
    const [chunk] = await db.$queryRaw<Array<{ hex: string }>>`
      SELECT encode("bytes", 'hex') AS "hex" FROM "CampaignUploadChunk"
      WHERE "importId" = ${importId}::uuid AND "seq" = ${seq}`;
    if (!chunk) return;
    yield Buffer.from(chunk.hex, "hex");
  }
}
