import { Prisma } from "~/generated/prisma/client.ts";
import { prisma } from "~/platform/db.server.ts";
import { bucketLabel, bucketStarts, type ReportFilter } from "../report-filter.ts";
import {
  CHANNEL_REPORT_LABELS,
  CHANNELS,
  funnelRows,
  HYBRID_MAIL_LABELS,
  HYBRID_MAIL_OUTCOMES,
  NO_DELIVERY_LABEL,
  NO_DELIVERY_ROW,
  percent,
  type CampaignFunnelRow,
  type Channel,
  type ChannelRow,
  type FunnelCounts,
  type FunnelRow,
  type HybridMailOutcome,
  type HybridMailRow,
  type RegistrationRow,
} from "./campaign-report-tables.ts";

/**
 * The campaign reports (issue 9 §4): one function per section, each returning exactly the rows
 * its chart, its table and its CSV show. What every number means is in
 * docs/decisions/0019-campaign-reports.md and on the page (campaign-report-tables.ts).
 *
 * Scope: one campaign, or every campaign. Campaigns belong to the trust, not to a team
 * (campaigns.server.ts), so "every campaign" is the trust's; access is by permission
 * (read:campaign-report). These are counts only — no patient's name or identifier.
 */
export type CampaignScope = { campaignId: string } | "all";

function inScope(scope: CampaignScope, column: Prisma.Sql): Prisma.Sql {
  return scope === "all" ? Prisma.sql`TRUE` : Prisma.sql`${column} = ${scope.campaignId}::uuid`;
}

/**
 * A recipient is delivered when one of their invitations was sent or delivered — a letter in a
 * printed or exported file, an SMS or e-mail Notify accepted or delivered, a kiosk e-mail — in
 * their current or an earlier round. HELD, PERMANENT_FAILURE, TEMPORARY_FAILURE, OUTCOME_UNKNOWN,
 * CLAIMED and CANCELLED are not.
 *
 * Computed as each recipient's first round with a sent or delivered invitation (one hash
 * aggregate over the dispatches), joined to the recipients, rather than an EXISTS per recipient:
 * the correlated form was probed once per recipient and per FILTER that used it, and its cost
 * estimate switched on PostgreSQL's JIT, which alone took 300 ms of a 650 ms funnel over 100k
 * patients (bench/campaign-reports.bench.ts).
 */
function deliveredRounds(scope: CampaignScope): Prisma.Sql {
  return Prisma.sql`delivered_rounds AS (
    SELECT d."recipientId", min(d."inviteRound") AS "firstRound"
      FROM "InvitationDispatch" d
     WHERE ${inScope(scope, Prisma.sql`d."campaignId"`)}
       AND d."state" IN ('SENT', 'DELIVERED')
     GROUP BY d."recipientId")`;
}

/** Whether recipient `r` (joined to delivered_rounds as `dl`) was delivered, as a boolean. */
const DELIVERED = Prisma.sql`coalesce(dl."firstRound" <= r."inviteRound", FALSE)`;
const JOIN_DELIVERED = Prisma.sql`LEFT JOIN delivered_rounds dl ON dl."recipientId" = r."id"`;

/** The funnel per campaign, newest campaign first (the cross-campaign table, and its totals). */
export async function funnelByCampaign(scope: CampaignScope): Promise<CampaignFunnelRow[]> {
  const db = await prisma();
  const rows = await db.$queryRaw<Array<Omit<CampaignFunnelRow, "channel"> & { channel: Channel }>>(
    funnelByCampaignSql(scope),
  );
  return rows;
}

