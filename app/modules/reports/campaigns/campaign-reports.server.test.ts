import { parse } from "csv-parse/sync";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { beforeAll, describe, expect, it } from "vitest";
import { ReportTable } from "~/components/reports/report-frame.tsx";
import { offlineConnection } from "~/modules/campaigns/testing.server.ts";
import { syntheticNhsNumber } from "~/modules/campaigns/test-support.ts";
import { toCsv } from "~/platform/csv.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import type { ReportFilter } from "../report-filter.ts";
import { campaignSectionCsv, CAMPAIGN_REPORT_SECTIONS } from "./campaign-report-csv.server.ts";
import {
  CAMPAIGN_COLUMNS,
  CHANNEL_COLUMNS,
  FUNNEL_COLUMNS,
  HYBRID_MAIL_COLUMNS,
  REGISTRATION_COLUMNS,
  tableCells,
  type Column,
} from "./campaign-report-tables.ts";
import { campaignReport, type CampaignScope } from "./campaign-reports.server.ts";
import { startRecipientExport } from "./recipient-export.server.ts";
import { REPORT_FIXTURE, SECOND_FIXTURE, seedReportCampaign } from "./testing.server.ts";

/**
 * The campaign reports against rows written straight into the delivery and tracking tables.
 * Every expected number was worked out by hand from the fixture (testing.server.ts):
 *
 *  #   list  eligible  code  dispatches (round ≤ current)          registered (UK)            funnel
 *  1   yes   yes       yes   LETTER SENT                           Tue 30 Jun 23:59 BST       delivered, registered
 *  2   yes   yes       yes   LETTER r1 SENT + r2 DELIVERED (rnd 2) Wed 1 Jul 00:00 BST        delivered once, registered
 *  3   yes   yes       yes   SMS HELD                              –                          not delivered
 *  4   yes   yes       yes   SMS PERMANENT_FAILURE                 Sun 25 Oct 00:30 BST       registered without delivery
 *  5   yes   yes       yes   (EMAIL SENT for round 2; patient in round 1: ignored)            not delivered
 *  6   yes   yes       yes   EMAIL DELIVERED + SMS SENT            Sun 25 Oct 23:30 GMT       delivered once, registered
 *  7   yes   yes       no    –                                     –
 *  8   yes   deceased  no
 *  9   yes   not checked
 *  10  kiosk yes       yes   KIOSK SENT                            Mon 26 Oct 00:00 GMT       delivered, registered
 *  12 rows read from the list (+1 kiosk patient) → uploaded 13.
 */
const db = withTestDatabase();
let first: string;

beforeAll(async () => {
  const connection = await offlineConnection();
  first = await seedReportCampaign(db.current().prisma, connection, REPORT_FIXTURE);
  await seedReportCampaign(db.current().prisma, connection, SECOND_FIXTURE);
});

const WEEKS: ReportFilter = { from: "2026-10-19", to: "2026-11-01", granularity: "week" };

