import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import {
  CampaignsSection,
  ChannelSection,
  FunnelSection,
  HybridMailSection,
  RegistrationSection,
  sectionHref,
} from "~/components/reports/campaign-report-sections.tsx";
import { ReportFilterForm, ReportNav } from "~/components/reports/report-frame.tsx";
import { PageHeading } from "~/components/ui/page-heading.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { parseCampaignReportFilter } from "~/modules/reports/campaigns/campaign-report-range.ts";
import { campaignReport } from "~/modules/reports/campaigns/campaign-reports.server.ts";
import { now } from "~/platform/clock.ts";

export const access = { loader: "read:campaign-report" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Invitation campaigns – Reports – PKB Desk" }];

/** Every campaign together: funnel, each campaign, channels, registrations, hybrid mail. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const { filter, errors } = parseCampaignReportFilter(
    new URL(request.url).searchParams,
    now(),
    null,
  );
  const report = await campaignReport("all", filter);
  return {
    filter,
    errors,
    report: { ...report, registrations: errors ? [] : report.registrations },
  };
}

export default function CampaignReports() {
  const { filter, errors, report } = useLoaderData<typeof loader>();
  const base = "/reports/campaigns/export";
  const scopeLabel = "all campaigns";
  return (
    <>
      <PageHeading
        title="Reports"
        lede="Invitation campaigns: from the uploaded lists to patients registered with PKB, across every campaign. Counts as of now; only registrations over time follow the range."
      />
      <ReportNav filter={filter} />
      <FunnelSection
        rows={report.funnel}
        scopeLabel={scopeLabel}
        csvHref={sectionHref(base, "funnel", filter)}
      />
      <CampaignsSection rows={report.campaigns} csvHref={sectionHref(base, "campaigns", filter)} />
      <ChannelSection
        rows={report.channels}
        scopeLabel={scopeLabel}
        csvHref={sectionHref(base, "channels", filter)}
      />
      <RegistrationSection
        rows={report.registrations}
        filter={filter}
        scopeLabel={scopeLabel}
        csvHref={sectionHref(base, "registrations", filter)}
        form={
          <ReportFilterForm
            filter={filter}
            errors={errors}
            note="Dates are UK dates (Europe/London), both days included. A patient counts on the day tracking first found them registered."
          />
        }
      />
      <HybridMailSection
        rows={report.letters}
        avoidedPercent={report.lettersAvoidedPercent}
        scopeLabel={scopeLabel}
        csvHref={sectionHref(base, "hybrid-mail", filter)}
      />
    </>
  );
}
