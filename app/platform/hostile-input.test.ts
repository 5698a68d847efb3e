import { describe, expect, it } from "vitest";
import { action as loginAction } from "~/routes/login/route.tsx";
import { action as teamsAction } from "~/routes/_shell.admin.teams._index/route.tsx";
import { withTestDatabase } from "../../tests/support/database.ts";
import { csrfCookie, post, settle, signedInAs } from "../../tests/support/requests.ts";

withTestDatabase();

/** The forms the review found answering 500 on a NUL byte now answer 400 naming the field. */
describe("a NUL byte in a form", () => {
  it("in the sign-in form's e-mail address", async () => {
    const { cookie, csrf } = await csrfCookie();
    const response = await settle(() =>
      loginAction({
        request: post("/login", { email: "a\u0000@nhs.net", password: "x" }, { cookie, csrf }),
        params: {},
        context: {},
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      message: expect.stringMatching(/“email” field contains an invisible NUL/),
    });
  });

  it("in a team's name", async () => {
    const admin = await signedInAs("ADMIN");
    const response = await settle(() =>
      teamsAction({
        request: post("/admin/teams", { name: "Cardio\u0000logy", description: "" }, admin),
        params: {},
        context: {},
      }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(JSON.stringify(await response.json())).toMatch(/“name” field/);
  });
});