/** The SQL behind funnelByCampaign (exported for the tests' and a benchmark's EXPLAIN). */
export function funnelByCampaignSql(scope: CampaignScope): Prisma.Sql {
  return Prisma.sql`
    WITH ${deliveredRounds(scope)}, flags AS (
      SELECT r."campaignId",
             r."importId" IS NULL AS "withoutList",
             r."bucket" IS NOT DISTINCT FROM 'ELIGIBLE'::"EligibilityBucket" AS eligible,
             r."tokenSealed" IS NOT NULL AS tokens,
             ${DELIVERED} AS delivered,
             r."registeredAt" IS NOT NULL AS registered
        FROM "Recipient" r
        ${JOIN_DELIVERED}
       WHERE ${inScope(scope, Prisma.sql`r."campaignId"`)}
    ), patients AS (
      SELECT "campaignId",
             count(*)::int AS valid,
             count(*) FILTER (WHERE "withoutList")::int AS "withoutList",
             count(*) FILTER (WHERE eligible)::int AS eligible,
             count(*) FILTER (WHERE tokens)::int AS tokens,
             count(*) FILTER (WHERE delivered)::int AS delivered,
             count(*) FILTER (WHERE delivered AND registered)::int AS registered,
             count(*) FILTER (WHERE registered AND NOT delivered)::int AS "registeredWithoutDelivery"
        FROM flags GROUP BY "campaignId"
    ), lists AS (
      SELECT "campaignId", sum("rowsRead")::int AS "rowsRead"
        FROM "CampaignImport" i
       WHERE ${inScope(scope, Prisma.sql`i."campaignId"`)}
       GROUP BY "campaignId"
    ), letters AS (
      SELECT "campaignId",
             count(*) FILTER (WHERE "readAt" IS NOT NULL
                                AND ("postListedAt" IS NULL OR "readAt" < "postListedAt"))::int AS avoided,
             count(*) FILTER (WHERE "postListedAt" IS NOT NULL
                                AND ("readAt" IS NULL OR "readAt" >= "postListedAt"))::int AS posted
        FROM "HybridMailDocument" h
       WHERE ${inScope(scope, Prisma.sql`h."campaignId"`)}
       GROUP BY "campaignId"
    )
    SELECT c."id" AS "campaignId", c."name", c."channel"::text AS "channel", c."state"::text AS "state",
           coalesce(l."rowsRead", 0) + coalesce(p."withoutList", 0) AS uploaded,
           coalesce(p.valid, 0) AS valid,
           coalesce(p.eligible, 0) AS eligible,
           coalesce(p.tokens, 0) AS tokens,
           coalesce(p.delivered, 0) AS delivered,
           coalesce(p.registered, 0) AS registered,
           coalesce(p."registeredWithoutDelivery", 0) AS "registeredWithoutDelivery",
           coalesce(m.avoided, 0) AS "lettersAvoided",
           coalesce(m.posted, 0) AS "lettersPosted"
      FROM "Campaign" c
      LEFT JOIN patients p ON p."campaignId" = c."id"
      LEFT JOIN lists l ON l."campaignId" = c."id"
      LEFT JOIN letters m ON m."campaignId" = c."id"
     WHERE ${inScope(scope, Prisma.sql`c."id"`)}
     ORDER BY c."createdAt" DESC, c."id"`;
}

const FUNNEL_KEYS = [
  "uploaded",
  "valid",
  "eligible",
  "tokens",
  "delivered",
  "registered",
  "registeredWithoutDelivery",
] as const satisfies ReadonlyArray<keyof FunnelCounts>;

/** Sums campaigns' funnels: each recipient belongs to one campaign, so nobody counts twice. */
export function totalFunnel(rows: FunnelCounts[]): FunnelCounts {
  const total = Object.fromEntries(FUNNEL_KEYS.map((key) => [key, 0])) as unknown as FunnelCounts;
  for (const row of rows) for (const key of FUNNEL_KEYS) total[key] += row[key];
  return total;
}

/** The funnel of one campaign or of all: the six stages in order, with their counts. */
export async function funnel(
  scope: CampaignScope,
): Promise<{ rows: FunnelRow[]; counts: FunnelCounts }> {
  const counts = totalFunnel(await funnelByCampaign(scope));
  return { rows: funnelRows(counts), counts };
}

