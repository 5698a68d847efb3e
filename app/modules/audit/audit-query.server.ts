import { z } from "zod";
import type { Prisma } from "~/generated/prisma/client.ts";
import { TZDate } from "@date-fns/tz";
import { prisma } from "~/platform/db.server.ts";
import { UK_TIME_ZONE } from "~/platform/uk-time.ts";

/** Filters for the audit page and export, parsed from the query string. */
export const AuditFilterSchema = z.object({
  action: z
    .string()
    .trim()
    .max(100)
    .transform((value) => value || undefined)
    .optional(),
  entityType: z
    .string()
    .trim()
    .max(100)
    .transform((value) => value || undefined)
    .optional(),
  entityId: z
    .string()
    .trim()
    .max(200)
    .transform((value) => value || undefined)
    .optional(),
  actor: z
    .string()
    .trim()
    .max(320)
    .transform((value) => value || undefined)
    .optional(),
  /** UK calendar dates, inclusive */
  from: z.iso
    .date()
    .optional()
    .or(z.literal("").transform(() => undefined)),
  to: z.iso
    .date()
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** keyset cursor: "<occurredAt ISO>_<id>" of the last row shown */
  after: z
    .string()
    .max(80)
    .optional()
    .or(z.literal("").transform(() => undefined)),
});
export type AuditFilter = z.infer<typeof AuditFilterSchema>;

export const AUDIT_PAGE_SIZE = 50;

function ukDayStart(date: string): Date {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  return new Date(new TZDate(year, month - 1, day, UK_TIME_ZONE).getTime());
}

function nextCalendarDay(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

function whereFor(filter: AuditFilter): Prisma.AuditEventWhereInput {
  const where: Prisma.AuditEventWhereInput = {};
  if (filter.action) where.action = { startsWith: filter.action };
  if (filter.entityType) where.entityType = filter.entityType;
  if (filter.entityId) where.entityId = filter.entityId;
  if (filter.actor) where.actorLabel = { contains: filter.actor, mode: "insensitive" };
  if (filter.from || filter.to) {
    where.occurredAt = {
      ...(filter.from ? { gte: ukDayStart(filter.from) } : {}),
      // `to` includes the whole UK day: stop at the next UK midnight (23 or 25 hours away twice a year).
      ...(filter.to ? { lt: ukDayStart(nextCalendarDay(filter.to)) } : {}),
    };
  }
  return where;
}

function parseCursor(after: string | undefined): { occurredAt: Date; id: bigint } | null {
  if (!after) return null;
  const match = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)_(\d{1,19})$/.exec(after);
  if (!match) return null;
  return { occurredAt: new Date(match[1]!), id: BigInt(match[2]!) };
}

const SELECT = {
  id: true,
  occurredAt: true,
  actorLabel: true,
  action: true,
  entityType: true,
  entityId: true,
  clientAddress: true,
  details: true,
} as const;

type AuditRow = Prisma.AuditEventGetPayload<{ select: typeof SELECT }>;
type Cursor = { occurredAt: Date; id: bigint };

/** Rows strictly older than the cursor, newest first (ties on time broken by id). */
async function rowsAfter(
  where: Prisma.AuditEventWhereInput,
  cursor: Cursor | null,
  take: number,
): Promise<AuditRow[]> {
  const db = await prisma();
  return db.auditEvent.findMany({
    where: cursor
      ? {
          AND: [
            where,
            {
              OR: [
                { occurredAt: { lt: cursor.occurredAt } },
                { occurredAt: cursor.occurredAt, id: { lt: cursor.id } },
              ],
            },
          ],
        }
      : where,
    orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
    take,
    select: SELECT,
  });
}

/** One page, newest first, by keyset (stable under concurrent inserts, no OFFSET scans). */
export async function auditPage(filter: AuditFilter) {
  const rows = await rowsAfter(whereFor(filter), parseCursor(filter.after), AUDIT_PAGE_SIZE + 1);
  const page = rows.slice(0, AUDIT_PAGE_SIZE);
  const last = page.at(-1);
  return {
    rows: page,
    nextCursor:
      rows.length > AUDIT_PAGE_SIZE && last ? `${last.occurredAt.toISOString()}_${last.id}` : null,
  };
}

/** Every matching row, newest first, in batches (exports can be large). */
export async function* auditRows(filter: AuditFilter, batchSize = 1000) {
  const where = whereFor({ ...filter, after: undefined });
  let cursor: Cursor | null = null;
  for (;;) {
    const batch = await rowsAfter(where, cursor, batchSize);
    yield* batch;
    const last = batch.at(-1);
    if (batch.length < batchSize || !last) return;
    cursor = { occurredAt: last.occurredAt, id: last.id };
  }
}
