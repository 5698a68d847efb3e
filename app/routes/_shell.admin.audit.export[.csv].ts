import type { LoaderFunctionArgs } from "@remix-run/node";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { AuditFilterSchema, auditRows } from "~/modules/audit/audit-query.server.ts";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { toCsv } from "~/platform/csv.ts";
import { prisma } from "~/platform/db.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";

export const access = { loader: "export:audit" } satisfies RouteAccess;

/** The filtered audit trail as formula-safe CSV (times in UTC ISO-8601, unambiguous). */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const parsed = AuditFilterSchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) return new Response("Invalid filter", { status: 400 });
  const rows: Array<Array<string | null>> = [];
  for await (const row of auditRows(parsed.data)) {
    rows.push([
      row.id.toString(),
      row.occurredAt.toISOString(),
      row.actorLabel,
      row.action,
      row.entityType,
      row.entityId,
      row.clientAddress,
      JSON.stringify(row.details),
    ]);
  }
  const db = await prisma();
  // Exports are themselves audited.
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: session.user.id, label: session.user.email },
      clientAddress: clientAddress(request),
      action: "audit.export",
      entityType: "audit",
      details: { rows: rows.length },
    }),
  );
  const csv = toCsv(
    [
      "id",
      "occurred_at_utc",
      "actor",
      "action",
      "entity_type",
      "entity_id",
      "client_address",
      "details",
    ],
    rows,
  );
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="pkb-desk-audit-${new Date().toISOString().slice(0, 10)}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
