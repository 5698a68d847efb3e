import type { ReactNode } from "react";
import { ReportBarChart } from "~/components/charts/bar-chart.tsx";
import {
  CAMPAIGN_COLUMNS,
  CHANNEL_COLUMNS,
  FUNNEL_COLUMNS,
  FUNNEL_STAGE_DEFINITIONS,
  FUNNEL_STAGE_LABELS,
  FUNNEL_STAGES,
  HYBRID_MAIL_COLUMNS,
  REGISTRATION_COLUMNS,
  type CampaignFunnelRow,
  type ChannelRow,
  type Column,
  type FunnelRow,
  type HybridMailRow,
  type RegistrationRow,
} from "~/modules/reports/campaigns/campaign-report-tables.ts";
import { filterQuery, type ReportFilter } from "~/modules/reports/report-filter.ts";
import { ReportSection, ReportTable, type TableColumn } from "./report-frame.tsx";

/**
 * The sections of a campaign report — one campaign's or every campaign's — each a chart, the
 * table of its numbers and the CSV of that table. The table's columns are the CSV's columns
 * (campaign-report-tables.ts), so the two cannot disagree.
 */
function tableColumns<Row>(columns: Array<Column<Row>>): Array<TableColumn<Row>> {
  return columns.filter((column) => !column.csvOnly);
}

export interface CampaignReportData {
  funnel: FunnelRow[];
  channels: ChannelRow[];
  registrations: RegistrationRow[];
  letters: HybridMailRow[];
  lettersAvoidedPercent: number | null;
  campaigns: CampaignFunnelRow[];
}

