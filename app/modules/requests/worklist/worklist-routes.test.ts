import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { loader as exportLoader } from "~/routes/_shell.requests.export[.csv].ts";
import { action, loader } from "~/routes/_shell.requests._index/route.tsx";
import { requestHomeSummary } from "./home.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { get, post, settle, signedInAs } from "../../../../tests/support/requests.ts";

withTestDatabase();

async function seed(teamName: string, names: string[]) {
  const db = await prisma();
  const team = await db.team.upsert({
    where: { name: teamName },
    create: { name: teamName },
    update: {},
  });
  const ids: string[] = [];
  for (const name of names) {
    const row = await db.appointmentRequest.create({
      data: {
        grantId: randomUUID(),
        pkbMessageId: randomUUID(),
        patientPublicId: randomUUID(),
        action: "CANCEL",
        rawSubject: "Request to cancel appointment",
        patientNote: "",
        receivedAt: new Date(),
        matchState: "MATCHED",
        matchReason: "test",
        matchedStart: new Date(Date.now() + 2 * 86_400_000),
        teamId: team.id,
        patientDisplayName: name,
        identifierValue: "9434765919",
      },
    });
    ids.push(row.id);
  }
  return { teamId: team.id, ids };
}

describe("the worklist page and its export", () => {
  it("bulk-claims in scope, and refuses the whole bulk action with 404 when one id is another team's", async () => {
    const handler = await signedInAs("REQUEST_HANDLER", ["Worklist A"]);
    const own = await seed("Worklist A", ["Ann One", "Ben Two"]);
    const other = await seed("Worklist B", ["Cy Other"]);

    const refused = await settle(async () =>
      action({
        request: post(
          "/requests?view=team",
          { intent: "claim", requestIds: [own.ids[0]!, other.ids[0]!] },
          handler,
        ),
        params: {},
        context: {},
      }),
    );
    expect(refused.status).toBe(404);
    const db = await prisma();
    expect(
      await db.appointmentRequest.count({ where: { id: { in: own.ids }, status: "ASSIGNED" } }),
    ).toBe(0);

    const claimed = await settle(async () =>
      action({
        request: post("/requests?view=team", { intent: "claim", requestIds: own.ids }, handler),
        params: {},
        context: {},
      }),
    );
    expect(claimed.status).toBe(302);
    expect(
      await db.appointmentRequest.count({
        where: { id: { in: own.ids }, assigneeId: handler.userId },
      }),
    ).toBe(2);

    const page = (await (
      await settle(async () =>
        loader({ request: get("/requests?view=mine", handler), params: {}, context: {} }),
      )
    ).json()) as { rows: Array<{ patient: string }>; counts: Record<string, number> };
    expect(page.rows.map((row) => row.patient).sort()).toEqual(["Ann One", "Ben Two"]);
    expect(page.counts.mine).toBe(2);

    const noAssign = await settle(async () =>
      action({
        request: post(
          "/requests",
          { intent: "assign", requestIds: own.ids, assigneeId: handler.userId },
          handler,
        ),
        params: {},
        context: {},
      }),
    );
    expect(noAssign.status).toBe(403);
  });

  it("saves and deletes a user's own views only", async () => {
    const handler = await signedInAs("REQUEST_HANDLER", ["Worklist A"]);
    const saved = await settle(async () =>
      action({
        request: post(
          "/requests",
          { intent: "save-view", name: "Changes", query: "view=team&type=CHANGE&junk=1" },
          handler,
        ),
        params: {},
        context: {},
      }),
    );
    expect(saved.status).toBe(302);
    expect(saved.headers.get("Location")).toBe("/requests?view=team&type=CHANGE");
    const db = await prisma();
    const view = await db.savedRequestView.findFirstOrThrow({ where: { userId: handler.userId } });
    expect(view.query).toBe("view=team&type=CHANGE");
    const someoneElse = await signedInAs("REQUEST_HANDLER", ["Worklist A"]);
    await settle(async () =>
      action({
        request: post("/requests", { intent: "delete-view", viewId: view.id }, someoneElse),
        params: {},
        context: {},
      }),
    );
    expect(await db.savedRequestView.count({ where: { id: view.id } })).toBe(1);
    await settle(async () =>
      action({
        request: post("/requests", { intent: "delete-view", viewId: view.id }, handler),
        params: {},
        context: {},
      }),
    );
    expect(await db.savedRequestView.count({ where: { id: view.id } })).toBe(0);
  });

  it("exports the view in scope as formula-safe CSV and audits the export without the search text", async () => {
    const handler = await signedInAs("REQUEST_HANDLER", ["Export A"]);
    await seed("Export A", ['=HYPERLINK("http://evil")', "Dee Plain"]);
    await seed("Export B", ["Eve Elsewhere"]);
    const response = await settle(async () =>
      exportLoader({
        request: get("/requests/export.csv?view=team&q=e", handler),
        params: {},
        context: {},
      }),
    );
    expect(response.status).toBe(200);
    const csv = await response.text();
    expect(csv.split("\r\n")[0]).toContain("request_id,received_utc,patient,identifier");
    expect(csv).toContain("Dee Plain");
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv).not.toContain("Eve Elsewhere");
    const db = await prisma();
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { action: "request.export", actorId: handler.userId },
    });
    expect(audit.details).toEqual({ view: "team", q: "(set)" });
  });

  it("gives a lead their queue sizes, the unrouted count and today's digest; a handler their own work", async () => {
    const lead = await signedInAs("TEAM_LEAD", ["Home A"]);
    const handler = await signedInAs("REQUEST_HANDLER", ["Home A"]);
    const { teamId, ids } = await seed("Home A", ["Fay Overdue", "Gil Fine", "Hal Mine"]);
    const db = await prisma();
    await db.appointmentRequest.update({
      where: { id: ids[0]! },
      data: { dueAt: new Date(Date.now() - 3_600_000) },
    });
    await db.appointmentRequest.update({
      where: { id: ids[2]! },
      data: {
        assigneeId: handler.userId,
        status: "ASSIGNED",
        dueAt: new Date(Date.now() - 60_000),
      },
    });
    await db.appointmentRequest.create({
      data: {
        grantId: randomUUID(),
        pkbMessageId: randomUUID(),
        patientPublicId: randomUUID(),
        action: "CHANGE",
        rawSubject: "x",
        patientNote: "",
        receivedAt: new Date(),
        matchState: "NEEDS_TRIAGE",
        matchReason: "test",
      },
    });
    const viewer = (identity: { userId: string }, role: "TEAM_LEAD" | "REQUEST_HANDLER") => ({
      id: identity.userId,
      role,
      teamIds: [teamId],
    });
    const leadSummary = await requestHomeSummary(viewer(lead, "TEAM_LEAD"));
    expect(leadSummary?.lead?.teams).toEqual([
      { id: teamId, name: "Home A", open: 3, unassigned: 2, overdue: 2 },
    ]);
    expect(leadSummary?.lead?.unrouted).toBeGreaterThanOrEqual(1);
    expect(leadSummary?.lead?.overdueNow).toBeGreaterThanOrEqual(2);
    const handlerSummary = await requestHomeSummary(viewer(handler, "REQUEST_HANDLER"));
    expect(handlerSummary?.lead).toBeNull();
    expect(handlerSummary?.mine).toEqual({ open: 1, dueSoon: 0, overdue: 1 });
    expect(handlerSummary?.next.map((row) => row.patient)).toEqual(["Hal Mine"]);
    expect(await requestHomeSummary({ id: lead.userId, role: "VIEWER", teamIds: [] })).toBeNull();
  });
});
