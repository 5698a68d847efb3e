import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { action as teamAction } from "~/routes/_shell.admin.teams.$teamId/route.tsx";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { post, settle, signedInAs } from "../../../tests/support/requests.ts";

withTestDatabase();

describe("team membership from the team page", () => {
  it("adds and removes a member, auditing each change once", async () => {
    const admin = await signedInAs("ADMIN");
    const handler = await signedInAs("REQUEST_HANDLER");
    const db = await prisma();
    const team = await db.team.create({ data: { name: "Membership team" } });
    const act = (form: Record<string, string>) =>
      settle(async () =>
        teamAction({
          request: post(`/admin/teams/${team.id}`, form, admin),
          params: { teamId: team.id },
          context: {},
        }),
      );

    expect((await act({ intent: "add-member", userId: handler.userId })).status).toBe(302);
    expect((await act({ intent: "add-member", userId: handler.userId })).status).toBe(302);
    expect(await db.teamMembership.count({ where: { teamId: team.id } })).toBe(1);

    expect((await act({ intent: "remove-member", userId: handler.userId })).status).toBe(302);
    expect(await db.teamMembership.count({ where: { teamId: team.id } })).toBe(0);

    const audit = await db.auditEvent.findMany({
      where: { entityType: "team", entityId: team.id },
      orderBy: { id: "asc" },
      select: { action: true, details: true },
    });
    expect(audit).toEqual([
      { action: "team.add-member", details: { userId: handler.userId } },
      { action: "team.remove-member", details: { userId: handler.userId } },
    ]);
  });

  it("names the field when the person is missing or unknown", async () => {
    const admin = await signedInAs("ADMIN");
    const team = await (await prisma()).team.create({ data: { name: "Validation team" } });
    const act = (form: Record<string, string>) =>
      settle(async () =>
        teamAction({
          request: post(`/admin/teams/${team.id}`, form, admin),
          params: { teamId: team.id },
          context: {},
        }),
      );
    const missing = await act({ intent: "add-member", userId: "" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      errors: [{ field: "userId", message: "Choose a person to add" }],
    });
    const unknown = await act({ intent: "add-member", userId: randomUUID() });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({
      errors: [{ field: "userId", message: "That person no longer has an account" }],
    });
  });
});