describe("campaign funnel", () => {
  it("counts each patient once per stage, whatever their rounds and channels", async () => {
    const report = await campaignReport({ campaignId: first }, WEEKS);
    expect(report.funnel.map((row) => [row.stage, row.count, row.percentOfPrevious])).toEqual([
      ["uploaded", 13, null],
      ["valid", 10, 76.9],
      ["eligible", 8, 80],
      ["tokens", 7, 87.5],
      ["delivered", 4, 57.1],
      ["registered", 4, 100],
    ]);
    expect(report.counts.registeredWithoutDelivery).toBe(1);
  });

  it("by channel: a patient counts under each channel that reached them; held and failed are not delivered", async () => {
    const report = await campaignReport({ campaignId: first }, WEEKS);
    expect(
      report.channels.map((row) => [
        row.label,
        row.invited,
        row.delivered,
        row.notDelivered,
        row.registered,
        row.registeredPercent,
      ]),
    ).toEqual([
      ["Letter", 2, 2, 0, 2, 100],
      ["SMS", 3, 1, 2, 1, 100],
      ["E-mail", 1, 1, 0, 1, 100],
      ["Kiosk", 1, 1, 0, 1, 100],
      ["No invitation delivered", null, null, null, 1, null],
    ]);
  });

  it("across campaigns adds the campaigns' funnels, and lists each campaign", async () => {
    const report = await campaignReport("all", WEEKS);
    expect(report.funnel.map((row) => row.count)).toEqual([16, 12, 10, 9, 5, 5]);
    expect(
      report.campaigns.map((row) => [
        row.name,
        row.uploaded,
        row.valid,
        row.eligible,
        row.tokens,
        row.delivered,
        row.registered,
        row.lettersAvoided,
        row.lettersPosted,
      ]),
    ).toEqual([
      ["Diabetes clinic SMS", 3, 2, 2, 2, 1, 1, 0, 0],
      ["Flu clinic invitations", 13, 10, 8, 7, 4, 4, 2, 2],
    ]);
    expect(report.channels.find((row) => row.channel === "SMS")).toMatchObject({
      invited: 5,
      delivered: 2,
      notDelivered: 3,
      registered: 2,
    });
  });

  it("an unknown campaign has an empty report (the routes answer 404 before asking)", async () => {
    const report = await campaignReport({ campaignId: crypto.randomUUID() }, WEEKS);
    expect(report.campaigns).toEqual([]);
    expect(report.funnel.every((row) => row.count === 0)).toBe(true);
  });
});

describe("registrations over time, in UK days", () => {
  it("puts 23:59 and 00:00 BST either side of midnight, and splits by delivery", async () => {
    const report = await campaignReport(
      { campaignId: first },
      { from: "2026-06-29", to: "2026-07-01", granularity: "day" },
    );
    expect(
      report.registrations.map((row) => [row.bucket, row.afterDelivery, row.withoutDelivery]),
    ).toEqual([
      ["2026-06-29", 0, 0],
      ["2026-06-30", 1, 0],
      ["2026-07-01", 1, 0],
    ]);
  });

  it("keeps the 25-hour day of 25 October whole (00:30 BST and 23:30 GMT), Monday starts the next", async () => {
    const days = await campaignReport(
      { campaignId: first },
      { from: "2026-10-24", to: "2026-10-26", granularity: "day" },
    );
    expect(
      days.registrations.map((row) => [row.label, row.afterDelivery, row.withoutDelivery]),
    ).toEqual([
      ["Sat 24 Oct 2026", 0, 0],
      ["Sun 25 Oct 2026", 1, 1],
      ["Mon 26 Oct 2026", 1, 0],
    ]);
    const weeks = await campaignReport({ campaignId: first }, WEEKS);
    expect(weeks.registrations.map((row) => [row.bucket, row.total])).toEqual([
      ["2026-10-19", 2],
      ["2026-10-26", 1],
    ]);
  });
});

describe("hybrid mail", () => {
  it("counts a letter read before it was post-listed as avoided, one read after as posted", async () => {
    const report = await campaignReport({ campaignId: first }, WEEKS);
    expect(report.letters.map((row) => [row.outcome, row.letters])).toEqual([
      ["avoided", 2],
      ["postedReadLater", 1],
      ["postedUnread", 1],
      ["waiting", 1],
      ["notAccepted", 2],
    ]);
    expect(report.lettersAvoidedPercent).toBe(50);
  });
});

