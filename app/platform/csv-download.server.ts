import { toCsv } from "./csv.ts";
import { getLogger } from "./logger.server.ts";

type Cell = string | number | null | undefined;

/**
 * CSV text in chunks of `batchSize` rows from a row iterator, header first (formula-safe: toCsv).
 * An empty source still yields the header, so every download opens as a table.
 */
export async function* csvChunks<Row>(
  header: string[],
  rows: AsyncIterator<Row>,
  toCells: (row: Row) => Cell[],
  batchSize = 500,
): AsyncGenerator<string, void, undefined> {
  let headerSent = false;
  try {
    for (;;) {
      const batch: Cell[][] = [];
      let done = false;
      while (batch.length < batchSize) {
        const next = await rows.next();
        if (next.done) {
          done = true;
          break;
        }
        batch.push(toCells(next.value));
      }
      if (batch.length > 0 || !headerSent) yield toCsv(headerSent ? null : header, batch);
      headerSent = true;
      if (done) return;
    }
  } finally {
    // Stopped early (the browser went away): let the source release its cursor or transaction.
    await rows.return?.(undefined);
  }
}

/**
 * A CSV file download streamed from text chunks, so memory does not grow with the file. Never
 * cached (patient data: quality.md). A failure part-way is logged with `what` (no cell values)
 * and ends the download with an error, so the browser does not keep a silently short file.
 */
export function csvDownload(
  filename: string,
  chunks: AsyncIterator<string>,
  what: string,
): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        getLogger().error({ err: error }, `${what} failed`);
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return?.(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}
