import { prisma } from "~/platform/db.server.ts";
import { toCsv } from "~/platform/csv.ts";
import { FIELD_LABELS } from "./fields.ts";

const PAGE = 5000;

/**
 * The downloadable error report of one import, streamed a page at a time: row, field, the value
 * masked, and the reason. Formula-safe (H7): toCsv neutralises cells Excel would run.
 */
export async function* errorReportCsv(importId: string): AsyncGenerator<string> {
  const db = await prisma();
  yield toCsv(["Row", "Field", "Value (masked)", "Problem"], []);
  let after: bigint | null = null;
  for (;;) {
    const page: Array<{
      id: bigint;
      rowNumber: number;
      field: string;
      maskedValue: string;
      reason: string;
    }> = await db.importRowError.findMany({
      where: { importId, ...(after === null ? {} : { id: { gt: after } }) },
      orderBy: { id: "asc" },
      take: PAGE,
    });
    if (page.length === 0) return;
    yield toCsv(
      null,
      page.map((error) => [
        error.rowNumber,
        error.field === "row"
          ? "Whole row"
          : (FIELD_LABELS[error.field as keyof typeof FIELD_LABELS] ?? error.field),
        error.maskedValue,
        error.reason,
      ]),
    );
    after = page.at(-1)!.id;
  }
}
