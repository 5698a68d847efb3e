/**
 * The campaign reports' rows and the columns that show them. One column list per section feeds
 * both the page's table and the CSV (campaign-report-csv.server.ts), so the two cannot disagree:
 * the CSV is the table, cell for cell, plus machine-friendly columns marked `csvOnly` (an ISO
 * date beside a period's label). No server imports: the page uses this file too.
 *
 * Definitions of every number: docs/decisions/0019-campaign-reports.md.
 */

export const FUNNEL_STAGES = [
  "uploaded",
  "valid",
  "eligible",
  "tokens",
  "delivered",
  "registered",
] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

export const FUNNEL_STAGE_LABELS: Record<FunnelStage, string> = {
  uploaded: "Uploaded",
  valid: "Valid",
  eligible: "Eligible",
  tokens: "Invitation code",
  delivered: "Delivered",
  registered: "Registered",
};

/** What each stage counts, shown on the page beside the table (ADR 0019). */
export const FUNNEL_STAGE_DEFINITIONS: Record<FunnelStage, string> = {
  uploaded:
    "Data rows read from the campaign's uploaded lists (a list uploaded twice counts twice), plus patients added without a list, such as at a kiosk.",
  valid:
    "Patients the campaign holds: one per patient from the rows that passed validation (duplicate rows collapse onto one patient).",
  eligible: "Patients PKB's status check found invitable (at their latest check).",
  tokens: "Patients holding a stored invitation code from PKB.",
  delivered:
    "Patients with at least one invitation sent or delivered (letter in a printed or exported file, SMS or e-mail accepted or delivered, kiosk) in their current or an earlier invitation round. Held, failed, unknown and cancelled sends do not count.",
  registered:
    "Delivered patients whom a tracking check has since found registered with PKB. Patients registered without a delivered invitation are counted apart, under channels.",
};

/** One patient counts once per stage, however many rounds or channels reached them. */
export interface FunnelCounts {
  uploaded: number;
  valid: number;
  eligible: number;
  tokens: number;
  delivered: number;
  registered: number;
  /** registered, but no invitation was sent or delivered to them (outside the funnel) */
  registeredWithoutDelivery: number;
}

export interface FunnelRow {
  stage: FunnelStage;
  label: string;
  count: number;
  /** this stage as a share of the stage before it, 1 decimal place; null for the first or after 0 */
  percentOfPrevious: number | null;
}

export const CHANNELS = ["LETTER", "SMS", "EMAIL", "KIOSK"] as const;
export type Channel = (typeof CHANNELS)[number];
export const CHANNEL_REPORT_LABELS: Record<Channel, string> = {
  LETTER: "Letter",
  SMS: "SMS",
  EMAIL: "E-mail",
  KIOSK: "Kiosk",
};
export const NO_DELIVERY_ROW = "none";
export const NO_DELIVERY_LABEL = "No invitation delivered";

export interface ChannelRow {
  /** a channel, or NO_DELIVERY_ROW for patients registered without a delivered invitation */
  channel: Channel | typeof NO_DELIVERY_ROW;
  label: string;
  /** patients with an invitation by this channel in any state (claimed, sent, held, failed…) */
  invited: number | null;
  delivered: number | null;
  /** invited by this channel, but no invitation by it was sent or delivered */
  notDelivered: number | null;
  /** delivered by this channel and registered */
  registered: number;
  registeredPercent: number | null;
}

export interface RegistrationRow {
  /** first UK day of the bucket, YYYY-MM-DD */
  bucket: string;
  label: string;
  afterDelivery: number;
  withoutDelivery: number;
  total: number;
}

export const HYBRID_MAIL_OUTCOMES = [
  "avoided",
  "postedReadLater",
  "postedUnread",
  "waiting",
  "notAccepted",
] as const;
export type HybridMailOutcome = (typeof HYBRID_MAIL_OUTCOMES)[number];

export const HYBRID_MAIL_LABELS: Record<HybridMailOutcome, string> = {
  avoided: "Read online before posting (letter avoided)",
  postedReadLater: "Posted, read online later",
  postedUnread: "Posted, not read online",
  waiting: "Not read yet, not posted yet",
  notAccepted: "Not accepted by PKB (waiting or refused)",
};

export interface HybridMailRow {
  outcome: HybridMailOutcome;
  label: string;
  letters: number;
}

export interface CampaignFunnelRow extends FunnelCounts {
  campaignId: string;
  name: string;
  channel: Channel;
  state: string;
  lettersAvoided: number;
  lettersPosted: number;
}