/**
 * By channel: per channel that has any invitation in scope, the patients with an invitation by
 * it (any state), delivered by it, not delivered by it, and delivered by it and registered; then
 * the patients registered without any delivered invitation (one row, registered only). A patient
 * invited by two channels counts under each, so channel rows may add up to more than the funnel.
 */
export async function byChannel(
  scope: CampaignScope,
  registeredWithoutDelivery: number,
): Promise<ChannelRow[]> {
  return channelRows(await channelCounts(scope), registeredWithoutDelivery);
}

type ChannelCounts = { channel: Channel; invited: number; delivered: number; registered: number };

/** The per-channel numbers of byChannel (a query of its own, so a page can run it alongside). */
async function channelCounts(scope: CampaignScope): Promise<ChannelCounts[]> {
  const db = await prisma();
  return db.$queryRaw<ChannelCounts[]>`
    SELECT channel,
           count(*)::int AS invited,
           count(*) FILTER (WHERE delivered)::int AS delivered,
           count(*) FILTER (WHERE delivered AND registered)::int AS registered
      FROM (SELECT d."channel"::text AS channel,
                   bool_or(d."state" IN ('SENT', 'DELIVERED')) AS delivered,
                   bool_or(r."registeredAt" IS NOT NULL) AS registered
              FROM "InvitationDispatch" d
              JOIN "Recipient" r ON r."id" = d."recipientId" AND d."inviteRound" <= r."inviteRound"
             WHERE ${inScope(scope, Prisma.sql`d."campaignId"`)}
             GROUP BY d."channel", d."recipientId") per_patient
     GROUP BY channel`;
}

function channelRows(rows: ChannelCounts[], registeredWithoutDelivery: number): ChannelRow[] {
  const found = new Map(rows.map((row) => [row.channel, row]));
  const perChannel: ChannelRow[] = CHANNELS.filter((channel) => found.has(channel)).map(
    (channel) => {
      const row = found.get(channel)!;
      return {
        channel,
        label: CHANNEL_REPORT_LABELS[channel],
        invited: row.invited,
        delivered: row.delivered,
        notDelivered: row.invited - row.delivered,
        registered: row.registered,
        registeredPercent: percent(row.registered, row.delivered),
      };
    },
  );
  return [
    ...perChannel,
    {
      channel: NO_DELIVERY_ROW,
      label: NO_DELIVERY_LABEL,
      invited: null,
      delivered: null,
      notDelivered: null,
      registered: registeredWithoutDelivery,
      registeredPercent: null,
    },
  ];
}

/**
 * Registrations over time: patients in scope by the UK day, ISO week (Monday start) or month of
 * `registeredAt` (when tracking first saw them registered), split by whether an invitation had
 * been delivered to them. UTC instants become UK wall time in SQL, so 23:30 UTC on a summer
 * evening is the next UK day. Every bucket that meets the range is listed, empty ones as 0.
 */
export async function registrationsOverTime(
  scope: CampaignScope,
  filter: ReportFilter,
): Promise<RegistrationRow[]> {
  const db = await prisma();
  const rows = await db.$queryRaw<
    Array<{ bucket: string; afterDelivery: number; withoutDelivery: number }>
  >`
    WITH ${deliveredRounds(scope)}
    SELECT to_char(date_trunc(${filter.granularity},
                     ("registeredAt" AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London'), 'YYYY-MM-DD') AS bucket,
           count(*) FILTER (WHERE delivered)::int AS "afterDelivery",
           count(*) FILTER (WHERE NOT delivered)::int AS "withoutDelivery"
      FROM (SELECT r."registeredAt", ${DELIVERED} AS delivered
              FROM "Recipient" r
              ${JOIN_DELIVERED}
             WHERE ${inScope(scope, Prisma.sql`r."campaignId"`)}
               AND r."registeredAt" >= ((${filter.from}::date)::timestamp AT TIME ZONE 'Europe/London') AT TIME ZONE 'UTC'
               AND r."registeredAt" < ((${filter.to}::date + 1)::timestamp AT TIME ZONE 'Europe/London') AT TIME ZONE 'UTC'
           ) registered
     GROUP BY 1`;
  const found = new Map(rows.map((row) => [row.bucket, row]));
  return bucketStarts(filter).map((bucket) => {
    const row = found.get(bucket);
    const afterDelivery = row?.afterDelivery ?? 0;
    const withoutDelivery = row?.withoutDelivery ?? 0;
    return {
      bucket,
      label: bucketLabel(bucket, filter.granularity),
      afterDelivery,
      withoutDelivery,
      total: afterDelivery + withoutDelivery,
    };
  });
}

