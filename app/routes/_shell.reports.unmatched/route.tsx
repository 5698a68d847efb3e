import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { ReportBarChart } from "~/components/charts/bar-chart.tsx";
import {
  ReportFilterForm,
  ReportNav,
  ReportSection,
  ReportTable,
} from "~/components/reports/report-frame.tsx";
import { PageHeading } from "~/components/ui/page-heading.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { filterQuery, parseReportFilter } from "~/modules/reports/report-filter.ts";
import { unmatchedShare, type UnmatchedRow } from "~/modules/reports/reports.server.ts";
import { now } from "~/platform/clock.ts";

export const access = { loader: "read:report" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Unmatched requests – Reports – PKB Desk" }];

/** The share of requests the matcher could not place on receipt, per bucket and overall. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const { filter, errors } = parseReportFilter(new URL(request.url).searchParams, now());
  if (errors) return { filter, errors, buckets: [], total: null };
  const rows = await unmatchedShare(filter);
  return { filter, errors: null, buckets: rows.slice(0, -1), total: rows.at(-1) ?? null };
}

const COLUMNS = [
  { label: "Period", value: (row: UnmatchedRow) => row.label },
  { label: "Received", numeric: true, value: (row: UnmatchedRow) => row.received },
  { label: "Unmatched", numeric: true, value: (row: UnmatchedRow) => row.unmatched },
  { label: "Unmatched (%)", numeric: true, value: (row: UnmatchedRow) => row.unmatchedPercent },
];

export default function UnmatchedReport() {
  const data = useLoaderData<typeof loader>();
  const { filter, total } = data;
  return (
    <>
      <PageHeading
        title="Reports"
        lede="How often the portal could not put a request next to its appointment by itself."
      />
      <ReportNav filter={filter} />
      <ReportFilterForm filter={filter} errors={data.errors} />
      {data.errors || !total ? (
        <p className="mb-6">Correct the range above to see the reports.</p>
      ) : (
        <ReportSection
          id="unmatched"
          title="Unmatched on receipt"
          description={
            <p>
              Requests the matcher could not place when they arrived — they needed matching or
              triage by a person (including those a person has matched since) — as a share of all
              requests received. From {filter.from} to {filter.to}: {total.unmatched} of{" "}
              {total.received}
              {total.unmatchedPercent === null ? "" : ` (${total.unmatchedPercent}%)`}.
            </p>
          }
          csvHref={`/reports/export/unmatched?${filterQuery(filter)}`}
          chart={
            <ReportBarChart
              rows={data.buckets}
              categoryKey="label"
              series={[{ key: "unmatchedPercent", label: "Unmatched on receipt (%)" }]}
              unit="%"
              summary={`Bar chart of the percentage of requests unmatched on receipt per ${filter.granularity}: ${total.unmatchedPercent ?? 0}% over the range.`}
            />
          }
        >
          <ReportTable<UnmatchedRow>
            caption={`Requests unmatched on receipt per ${filter.granularity}, with the whole range`}
            rows={data.buckets}
            rowKey={(row) => row.bucket}
            columns={COLUMNS}
            footer={total}
          />
        </ReportSection>
      )}
    </>
  );
}
