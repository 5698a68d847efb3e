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
import {
  slaMet,
  timeToAction,
  type SlaRow,
  type TimeToActionRow,
} from "~/modules/reports/reports.server.ts";
import { now } from "~/platform/clock.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = { loader: "read:report" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Time to action and SLA – Reports – PKB Desk" }];

/** Time to action (p50/p90) and SLA met per team, for requests received in a UK date range. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const { filter, errors } = parseReportFilter(new URL(request.url).searchParams, now());
  const asOf = now();
  if (errors) return { filter, errors, asOf: formatUkDateTime(asOf), timing: [], sla: [] };
  const [timing, sla] = await Promise.all([timeToAction(filter), slaMet(filter, asOf)]);
  return { filter, errors: null, asOf: formatUkDateTime(asOf), timing, sla };
}

export default function TeamReports() {
  const data = useLoaderData<typeof loader>();
  const { filter } = data;
  return (
    <>
      <PageHeading
        title="Reports"
        lede="How quickly each team works appointment requests, and how often within its target."
      />
      <ReportNav filter={filter} />
      <ReportFilterForm filter={filter} errors={data.errors} showGranularity={false} />
      {data.errors ? (
        <p className="mb-6">Correct the range above to see the reports.</p>
      ) : (
        <>
          <ReportSection
            id="time-to-action"
            title="Time to action per team"
            description={
              <p>
                For requests received from {filter.from} to {filter.to} and marked actioned: the
                hours from receipt to being marked actioned, on the clock (nights, weekends and bank
                holidays count — the SLA below is in working hours). p50: half were actioned within
                this time; p90: nine in ten were. Requests still open, rejected or resolved in the
                PAS are not counted.
              </p>
            }
            csvHref={`/reports/export/time-to-action?${filterQuery(filter)}`}
            chart={
              <ReportBarChart
                rows={data.timing}
                categoryKey="team"
                series={[
                  { key: "p50Hours", label: "p50 hours (solid)" },
                  { key: "p90Hours", label: "p90 hours (striped)" },
                ]}
                valueLabels
                unit=" h"
                summary={`Bar chart of median (p50) and 90th percentile (p90) hours to action per team, ${data.timing.length} teams.`}
              />
            }
          >
            <ReportTable<TimeToActionRow>
              caption="Hours from receipt to actioned, per team"
              rows={data.timing}
              rowKey={(row) => row.teamId ?? "unrouted"}
              columns={[
                { label: "Team", value: (row) => row.team },
                { label: "Actioned", numeric: true, value: (row) => row.actioned },
                { label: "p50 (hours)", numeric: true, value: (row) => row.p50Hours },
                { label: "p90 (hours)", numeric: true, value: (row) => row.p90Hours },
              ]}
            />
          </ReportSection>
          <ReportSection
            id="sla"
            title="SLA met per team"
            description={
              <p>
                For requests received from {filter.from} to {filter.to} with a deadline (the team's
                target in working hours): met = closed (actioned, rejected or resolved in the PAS)
                by the deadline; missed = closed after it, or still open past it; pending = still
                open, deadline not reached (left out of the percentage). As of {data.asOf}.
              </p>
            }
            csvHref={`/reports/export/sla?${filterQuery(filter)}`}
            chart={
              <ReportBarChart
                rows={data.sla}
                categoryKey="team"
                series={[{ key: "metPercent", label: "SLA met (%)" }]}
                valueLabels
                unit="%"
                summary={`Bar chart of the percentage of requests closed within the SLA per team, ${data.sla.length} teams.`}
              />
            }
          >
            <ReportTable<SlaRow>
              caption="Requests within the SLA, per team"
              rows={data.sla}
              rowKey={(row) => row.teamId ?? "unrouted"}
              columns={[
                { label: "Team", value: (row) => row.team },
                { label: "Met", numeric: true, value: (row) => row.met },
                { label: "Missed", numeric: true, value: (row) => row.missed },
                { label: "Pending", numeric: true, value: (row) => row.pending },
                { label: "Met (%)", numeric: true, value: (row) => row.metPercent },
              ]}
            />
          </ReportSection>
        </>
      )}
    </>
  );
}
