import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  ChannelSection,
  FunnelSection,
  HybridMailSection,
  RegistrationSection,
  sectionHref,
} from "~/components/reports/campaign-report-sections.tsx";
import { ReportFilterForm } from "~/components/reports/report-frame.tsx";
import { PageHeading } from "~/components/ui/page-heading.tsx";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { CHANNEL_LABELS } from "~/modules/campaigns/campaign-forms.ts";
import { CAMPAIGN_STATE_LABELS } from "~/modules/campaigns/lifecycle.ts";
import { parseCampaignReportFilter } from "~/modules/reports/campaigns/campaign-report-range.ts";
import {
  campaignReport,
  reportCampaign,
} from "~/modules/reports/campaigns/campaign-reports.server.ts";
import { now } from "~/platform/clock.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = { loader: "read:campaign-report" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Campaign report – PKB Desk" }];

/**
 * One campaign's report: funnel, channels, registrations over time and hybrid mail, each a
 * chart, a table and a CSV (ADR 0019); campaign managers also get the recipient-level export.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = z.uuid().safeParse(params.campaignId);
  if (!id.success) throw notFound();
  const campaign = await reportCampaign(id.data);
  if (!campaign) throw notFound();
  const at = now();
  const { filter, errors } = parseCampaignReportFilter(
    new URL(request.url).searchParams,
    at,
    campaign.createdAt,
  );
  const report = await campaignReport({ campaignId: campaign.id }, filter);
  return {
    campaign: {
      id: campaign.id,
      name: campaign.name,
      channel: CHANNEL_LABELS[campaign.channel],
      state: CAMPAIGN_STATE_LABELS[campaign.state],
      created: formatUkDateTime(campaign.createdAt),
    },
    filter,
    errors,
    report: { ...report, registrations: errors ? [] : report.registrations },
    canSeeCampaign: hasPermission(session.user.role, "read:campaign"),
    canExport: hasPermission(session.user.role, "export:campaign-recipients"),
  };
}

export default function CampaignReport() {
  const { campaign, filter, errors, report, canSeeCampaign, canExport } =
    useLoaderData<typeof loader>();
  const base = `/campaigns/${campaign.id}/report/export`;
  const scopeLabel = `campaign “${campaign.name}”`;
  return (
    <>
      <p className="mb-2">
        {canSeeCampaign ? (
          <Link to={`/campaigns/${campaign.id}`}>Back to the campaign</Link>
        ) : (
          <Link to="/reports/campaigns">All campaign reports</Link>
        )}
      </p>
      <PageHeading
        title={`Report: ${campaign.name}`}
        lede={`${campaign.channel} campaign, ${campaign.state.toLowerCase()}, created ${campaign.created}. Counts as of now; only registrations over time follow the range.`}
      />
      {canExport ? (
        <section aria-labelledby="export-heading" className="mb-8 bg-white p-6 shadow-sm">
          <h2 id="export-heading" className="text-2xl font-bold">
            Every patient in this campaign
          </h2>
          <p className="mb-3 mt-2 max-w-3xl text-nhs-dark-grey">
            One row per patient: identifier, name, state, eligibility, invitation round, the outcome
            by each channel, when they registered and their letter&apos;s read and post times. It
            holds patient data: the download is recorded in the audit trail.
          </p>
          <a
            href={`/campaigns/${campaign.id}/report/recipients.csv`}
            download
            className="font-bold"
          >
            Download the patient-level CSV
          </a>
        </section>
      ) : null}
      <FunnelSection
        rows={report.funnel}
        scopeLabel={scopeLabel}
        csvHref={sectionHref(base, "funnel", filter)}
      />
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
      {report.letters.some((row) => row.letters > 0) ? (
        <HybridMailSection
          rows={report.letters}
          avoidedPercent={report.lettersAvoidedPercent}
          scopeLabel={scopeLabel}
          csvHref={sectionHref(base, "hybrid-mail", filter)}
        />
      ) : (
        // An empty bar chart says less than a sentence: no letter has gone as hybrid mail yet.
        <section aria-labelledby="hybrid-mail-heading" className="mb-8 bg-white p-6 shadow-sm">
          <h2 id="hybrid-mail-heading" className="text-2xl font-bold">
            Hybrid mail: read receipts and letters avoided
          </h2>
          <p className="mt-2 max-w-3xl text-nhs-dark-grey">
            No invitation letter has been sent to PKB as hybrid mail in this campaign yet. Once
            letters are sent, this shows how many were read online and how many were posted.
          </p>
        </section>
      )}
    </>
  );
}
