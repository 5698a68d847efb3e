import type { LoaderFunctionArgs } from "@remix-run/node";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { FILTER_KEYS, parseWorklistFilter } from "~/modules/requests/worklist/filters.ts";
import { worklistRows } from "~/modules/requests/worklist/worklist.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { csvChunks, csvDownload } from "~/platform/csv-download.server.ts";

export const access = { loader: "read:request:team" } satisfies RouteAccess;

const HEADER = [
  "request_id",
  "received_utc",
  "patient",
  "identifier",
  "asks_to",
  "appointment_utc",
  "specialty_code",
  "specialty",
  "location",
  "match",
  "status",
  "queue",
  "assignee",
  "due_utc",
  "sla",
  "urgent",
];

/**
 * The worklist's current view as CSV: the same one query function, so the same scope, filters
 * and order as the screen (all pages, not just the one shown). Formula-safe (H7) via toCsv; the
 * export is audited before it starts, with which filters were set — never their values when they
 * could be patient data (the free-text search).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const filter = parseWorklistFilter(new URL(request.url).searchParams);
  const view = filter.view ?? "team";
  const db = await prisma();
  const details: Record<string, string> = { view };
  for (const key of FILTER_KEYS) {
    const value = filter[key];
    if (value && key !== "view") details[key] = key === "q" ? "(set)" : value;
  }
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: { id: session.user.id, label: session.user.email },
      clientAddress: clientAddress(request),
      action: "request.export",
      entityType: "appointment-request",
      details,
    }),
  );

  const rows = worklistRows(session.user, { ...filter, view, after: undefined });
  return csvDownload(
    `appointment-requests-${view}-${new Date().toISOString().slice(0, 10)}.csv`,
    csvChunks(HEADER, rows, (row) => [
      row.id,
      row.receivedAt,
      row.patient,
      row.identifier,
      row.action,
      row.appointmentAt,
      row.specialtyCode,
      row.specialty,
      row.location,
      row.matchState,
      row.status,
      row.queue,
      row.assignee,
      row.dueAt,
      row.sla.text,
      row.urgent ? "yes" : "no",
    ]),
    "request export",
  );
}
