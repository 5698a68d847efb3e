import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { action as changeAction } from "~/routes/_shell.account.password/route.tsx";
import { action as setPasswordAction } from "~/routes/set-password.$token/route.tsx";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { csrfCookie, post, settle, signedInAs } from "../../../tests/support/requests.ts";
import { attemptLogin } from "./login.server.ts";
import { assessPassword, passwordProblem } from "./password-strength.server.ts";
import { issueSetupLink } from "./users.server.ts";

withTestDatabase();

describe("password strength", () => {
  it.each([
    ["aaaaaaaaaaaa", /Repeated characters/],
    ["Password1234!", /commonly used password/],
    ["qwertyuiopasdf", /commonly used|keyboard|pattern/i],
    ["short", /shorter than 12 characters/],
  ])("refuses %s and says why in plain words", (password, reason) => {
    const assessment = assessPassword(password);
    expect(assessment.ok).toBe(false);
    if (assessment.ok) return;
    expect(assessment.reason).toMatch(reason);
    expect(assessment.suggestions.length).toBeGreaterThan(0);
    // Never a composition rule.
    expect(passwordProblem(password)).not.toMatch(/must (contain|include)|uppercase|symbol/i);
  });

  it("refuses a password built from the person's own name or e-mail address", () => {
    const assessment = assessPassword("margaretthatcher", ["margaret.thatcher@nhs.net", "Maggie"]);
    expect(assessment).toMatchObject({ ok: false, reason: expect.stringMatching(/your name/) });
  });

  it.each(["correct horse battery staple", "blue-kettle-walrus-1987", "a password that is long"])(
    "accepts %s: long and unrelated words, no symbols needed",
    (password) => expect(assessPassword(password)).toEqual({ ok: true }),
  );
});

describe("where passwords are set", () => {
  it("a set-password link refuses a weak password with the reason, and accepts a strong one", async () => {
    const admin = await signedInAs("ADMIN");
    const target = await signedInAs("VIEWER");
    const token = await issueSetupLink(target.userId, {
      actor: { id: admin.userId, label: admin.email },
      clientAddress: null,
    });
    const { cookie, csrf } = await csrfCookie();
    const weak = await settle(() =>
      setPasswordAction({
        request: post(
          `/set-password/${token}`,
          { password: "Password1234!", confirm: "Password1234!" },
          { cookie, csrf },
        ),
        params: { token },
        context: {},
      }),
    );
    expect(weak.status).toBe(400);
    expect(await weak.json()).toEqual({
      errors: [
        {
          field: "password",
          message: expect.stringMatching(/similar to a commonly used password/),
        },
      ],
    });
    const strong = await settle(() =>
      setPasswordAction({
        request: post(
          `/set-password/${token}`,
          { password: "ladder orbit plum seventy", confirm: "ladder orbit plum seventy" },
          { cookie, csrf },
        ),
        params: { token },
        context: {},
      }),
    );
    expect(strong.status).toBe(302);
    expect(
      (
        await attemptLogin({
          email: target.email,
          password: "ladder orbit plum seventy",
          clientAddress: null,
          userAgent: null,
        })
      ).ok,
    ).toBe(true);
  });

  it("/account/password checks the current password, refuses a weak new one, and clears the change-required flag", async () => {
    const me = await signedInAs("REQUEST_HANDLER");
    const db = await prisma();
    await db.user.update({ where: { id: me.userId }, data: { passwordChangeRequired: true } });
    const change = (form: Record<string, string>) =>
      settle(() =>
        changeAction({ request: post("/account/password", form, me), params: {}, context: {} }),
      );
    const wrongCurrent = await change({
      current: "not my password",
      password: "ladder orbit plum seventy",
      confirm: "ladder orbit plum seventy",
    });
    expect(wrongCurrent.status).toBe(400);
    expect(JSON.stringify(await wrongCurrent.json())).toMatch(/current password is not right/);
    const weak = await change({
      current: "a password that is long",
      password: "aaaaaaaaaaaaaaaa",
      confirm: "aaaaaaaaaaaaaaaa",
    });
    expect(weak.status).toBe(400);
    expect(JSON.stringify(await weak.json())).toMatch(/Repeated characters/);
    const good = await change({
      current: "a password that is long",
      password: "ladder orbit plum seventy",
      confirm: "ladder orbit plum seventy",
    });
    expect(good.status).toBe(302);
    const user = await db.user.findUniqueOrThrow({ where: { id: me.userId } });
    expect(user.passwordChangeRequired).toBe(false);
    expect(
      await db.auditEvent.count({ where: { action: "user.change-password", entityId: me.userId } }),
    ).toBe(1);
  });
});
