import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { loader as teamLoader } from "~/routes/_shell.admin.teams.$teamId/route.tsx";
import { loader as teamsLoader } from "~/routes/_shell.admin.teams._index/route.tsx";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { get, settle, signedInAs } from "../../../tests/support/requests.ts";

withTestDatabase();

describe("team scope comes from the session", () => {
  it("shows a team lead only their own teams, and another team's id answers 404", async () => {
    const lead = await signedInAs("TEAM_LEAD", ["Cardiology scope"]);
    const admin = await signedInAs("ADMIN");
    const db = await prisma();
    const own = await db.team.findUniqueOrThrow({ where: { name: "Cardiology scope" } });
    const other = await db.team.create({ data: { name: "Dermatology scope" } });

    const list = (await (
      await settle(async () =>
        teamsLoader({ request: get("/admin/teams", lead), params: {}, context: {} }),
      )
    ).json()) as { teams: Array<{ name: string }> };
    expect(list.teams.map((team) => team.name)).toEqual(["Cardiology scope"]);

    const ownPage = await settle(async () =>
      teamLoader({
        request: get(`/admin/teams/${own.id}`, lead),
        params: { teamId: own.id },
        context: {},
      }),
    );
    expect(ownPage.status).toBe(200);
    const otherPage = await settle(async () =>
      teamLoader({
        request: get(`/admin/teams/${other.id}`, lead),
        params: { teamId: other.id },
        context: {},
      }),
    );
    expect(otherPage.status).toBe(404);

    // An admin (manage:team) sees every team.
    const adminList = (await (
      await settle(async () =>
        teamsLoader({ request: get("/admin/teams", admin), params: {}, context: {} }),
      )
    ).json()) as { teams: Array<{ name: string }> };
    expect(adminList.teams.map((team) => team.name)).toEqual(
      expect.arrayContaining(["Cardiology scope", "Dermatology scope"]),
    );
  });
});