/** What the funnel's stages count: the definitions, next to the table. */
function FunnelDefinitions() {
  return (
    <details className="mt-4">
      <summary className="cursor-pointer font-bold text-nhs-blue">What each stage counts</summary>
      <dl className="mt-2 grid max-w-3xl gap-2">
        {FUNNEL_STAGES.map((stage) => (
          <div key={stage}>
            <dt className="font-bold">{FUNNEL_STAGE_LABELS[stage]}</dt>
            <dd className="ml-0 text-nhs-dark-grey">{FUNNEL_STAGE_DEFINITIONS[stage]}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

export function FunnelSection({
  rows,
  scopeLabel,
  csvHref,
}: {
  rows: FunnelRow[];
  scopeLabel: string;
  csvHref: string;
}) {
  const registered = rows.at(-1)?.count ?? 0;
  const delivered = rows.find((row) => row.stage === "delivered")?.count ?? 0;
  return (
    <ReportSection
      id="funnel"
      title="Funnel"
      description={
        <p>
          From the uploaded lists to registration with PKB, {scopeLabel}: each patient counts once
          per stage, however many invitation rounds or channels reached them. {registered} of{" "}
          {delivered} patients with a delivered invitation have registered.
        </p>
      }
      csvHref={csvHref}
      chart={
        <ReportBarChart
          rows={rows}
          categoryKey="label"
          series={[{ key: "count", label: "Patients (rows when uploaded)" }]}
          horizontal
          valueLabels
          height={70 + rows.length * 40}
          summary={`Horizontal bar chart of the campaign funnel, ${scopeLabel}: ${rows
            .map((row) => `${row.label} ${row.count}`)
            .join(", ")}.`}
        />
      }
    >
      <ReportTable<FunnelRow>
        caption={`Funnel, ${scopeLabel}`}
        rows={rows}
        rowKey={(row) => row.stage}
        columns={tableColumns(FUNNEL_COLUMNS)}
      />
      <FunnelDefinitions />
    </ReportSection>
  );
}

export function ChannelSection({
  rows,
  scopeLabel,
  csvHref,
}: {
  rows: ChannelRow[];
  scopeLabel: string;
  csvHref: string;
}) {
  return (
    <ReportSection
      id="channels"
      title="By channel"
      description={
        <p>
          Patients with an invitation by each channel in their current or an earlier round, how many
          of those were sent or delivered, and how many of the delivered have registered. A patient
          invited by two channels counts under each. The last row is patients registered with PKB
          although no invitation reached them (they registered another way); they are not in the
          funnel.
        </p>
      }
      csvHref={csvHref}
      chart={
        <ReportBarChart
          rows={rows}
          categoryKey="label"
          series={[
            { key: "delivered", label: "Delivered (solid)" },
            { key: "notDelivered", label: "Not delivered (striped)" },
            { key: "registered", label: "Registered (dotted)" },
          ]}
          valueLabels
          summary={`Bar chart of invitations delivered, not delivered and registered per channel, ${scopeLabel}: ${rows
            .map(
              (row) =>
                `${row.label}: ${row.delivered ?? "–"} delivered, ${row.notDelivered ?? "–"} not delivered, ${row.registered} registered`,
            )
            .join("; ")}.`}
        />
      }
    >
      <ReportTable<ChannelRow>
        caption={`Invitations by channel, ${scopeLabel}`}
        rows={rows}
        rowKey={(row) => row.channel}
        columns={tableColumns(CHANNEL_COLUMNS)}
      />
    </ReportSection>
  );
}

export function RegistrationSection({
  rows,
  filter,
  scopeLabel,
  csvHref,
  form,
}: {
  rows: RegistrationRow[];
  filter: ReportFilter;
  scopeLabel: string;
  csvHref: string;
  /** the range picker, shown inside this section: it is the only one the range changes */
  form: ReactNode;
}) {
  const total = rows.reduce((sum, row) => sum + row.total, 0);
  const unit = filter.granularity === "week" ? "week (Monday to Sunday)" : filter.granularity;
  return (
    <ReportSection
      id="registrations"
      title="Registrations over time"
      description={
        <>
          <p>
            Patients whom a tracking check found registered with PKB, per UK {unit}, from{" "}
            {filter.from} to {filter.to}: {total} in all, {scopeLabel}. A patient counts on the UK
            day the check first saw them registered, stacked by whether an invitation had reached
            them.
          </p>
          {form}
        </>
      }
      csvHref={csvHref}
      chart={
        <ReportBarChart
          rows={rows}
          categoryKey="label"
          series={[
            { key: "afterDelivery", label: "After a delivered invitation (solid)" },
            { key: "withoutDelivery", label: "No invitation delivered (striped)" },
          ]}
          stacked
          summary={`Stacked bar chart of registrations per ${filter.granularity}, ${scopeLabel}, ${filter.from} to ${filter.to}: ${total} registrations.`}
        />
      }
    >
      <ReportTable<RegistrationRow>
        caption={`Registrations per ${filter.granularity}, ${scopeLabel}`}
        rows={rows}
        rowKey={(row) => row.bucket}
        columns={tableColumns(REGISTRATION_COLUMNS)}
        emptyMessage="No registrations in this range."
      />
    </ReportSection>
  );
}

export function HybridMailSection({
  rows,
  avoidedPercent,
  scopeLabel,
  csvHref,
}: {
  rows: HybridMailRow[];
  avoidedPercent: number | null;
  scopeLabel: string;
  csvHref: string;
}) {
  const total = rows.reduce((sum, row) => sum + row.letters, 0);
  return (
    <ReportSection
      id="hybrid-mail"
      title="Hybrid mail: read receipts and letters avoided"
      description={
        <p>
          Invitation letters sent to PKB as hybrid mail, {scopeLabel}: {total} letters (one per
          patient and invitation round). A letter read online before it went onto a &ldquo;post
          these&rdquo; list is a letter the trust did not pay to post.{" "}
          {avoidedPercent === null
            ? "No letter has been read or posted yet."
            : `${avoidedPercent}% of the letters read or posted so far were read online first.`}
        </p>
      }
      csvHref={csvHref}
      chart={
        <ReportBarChart
          rows={rows}
          categoryKey="label"
          series={[{ key: "letters", label: "Letters" }]}
          horizontal
          valueLabels
          height={70 + rows.length * 48}
          summary={`Horizontal bar chart of hybrid-mail letters by outcome, ${scopeLabel}: ${rows
            .map((row) => `${row.label} ${row.letters}`)
            .join(", ")}.`}
        />
      }
    >
      <ReportTable<HybridMailRow>
        caption={`Hybrid-mail letters by outcome, ${scopeLabel}`}
        rows={rows}
        rowKey={(row) => row.outcome}
        columns={tableColumns(HYBRID_MAIL_COLUMNS)}
      />
    </ReportSection>
  );
}

export function CampaignsSection({
  rows,
  csvHref,
}: {
  rows: CampaignFunnelRow[];
  csvHref: string;
}) {
  return (
    <ReportSection
      id="campaigns"
      title="Each campaign"
      description={
        <p>
          The funnel of every campaign, newest first, with its hybrid-mail letters avoided and
          posted. The chart shows the last three stages; the table has them all.
        </p>
      }
      csvHref={csvHref}
      chart={
        <ReportBarChart
          rows={rows}
          categoryKey="name"
          series={[
            { key: "tokens", label: "Invitation code (solid)" },
            { key: "delivered", label: "Delivered (striped)" },
            { key: "registered", label: "Registered (dotted)" },
          ]}
          horizontal
          valueLabels
          height={Math.max(200, 80 + rows.length * 3 * 24)}
          summary={`Horizontal bar chart of patients with a code, delivered and registered for each of ${rows.length} campaigns.`}
        />
      }
    >
      <ReportTable<CampaignFunnelRow>
        caption="Funnel per campaign"
        rows={rows}
        rowKey={(row) => row.campaignId}
        columns={tableColumns(CAMPAIGN_COLUMNS)}
        emptyMessage="No campaigns yet."
      />
    </ReportSection>
  );
}

/** A section's CSV link: its base path and the range (only the registrations use it). */
export function sectionHref(base: string, section: string, filter: ReportFilter): string {
  return `${base}/${section}?${filterQuery(filter)}`;
}