/**
 * Hybrid-mail letters (documents, one per patient and round) by outcome. Each letter is in
 * exactly one row: read online before it went onto a "post these" list (postage avoided); posted
 * and read online later; posted and not read; neither read nor posted yet; or not (yet)
 * accepted by PKB and neither read nor posted.
 */
export async function hybridMail(
  scope: CampaignScope,
): Promise<{ rows: HybridMailRow[]; avoidedPercent: number | null }> {
  const db = await prisma();
  const [counts] = await db.$queryRaw<Array<Record<HybridMailOutcome, number>>>`
    SELECT
      count(*) FILTER (WHERE "readAt" IS NOT NULL
                         AND ("postListedAt" IS NULL OR "readAt" < "postListedAt"))::int AS avoided,
      count(*) FILTER (WHERE "postListedAt" IS NOT NULL AND "readAt" >= "postListedAt")::int AS "postedReadLater",
      count(*) FILTER (WHERE "postListedAt" IS NOT NULL AND "readAt" IS NULL)::int AS "postedUnread",
      count(*) FILTER (WHERE "postListedAt" IS NULL AND "readAt" IS NULL
                         AND "state" = 'ACCEPTED')::int AS waiting,
      count(*) FILTER (WHERE "postListedAt" IS NULL AND "readAt" IS NULL
                         AND "state" <> 'ACCEPTED')::int AS "notAccepted"
      FROM "HybridMailDocument" h
     WHERE ${inScope(scope, Prisma.sql`h."campaignId"`)}`;
  const rows = HYBRID_MAIL_OUTCOMES.map((outcome) => ({
    outcome,
    label: HYBRID_MAIL_LABELS[outcome],
    letters: counts?.[outcome] ?? 0,
  }));
  const avoided = counts?.avoided ?? 0;
  const posted = (counts?.postedReadLater ?? 0) + (counts?.postedUnread ?? 0);
  return { rows, avoidedPercent: percent(avoided, avoided + posted) };
}

/** The campaign a per-campaign report is about, or null (→ 404). */
export async function reportCampaign(campaignId: string) {
  const db = await prisma();
  return db.campaign.findUnique({
    where: { id: campaignId },
    select: {
      id: true,
      name: true,
      channel: true,
      state: true,
      createdAt: true,
      identifierKind: true,
    },
  });
}

/**
 * Every section of a campaign report (one campaign, or all), as the page shows it. The CSV
 * route calls the same functions (campaign-report-csv.server.ts).
 */
export async function campaignReport(scope: CampaignScope, filter: ReportFilter) {
  const [campaigns, registrations, letters, perChannel] = await Promise.all([
    funnelByCampaign(scope),
    registrationsOverTime(scope, filter),
    hybridMail(scope),
    channelCounts(scope),
  ]);
  const counts = totalFunnel(campaigns);
  const channels = channelRows(perChannel, counts.registeredWithoutDelivery);
  return {
    funnel: funnelRows(counts),
    counts,
    campaigns,
    channels,
    registrations,
    letters: letters.rows,
    lettersAvoidedPercent: letters.avoidedPercent,
  };
}
