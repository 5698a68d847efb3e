import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { Button } from "~/components/ui/button.tsx";
import { TextField } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import {
  auditPage,
  AuditFilterSchema,
  type AuditFilter,
} from "~/modules/audit/audit-query.server.ts";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import { HeaderRow, Th } from "~/components/ui/table.tsx";

export const access = { loader: "read:audit" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Audit trail – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const url = new URL(request.url);
  const parsed = AuditFilterSchema.safeParse(Object.fromEntries(url.searchParams));
  const filter: AuditFilter = parsed.success ? parsed.data : {};
  const page = await auditPage(filter);
  const next = new URLSearchParams(url.searchParams);
  if (page.nextCursor) next.set("after", page.nextCursor);
  return Response.json({
    invalidFilter: !parsed.success,
    canExport: hasPermission(session.user.role, "export:audit"),
    filter: Object.fromEntries([...url.searchParams].filter(([key]) => key !== "after")),
    rows: page.rows.map((row) => ({
      id: row.id.toString(),
      occurredAt: formatUkDateTime(row.occurredAt),
      actor: row.actorLabel,
      action: row.action,
      entity: row.entityId ? `${row.entityType} ${row.entityId}` : row.entityType,
      clientAddress: row.clientAddress ?? "—",
      details: JSON.stringify(row.details) === "{}" ? "" : JSON.stringify(row.details),
    })),
    nextPage: page.nextCursor ? `?${next}` : null,
    isFirstPage: !filter.after,
  });
}

interface AuditData {
  invalidFilter: boolean;
  canExport: boolean;
  filter: Record<string, string>;
  rows: Array<{
    id: string;
    occurredAt: string;
    actor: string;
    action: string;
    entity: string;
    clientAddress: string;
    details: string;
  }>;
  nextPage: string | null;
  isFirstPage: boolean;
}

export default function Audit() {
  const data = useLoaderData<AuditData>();
  const location = useLocation();
  const exportQuery = new URLSearchParams(data.filter).toString();
  return (
    <>
      <PageHeading
        title="Audit trail"
        lede="Every sign-in, change and export, newest first. Entries cannot be edited or deleted."
        actions={
          data.canExport ? (
            <a
              href={`/admin/audit/export.csv${exportQuery ? `?${exportQuery}` : ""}`}
              className="rounded border-2 border-nhs-blue bg-white px-4 py-2 font-bold no-underline"
            >
              Download CSV
            </a>
          ) : null
        }
      />
      <Panel>
        <Form method="get" className="grid gap-x-6 sm:grid-cols-3">
          <TextField
            id="action"
            name="action"
            label="Action starts with"
            defaultValue={data.filter.action}
            hint="e.g. auth. or user.disable"
          />
          <TextField
            id="actor"
            name="actor"
            label="Who"
            defaultValue={data.filter.actor}
            hint="Part of an e-mail address"
          />
          <TextField
            id="entityType"
            name="entityType"
            label="Record type"
            defaultValue={data.filter.entityType}
            hint="e.g. user, team"
          />
          <TextField
            id="entityId"
            name="entityId"
            label="Record id"
            defaultValue={data.filter.entityId}
          />
          <TextField
            id="from"
            name="from"
            type="date"
            label="From (UK date)"
            defaultValue={data.filter.from}
          />
          <TextField
            id="to"
            name="to"
            type="date"
            label="To (UK date)"
            defaultValue={data.filter.to}
          />
          <div className="flex items-center gap-4 sm:col-span-3">
            <Button>Apply filters</Button>
            <Link to={location.pathname}>Clear filters</Link>
          </div>
        </Form>
        {data.invalidFilter ? (
          <p role="alert" className="mt-4 font-bold text-nhs-red">
            Some filters were not understood and were ignored. Dates must be real dates.
          </p>
        ) : null}
      </Panel>
      <Panel>
        {data.rows.length === 0 ? (
          <p>No entries match.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Audit entries</caption>
              <HeaderRow>
                <Th>When (UK)</Th>
                <Th>Who</Th>
                <Th>Action</Th>
                <Th>Record</Th>
                <Th>From</Th>
                <Th>Details</Th>
              </HeaderRow>
              <tbody>
                {data.rows.map((row) => (
                  <tr key={row.id} className="border-b border-nhs-pale-grey align-top">
                    <td className="whitespace-nowrap py-2 pr-4">{row.occurredAt}</td>
                    <td className="py-2 pr-4">{row.actor}</td>
                    <td className="py-2 pr-4 font-mono">{row.action}</td>
                    <td className="py-2 pr-4 break-all">{row.entity}</td>
                    <td className="py-2 pr-4">{row.clientAddress}</td>
                    <td className="py-2 pr-4 font-mono break-all">{row.details}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav aria-label="Audit pages" className="mt-4 flex gap-6">
          {!data.isFirstPage ? <Link to={`?${exportQuery}`}>Newest entries</Link> : null}
          {data.nextPage ? <Link to={data.nextPage}>Older entries</Link> : null}
        </nav>
      </Panel>
    </>
  );
}
