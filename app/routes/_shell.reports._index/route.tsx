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
import { specialtyParam } from "~/modules/reports/report-exports.server.ts";
import { filterQuery, parseReportFilter } from "~/modules/reports/report-filter.ts";
import {
  NO_SPECIALTY,
  NO_SPECIALTY_LABEL,
  requestVolume,
  volumeBySpecialty,
  type SpecialtyVolumeRow,
  type VolumeRow,
} from "~/modules/reports/reports.server.ts";
import { now } from "~/platform/clock.ts";

export const access = { loader: "read:report" } satisfies RouteAccess;

export const meta: MetaFunction = () => [
  { title: "Request volume by specialty – Reports – PKB Desk" },
];

/** Request volume over time (one specialty or all) and per specialty, for a UK date range. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const url = new URL(request.url);
  const { filter, errors } = parseReportFilter(url.searchParams, now());
  const specialty = specialtyParam(url.searchParams);
  if (errors) {
    return { filter, errors, specialty, overTime: [], bySpecialty: [], specialties: [] };
  }
  const [overTime, bySpecialty] = await Promise.all([
    requestVolume(filter, specialty),
    volumeBySpecialty(filter),
  ]);
  const specialties = bySpecialty.map((row) => ({ value: row.specialty, label: row.label }));
  if (specialty && !specialties.some((option) => option.value === specialty)) {
    specialties.push({
      value: specialty,
      label: specialty === NO_SPECIALTY ? NO_SPECIALTY_LABEL : specialty,
    });
  }
  return { filter, errors: null, specialty, overTime, bySpecialty, specialties };
}

const VOLUME_SERIES = [
  { key: "cancel", label: "Cancel (solid)" },
  { key: "change", label: "Change (striped)" },
];

export default function VolumeReport() {
  const data = useLoaderData<typeof loader>();
  const { filter } = data;
  const extra: Record<string, string> = data.specialty ? { specialty: data.specialty } : {};
  const specialtyLabel =
    data.specialty === null
      ? "all specialties"
      : (data.specialties.find((option) => option.value === data.specialty)?.label ??
        data.specialty);
  const total = data.overTime.reduce((sum, row) => sum + row.total, 0);
  return (
    <>
      <PageHeading
        title="Reports"
        lede="Appointment requests from PKB messages: how many, of which kind, for which specialty."
      />
      <ReportNav filter={filter} />
      <ReportFilterForm
        filter={filter}
        errors={data.errors}
        extra={
          <div>
            <label htmlFor="specialty" className="block font-bold">
              Specialty
            </label>
            <select
              id="specialty"
              name="specialty"
              defaultValue={data.specialty ?? "all"}
              className="mt-1 block max-w-xs rounded-none border-2 border-nhs-black bg-white px-2 py-1.5 text-base"
            >
              <option value="all">All specialties</option>
              {data.specialties.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </div>
        }
      />
      {data.errors ? (
        <p className="mb-6">Correct the range above to see the reports.</p>
      ) : (
        <>
          <ReportSection
            id="volume"
            title={`Requests over time, ${specialtyLabel}`}
            description={
              <p>
                Requests received per{" "}
                {filter.granularity === "week" ? "week (Monday to Sunday)" : filter.granularity},
                cancel and change stacked: {total} in all from {filter.from} to {filter.to}. The
                first and last {filter.granularity === "day" ? "days" : `${filter.granularity}s`}{" "}
                count only the days inside the range.
              </p>
            }
            csvHref={`/reports/export/volume?${filterQuery(filter, extra)}`}
            chart={
              <ReportBarChart
                rows={data.overTime}
                categoryKey="label"
                series={VOLUME_SERIES}
                stacked
                summary={`Stacked bar chart of requests to cancel and to change per ${filter.granularity}, ${specialtyLabel}, ${filter.from} to ${filter.to}: ${total} requests.`}
              />
            }
          >
            <ReportTable<VolumeRow>
              caption={`Requests per ${filter.granularity}, ${specialtyLabel}`}
              rows={data.overTime}
              rowKey={(row) => row.bucket}
              columns={[
                { label: "Period", value: (row) => row.label },
                { label: "Cancel", numeric: true, value: (row) => row.cancel },
                { label: "Change", numeric: true, value: (row) => row.change },
                { label: "Total", numeric: true, value: (row) => row.total },
              ]}
            />
          </ReportSection>
          <ReportSection
            id="specialties"
            title="Requests per specialty"
            description={
              <p>
                Requests received from {filter.from} to {filter.to} per specialty of the matched
                appointment, busiest first. Requests not yet matched to an appointment have no
                specialty.
              </p>
            }
            csvHref={`/reports/export/specialties?${filterQuery(filter)}`}
            chart={
              <ReportBarChart
                rows={data.bySpecialty}
                categoryKey="label"
                series={VOLUME_SERIES}
                stacked
                horizontal
                summary={`Horizontal stacked bar chart of requests to cancel and to change per specialty, ${filter.from} to ${filter.to}, ${data.bySpecialty.length} specialties.`}
              />
            }
          >
            <ReportTable<SpecialtyVolumeRow>
              caption="Requests per specialty"
              rows={data.bySpecialty}
              rowKey={(row) => row.specialty}
              columns={[
                { label: "Specialty", value: (row) => row.label },
                { label: "Cancel", numeric: true, value: (row) => row.cancel },
                { label: "Change", numeric: true, value: (row) => row.change },
                { label: "Total", numeric: true, value: (row) => row.total },
              ]}
            />
          </ReportSection>
        </>
      )}
    </>
  );
}
