import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { action, loader } from "~/routes/_shell.requests.settings/route.tsx";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { get, post, settle, signedInAs } from "../../../../tests/support/requests.ts";

withTestDatabase();

describe("service level settings", () => {
  it("lets a lead set their own team's level (audited, open requests re-dated) and answers 404 for another team", async () => {
    const lead = await signedInAs("TEAM_LEAD", ["SLA own"]);
    const db = await prisma();
    const own = await db.team.findUniqueOrThrow({ where: { name: "SLA own" } });
    const other = await db.team.create({ data: { name: "SLA other" } });
    const open = await db.appointmentRequest.create({
      data: {
        grantId: randomUUID(),
        pkbMessageId: randomUUID(),
        patientPublicId: randomUUID(),
        action: "CANCEL",
        rawSubject: "x",
        patientNote: "",
        receivedAt: new Date("2026-12-01T09:00:00Z"),
        matchState: "MATCHED",
        matchReason: "test",
        teamId: own.id,
      },
    });
    const form = {
      intent: "service-level",
      targetWorkingHours: "4",
      dayStart: "08:00",
      dayEnd: "18:00",
      urgentWithinDays: "5",
    };
    const saved = await settle(async () =>
      action({
        request: post("/requests/settings", { ...form, teamId: own.id }, lead),
        params: {},
        context: {},
      }),
    );
    expect(saved.status).toBe(302);
    expect(
      (await db.appointmentRequest.findUniqueOrThrow({ where: { id: open.id } })).dueAt,
    ).toEqual(new Date("2026-12-01T13:00:00Z"));
    expect(
      await db.auditEvent.count({
        where: { action: "team.service-level.update", entityId: own.id },
      }),
    ).toBe(1);

    const refused = await settle(async () =>
      action({
        request: post("/requests/settings", { ...form, teamId: other.id }, lead),
        params: {},
        context: {},
      }),
    );
    expect(refused.status).toBe(404);
    const trustWide = await settle(async () =>
      action({
        request: post(
          "/requests/settings",
          { intent: "add-closure", day: "2026-12-02", scope: "trust", reason: "x" },
          lead,
        ),
        params: {},
        context: {},
      }),
    );
    expect(trustWide.status).toBe(404);

    const bad = await settle(async () =>
      action({
        request: post(
          "/requests/settings",
          { ...form, teamId: own.id, dayStart: "18:00", dayEnd: "08:00" },
          lead,
        ),
        params: {},
        context: {},
      }),
    );
    expect(bad.status).toBe(400);

    const closed = await settle(async () =>
      action({
        request: post(
          "/requests/settings",
          { intent: "add-closure", day: "2026-12-01", scope: own.id, reason: "Away day" },
          lead,
        ),
        params: {},
        context: {},
      }),
    );
    expect(closed.status).toBe(302);
    // 1 Dec closed → 4 working hours from Wed 2 Dec 08:00.
    expect(
      (await db.appointmentRequest.findUniqueOrThrow({ where: { id: open.id } })).dueAt,
    ).toEqual(new Date("2026-12-02T12:00:00Z"));
    const page = (await (
      await settle(async () =>
        loader({ request: get("/requests/settings", lead), params: {}, context: {} }),
      )
    ).json()) as { teams: Array<{ name: string }> };
    expect(page.teams.map((team) => team.name)).toEqual(["SLA own"]);
  });
});