/** The body cells of ReportTable as rendered HTML, as text (what the page shows). */
function renderedCells<Row>(columns: Array<Column<Row>>, rows: Row[]): string[][] {
  const html = renderToStaticMarkup(
    createElement(ReportTable<Row>, {
      caption: "t",
      rows,
      rowKey: (row: Row) => JSON.stringify(row),
      columns: columns.filter((column) => !column.csvOnly),
    }),
  );
  const body = html.slice(html.indexOf("<tbody>"), html.indexOf("</tbody>"));
  return [...body.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((cell) =>
      cell[1]!
        .replace(/&amp;/g, "&")
        .replace(/&quot;/g, '"')
        .replace(/&#x27;/g, "'"),
    ),
  );
}

describe("each CSV holds exactly its table's numbers", () => {
  it.each([{ campaign: "first" }, { campaign: "all" }])("$campaign", async ({ campaign }) => {
    const scope: CampaignScope = campaign === "all" ? "all" : { campaignId: first };
    const report = await campaignReport(scope, WEEKS);
    const tables = {
      funnel: [FUNNEL_COLUMNS, report.funnel],
      channels: [CHANNEL_COLUMNS, report.channels],
      registrations: [REGISTRATION_COLUMNS, report.registrations],
      "hybrid-mail": [HYBRID_MAIL_COLUMNS, report.letters],
      campaigns: [CAMPAIGN_COLUMNS, report.campaigns],
    } as const;
    for (const section of CAMPAIGN_REPORT_SECTIONS) {
      const [columns, rows] = tables[section] as [Array<Column<unknown>>, unknown[]];
      const csv = await campaignSectionCsv(section, scope, WEEKS);
      const parsed = parse(toCsv(csv.header, csv.rows)) as string[][];
      const shown = columns.map((column) => !column.csvOnly);
      const csvAsTable = parsed
        .slice(1)
        .map((row) => row.filter((_, index) => shown[index]).map((cell) => cell || "—"));
      const table = renderedCells(columns, rows);
      expect(table.length, section).toBeGreaterThan(0);
      expect(csvAsTable, section).toEqual(table);
      expect(tableCells(columns, rows), section).toEqual(table);
      expect(parsed[0], section).toEqual(columns.map((column) => column.csv));
    }
  });
});

describe("recipient-level export", () => {
  it("writes one formula-safe row per patient and audits who, which campaign and how many", async () => {
    const actor = { id: null, label: "manager@test.nhs.uk" };
    const started = await startRecipientExport(first, { actor, clientAddress: "127.0.0.1" });
    expect(started?.rows).toBe(10);
    let text = "";
    for await (const chunk of started!.chunks) text += chunk;
    const rows = parse(text) as string[][];
    expect(rows[0]!.slice(0, 6)).toEqual([
      "NHS number",
      "Given name",
      "Family name",
      "State",
      "Eligibility",
      "Invitation round",
    ]);
    expect(rows).toHaveLength(11);
    const byId = new Map(rows.slice(1).map((row) => [row[0], row]));
    const six = byId.get(syntheticNhsNumber(6))!;
    expect(six.slice(1, 3)).toEqual(['\'=HYPERLINK("http://evil.example")', "'+44 risky"]);
    expect(six.slice(6, 11)).toEqual(["", "Sent", "Delivered", "", "2026-10-25 23:30"]);
    expect(byId.get(syntheticNhsNumber(7))!.slice(1, 3)).toEqual(["'@SUM(A1)", "'-1"]);
    expect(byId.get(syntheticNhsNumber(8))!.slice(1, 3)).toEqual(["'\tTabbed", "'\rReturn"]);
    const two = byId.get(syntheticNhsNumber(2))!;
    // the current round's letter; read 10:00 BST, post-listed 11:00 BST
    expect(two.slice(5)).toEqual([
      "2",
      "Delivered",
      "",
      "",
      "",
      "2026-07-01 00:00",
      "2026-07-20 10:00",
      "2026-07-20 11:00",
    ]);
    expect(byId.get(syntheticNhsNumber(3))![7]).toBe("Held (shared contact)");
    const audit = await db.current().prisma.auditEvent.findFirst({
      where: { action: "campaign.export-recipients", entityId: first },
    });
    expect(audit).toMatchObject({ actorLabel: "manager@test.nhs.uk", details: { rows: 10 } });
  });

  it("is null for a campaign that does not exist, and audits nothing", async () => {
    const id = crypto.randomUUID();
    expect(
      await startRecipientExport(id, { actor: { id: null, label: "x" }, clientAddress: null }),
    ).toBeNull();
    expect(await db.current().prisma.auditEvent.count({ where: { entityId: id } })).toBe(0);
  });
});
