import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { Role } from "~/generated/prisma/enums.ts";
import { offlineConnection } from "~/modules/campaigns/testing.server.ts";
import * as campaignPage from "~/routes/_shell.campaigns.$campaignId.report/route.tsx";
import * as campaignSection from "~/routes/_shell.campaigns.$campaignId.report.export.$section.ts";
import * as recipients from "~/routes/_shell.campaigns.$campaignId.report.recipients[.csv].ts";
import * as allPage from "~/routes/_shell.reports.campaigns/route.tsx";
import * as allSection from "~/routes/_shell.reports.campaigns.export.$section.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { get, settle, signedInAs, type Identity } from "../../../../tests/support/requests.ts";
import { CHANNEL_COLUMNS, FUNNEL_COLUMNS, tableCells } from "./campaign-report-tables.ts";
import { REPORT_FIXTURE, SECOND_FIXTURE, seedReportCampaign } from "./testing.server.ts";

/**
 * The campaign report routes as a browser calls them: scope (a campaign that does not exist, or
 * a malformed id, answers 404 to a role that may see reports), the CSV routes hand back exactly
 * the loader's table rows, and the patient-level export is audited. Who may call which route is
 * app/routes.access.test.ts's matrix.
 */
const db = withTestDatabase();
let campaignId: string;
let manager: Identity;
let viewer: Identity;

beforeAll(async () => {
  const connection = await offlineConnection();
  campaignId = await seedReportCampaign(db.current().prisma, connection, REPORT_FIXTURE);
  await seedReportCampaign(db.current().prisma, connection, SECOND_FIXTURE);
  manager = await signedInAs(Role.CAMPAIGN_MANAGER);
  viewer = await signedInAs(Role.VIEWER);
});

const args = (url: string, who: Identity, params: Record<string, string>) => ({
  request: get(url, who),
  params,
  context: {},
});

async function csvOf(response: Response): Promise<string[][]> {
  expect(response.status).toBe(200);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  return parse(await response.text()) as string[][];
}

describe("campaign report routes", () => {
  it("answer 404 for a campaign that does not exist, or an id that is not one", async () => {
    for (const id of [crypto.randomUUID(), "not-a-uuid"]) {
      const calls = [
        () => campaignPage.loader(args(`/campaigns/${id}/report`, viewer, { campaignId: id })),
        () =>
          campaignSection.loader(
            args(`/campaigns/${id}/report/export/funnel`, viewer, {
              campaignId: id,
              section: "funnel",
            }),
          ),
        () =>
          recipients.loader(
            args(`/campaigns/${id}/report/recipients.csv`, manager, { campaignId: id }),
          ),
      ];
      for (const call of calls) expect((await settle(call)).status).toBe(404);
    }
    const unknownSection = await settle(() =>
      allSection.loader(args("/reports/campaigns/export/secrets", viewer, { section: "secrets" })),
    );
    expect(unknownSection.status).toBe(404);
  });

  it("a section's CSV is the loader's table, cell for cell", async () => {
    const page = (await campaignPage.loader(
      args(`/campaigns/${campaignId}/report`, viewer, { campaignId }),
    )) as Awaited<ReturnType<typeof campaignPage.loader>>;
    expect(page.canExport).toBe(false);
    const funnelCsv = await csvOf(
      (await campaignSection.loader(
        args(`/campaigns/${campaignId}/report/export/funnel`, viewer, {
          campaignId,
          section: "funnel",
        }),
      )) as Response,
    );
    expect(funnelCsv.slice(1).map((row) => row.map((cell) => cell || "—"))).toEqual(
      tableCells(FUNNEL_COLUMNS, page.report.funnel),
    );
    expect(funnelCsv.slice(1).map((row) => row[1])).toEqual(["13", "10", "8", "7", "4", "4"]);

    const all = (await allPage.loader(args("/reports/campaigns", viewer, {}))) as Awaited<
      ReturnType<typeof allPage.loader>
    >;
    const channelsCsv = await csvOf(
      (await allSection.loader(
        args("/reports/campaigns/export/channels", viewer, { section: "channels" }),
      )) as Response,
    );
    expect(channelsCsv.slice(1).map((row) => row.map((cell) => cell || "—"))).toEqual(
      tableCells(CHANNEL_COLUMNS, all.report.channels),
    );
    const audits = await db.current().prisma.auditEvent.count({
      where: { action: "report.export", actorId: viewer.userId },
    });
    expect(audits).toBe(2);
  });

  it("a bad range is refused with a message, not guessed", async () => {
    const response = await settle(() =>
      allSection.loader(
        args(
          "/reports/campaigns/export/registrations?from=2026-11-01&to=2026-10-01&granularity=week",
          viewer,
          { section: "registrations" },
        ),
      ),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("The end date must be on or after the start date");
  });

  it("the patient-level export streams every patient and records the download", async () => {
    const response = (await recipients.loader(
      args(`/campaigns/${campaignId}/report/recipients.csv`, manager, { campaignId }),
    )) as Response;
    const rows = await csvOf(response);
    expect(rows).toHaveLength(11);
    expect(response.headers.get("Content-Disposition")).toContain("attachment");
    const audit = await db.current().prisma.auditEvent.findFirstOrThrow({
      where: { action: "campaign.export-recipients", actorId: manager.userId },
    });
    expect(audit).toMatchObject({
      entityType: "Campaign",
      entityId: campaignId,
      actorLabel: manager.email,
      details: { rows: 10 },
    });
  });
});
