import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { action as createTeamAction } from "~/routes/_shell.admin.teams._index/route.tsx";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { post, settle, signedInAs } from "../../../tests/support/requests.ts";

withTestDatabase();

async function teamCount(name: string) {
  return (await prisma()).team.count({ where: { name } });
}

describe("CSRF protection on mutations", () => {
  it("accepts a same-origin form with the matching token", async () => {
    const admin = await signedInAs("ADMIN");
    const response = await settle(() =>
      createTeamAction({
        request: post("/admin/teams", { name: "Accepted team" }, admin),
        params: {},
        context: {},
      }),
    );
    expect(response.status).toBe(302);
    expect(await teamCount("Accepted team")).toBe(1);
  });

  it.each([
    ["a missing token", { csrf: null }],
    ["a mismatched token", { csrf: "x".repeat(43) }],
    ["another origin", { headers: { Origin: "https://evil.example" } }],
    ["a cross-site fetch", { headers: { "Sec-Fetch-Site": "cross-site" } }],
  ] as const)("refuses %s with 403 and changes nothing", async (_label, options) => {
    const admin = await signedInAs("ADMIN");
    const name = `Refused ${Math.random()}`;
    const response = await settle(() =>
      createTeamAction({
        request: post("/admin/teams", { name }, admin, options),
        params: {},
        context: {},
      }),
    );
    expect(response.status).toBe(403);
    expect(await teamCount(name)).toBe(0);
  });

  it("refuses a token that belongs to another browser's cookie", async () => {
    const admin = await signedInAs("ADMIN");
    const other = await signedInAs("ADMIN");
    const name = "Swapped token team";
    const response = await settle(() =>
      createTeamAction({
        request: post("/admin/teams", { name }, admin, { csrf: other.csrf }),
        params: {},
        context: {},
      }),
    );
    expect(response.status).toBe(403);
    expect(await teamCount(name)).toBe(0);
  });
});
