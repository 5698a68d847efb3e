import type { EligibilityBucket } from "~/generated/prisma/enums.ts";
import { maskNationalId } from "~/modules/pkb/identifiers.ts";
import { toCsv } from "~/platform/csv.ts";
import { prisma } from "~/platform/db.server.ts";
import { BUCKET_SLUGS } from "./bucket.ts";

export function bucketFromSlug(slug: string): EligibilityBucket | null {
  const entry = Object.entries(BUCKET_SLUGS).find(([, value]) => value === slug);
  return entry ? (entry[0] as EligibilityBucket) : null;
}

const SHOWN = 200;

/** The first patients of a bucket for the screen (identifiers masked) and the bucket's size. */
export async function bucketPage(campaignId: string, bucket: EligibilityBucket) {
  const db = await prisma();
  const [count, rows] = await Promise.all([
    db.recipient.count({ where: { campaignId, bucket } }),
    db.recipient.findMany({
      where: { campaignId, bucket },
      orderBy: { sourceRow: "asc" },
      take: SHOWN,
      select: {
        id: true,
        nationalId: true,
        givenName: true,
        familyName: true,
        sourceRow: true,
        checkedAt: true,
      },
    }),
  ]);
  return {
    count,
    shown: rows.map((row) => ({
      id: row.id,
      maskedId: maskNationalId(row.nationalId),
      name: [row.givenName, row.familyName].filter(Boolean).join(" "),
      sourceRow: row.sourceRow,
    })),
  };
}

/** The whole bucket as formula-safe CSV (full identifiers: staff act on them), a page at a time. */
export async function* bucketCsv(
  campaignId: string,
  bucket: EligibilityBucket,
): AsyncGenerator<string> {
  const db = await prisma();
  yield toCsv(["Identifier", "Given name", "Family name", "Date of birth", "Row in the list"], []);
  let after: string | undefined;
  for (;;) {
    const page = await db.recipient.findMany({
      where: { campaignId, bucket, ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: "asc" },
      take: 5000,
      select: {
        id: true,
        nationalId: true,
        givenName: true,
        familyName: true,
        dateOfBirth: true,
        sourceRow: true,
      },
    });
    if (page.length === 0) return;
    yield toCsv(
      null,
      page.map((row) => [
        row.nationalId,
        row.givenName,
        row.familyName,
        row.dateOfBirth?.toISOString().slice(0, 10) ?? "",
        row.sourceRow,
      ]),
    );
    after = page.at(-1)!.id;
  }
}
