import type { LoaderFunctionArgs } from "@remix-run/node";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import {
  REPORT_NAMES,
  reportCsv,
  specialtyParam,
  type ReportName,
} from "~/modules/reports/report-exports.server.ts";
import { parseReportFilter } from "~/modules/reports/report-filter.ts";
import { now } from "~/platform/clock.ts";
import { toCsv } from "~/platform/csv.ts";
import { prisma } from "~/platform/db.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";

export const access = { loader: "read:report" } satisfies RouteAccess;

/**
 * One report as formula-safe CSV: exactly the rows and numbers of its chart and table, for the
 * range in the query (the page's links carry it). Counts only, no patient data; the download is
 * audited with the range.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const name = params.report;
  if (!REPORT_NAMES.includes(name as ReportName)) throw notFound();
  const url = new URL(request.url);
  const { filter, errors } = parseReportFilter(url.searchParams, now());
  if (errors) {
    return new Response(`Invalid range: ${Object.values(errors).join("; ")}`, { status: 400 });
  }
  const specialty = specialtyParam(url.searchParams);
  const csv = await reportCsv(name as ReportName, filter, { specialty, asOf: now() });
  const db = await prisma();
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: session.user.id, label: session.user.email },
      clientAddress: clientAddress(request),
      action: "report.export",
      entityType: "report",
      entityId: name,
      details: { ...filter, specialty, rows: csv.rows.length },
    }),
  );
  return new Response(toCsv(csv.header, csv.rows), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="pkb-desk-${csv.filename}"`,
      "Cache-Control": "no-store",
    },
  });
}
