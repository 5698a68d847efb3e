import type { LoaderFunctionArgs } from "@remix-run/node";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { AuditFilterSchema, auditRows } from "~/modules/audit/audit-query.server.ts";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { prisma } from "~/platform/db.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { csvChunks, csvDownload } from "~/platform/csv-download.server.ts";

export const access = { loader: "export:audit" } satisfies RouteAccess;

const HEADER = [
  "id",
  "occurred_at_utc",
  "actor",
  "action",
  "entity_type",
  "entity_id",
  "client_address",
  "details",
];

/**
 * The filtered audit trail as formula-safe CSV (times in UTC ISO-8601, unambiguous), streamed in
 * batches so memory does not grow with the trail. The export is audited before it starts, with
 * the filter used.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const parsed = AuditFilterSchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) return new Response("Invalid filter", { status: 400 });
  const filter = parsed.data;
  const db = await prisma();
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: session.user.id, label: session.user.email },
      clientAddress: clientAddress(request),
      action: "audit.export",
      entityType: "audit",
      details: Object.fromEntries(
        Object.entries(filter).filter(([, value]) => value !== undefined),
      ) as Record<string, string>,
    }),
  );

  const rows = auditRows(filter);
  return csvDownload(
    `pkb-desk-audit-${new Date().toISOString().slice(0, 10)}.csv`,
    csvChunks(HEADER, rows, (row) => [
      row.id.toString(),
      row.occurredAt.toISOString(),
      row.actorLabel,
      row.action,
      row.entityType,
      row.entityId,
      row.clientAddress,
      JSON.stringify(row.details),
    ]),
    "audit export",
  );
}