export interface Column<Row> {
  /** the table's column heading */
  label: string;
  /** the CSV's column heading */
  csv: string;
  numeric?: boolean;
  /** only in the CSV (e.g. the ISO date beside a period's label) */
  csvOnly?: boolean;
  value: (row: Row) => string | number | null;
}

export const FUNNEL_COLUMNS: Array<Column<FunnelRow>> = [
  { label: "Stage", csv: "stage", value: (row) => row.label },
  {
    label: "Patients (rows when uploaded)",
    csv: "count",
    numeric: true,
    value: (row) => row.count,
  },
  {
    label: "% of the stage before",
    csv: "percent_of_previous",
    numeric: true,
    value: (row) => row.percentOfPrevious,
  },
];

export const CHANNEL_COLUMNS: Array<Column<ChannelRow>> = [
  { label: "Channel", csv: "channel", value: (row) => row.label },
  {
    label: "With an invitation",
    csv: "with_invitation",
    numeric: true,
    value: (row) => row.invited,
  },
  { label: "Delivered", csv: "delivered", numeric: true, value: (row) => row.delivered },
  { label: "Not delivered", csv: "not_delivered", numeric: true, value: (row) => row.notDelivered },
  { label: "Registered", csv: "registered", numeric: true, value: (row) => row.registered },
  {
    label: "Registered % of delivered",
    csv: "registered_percent_of_delivered",
    numeric: true,
    value: (row) => row.registeredPercent,
  },
];

export const REGISTRATION_COLUMNS: Array<Column<RegistrationRow>> = [
  { label: "Period start", csv: "bucket_start", csvOnly: true, value: (row) => row.bucket },
  { label: "Period", csv: "period", value: (row) => row.label },
  {
    label: "After a delivered invitation",
    csv: "after_delivered_invitation",
    numeric: true,
    value: (row) => row.afterDelivery,
  },
  {
    label: "No invitation delivered",
    csv: "no_invitation_delivered",
    numeric: true,
    value: (row) => row.withoutDelivery,
  },
  { label: "Total", csv: "total", numeric: true, value: (row) => row.total },
];

export const HYBRID_MAIL_COLUMNS: Array<Column<HybridMailRow>> = [
  { label: "Letter", csv: "outcome", value: (row) => row.label },
  { label: "Letters", csv: "letters", numeric: true, value: (row) => row.letters },
];

export const CAMPAIGN_COLUMNS: Array<Column<CampaignFunnelRow>> = [
  { label: "Campaign", csv: "campaign", value: (row) => row.name },
  { label: "Campaign id", csv: "campaign_id", csvOnly: true, value: (row) => row.campaignId },
  { label: "Uploaded", csv: "uploaded", numeric: true, value: (row) => row.uploaded },
  { label: "Valid", csv: "valid", numeric: true, value: (row) => row.valid },
  { label: "Eligible", csv: "eligible", numeric: true, value: (row) => row.eligible },
  { label: "Code", csv: "tokens", numeric: true, value: (row) => row.tokens },
  { label: "Delivered", csv: "delivered", numeric: true, value: (row) => row.delivered },
  { label: "Registered", csv: "registered", numeric: true, value: (row) => row.registered },
  {
    label: "Letters avoided",
    csv: "letters_avoided",
    numeric: true,
    value: (row) => row.lettersAvoided,
  },
  {
    label: "Letters posted",
    csv: "letters_posted",
    numeric: true,
    value: (row) => row.lettersPosted,
  },
];

/** The cells a table shows for `rows` (csvOnly columns left out), as text: what a reader sees. */
export function tableCells<Row>(columns: Array<Column<Row>>, rows: Row[]): string[][] {
  return rows.map((row) =>
    columns
      .filter((column) => !column.csvOnly)
      .map((column) => {
        const value = column.value(row);
        return value === null ? "—" : String(value);
      }),
  );
}

export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;
}

/** The funnel's rows from its counts, in stage order, each with its share of the stage before. */
export function funnelRows(counts: FunnelCounts): FunnelRow[] {
  return FUNNEL_STAGES.map((stage, index) => {
    const previous = index === 0 ? null : counts[FUNNEL_STAGES[index - 1]!];
    return {
      stage,
      label: FUNNEL_STAGE_LABELS[stage],
      count: counts[stage],
      percentOfPrevious: previous === null ? null : percent(counts[stage], previous),
    };
  });
}
