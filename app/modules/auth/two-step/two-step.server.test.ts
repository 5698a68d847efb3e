import { generate } from "otplib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { action as loginAction } from "~/routes/login/route.tsx";
import {
  action as twoStepAction,
  loader as twoStepLoader,
} from "~/routes/login.two-step/route.tsx";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { csrfCookie, get, post, settle, signedInAs } from "../../../../tests/support/requests.ts";
import { unseal } from "../../pkb/secrets.server.ts";
import { attemptLogin } from "../login.server.ts";
import { getActiveSession } from "../session.server.ts";
import { upsertStaffAccount } from "../staff-seed.server.ts";
import { saveTwoStepPolicy, readTwoStepPolicy } from "./policy.server.ts";
import {
  forgetDevices,
  isDeviceRemembered,
  rememberDevice,
  REMEMBER_DEVICE_MS,
} from "./remembered-device.server.ts";
import {
  acceptRecoveryCode,
  acceptTotpCode,
  beginEnrolment,
  confirmEnrolment,
  resetTwoStep,
} from "./totp.server.ts";

withTestDatabase();

const clock = new FakeClock(new Date("2026-03-02T09:00:10Z"));
beforeEach(() => setClock(clock));
afterEach(() => setClock(systemClock));

const PASSWORD = "a long enough password";
const nobody = { actor: { id: null, label: "test" }, clientAddress: null };

async function staff(role: "ADMIN" | "VIEWER" | "CAMPAIGN_MANAGER", email: string) {
  return upsertStaffAccount(await prisma(), {
    email,
    displayName: "Test",
    role,
    password: PASSWORD,
  });
}

async function secretOf(userId: string): Promise<string> {
  const row = await (await prisma()).twoStepCredential.findUniqueOrThrow({ where: { userId } });
  return unseal(row.secret, userId);
}

/** The code an authenticator app shows `offsetSteps` 30-second steps from the clock's now. */
async function codeAt(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + offsetSteps * 30 });
}

async function enrolled(email: string, role: "ADMIN" | "VIEWER" = "VIEWER") {
  const userId = await staff(role, email);
  await beginEnrolment(userId);
  const secret = await secretOf(userId);
  const recovery = await confirmEnrolment(userId, await codeAt(secret), nobody);
  // Move on a few steps so the confirming code's step is behind us.
  clock.advance(3 * 30_000);
  return { userId, secret, recovery };
}

describe("authenticator codes", () => {
  it("accepts a code one step either side of now, not two", async () => {
    const { userId, secret } = await enrolled("window@test.nhs.uk");
    expect(await acceptTotpCode(userId, await codeAt(secret, -2))).toBe(false);
    expect(await acceptTotpCode(userId, await codeAt(secret, -1))).toBe(true);
    clock.advance(5 * 30_000);
    expect(await acceptTotpCode(userId, await codeAt(secret, 2))).toBe(false);
    expect(await acceptTotpCode(userId, await codeAt(secret, 1))).toBe(true);
    clock.advance(5 * 30_000);
    expect(await acceptTotpCode(userId, "12345")).toBe(false);
    expect(await acceptTotpCode(userId, "abcdef")).toBe(false);
    expect(await acceptTotpCode(userId, await codeAt(secret))).toBe(true);
  });

  it("accepts a code once, even when it is sent twice at the same moment", async () => {
    const { userId, secret } = await enrolled("reuse@test.nhs.uk");
    const code = await codeAt(secret);
    const results = await Promise.all([
      acceptTotpCode(userId, code),
      acceptTotpCode(userId, code),
      acceptTotpCode(userId, code),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await acceptTotpCode(userId, code)).toBe(false);
    // A code for the step before the one just used is refused too.
    expect(await acceptTotpCode(userId, await codeAt(secret, -1))).toBe(false);
    clock.advance(30_000);
    expect(await acceptTotpCode(userId, await codeAt(secret))).toBe(true);
  });

  it("refuses a wrong first code at enrolment and keeps the key while the page is reloaded", async () => {
    const userId = await staff("VIEWER", "enrol@test.nhs.uk");
    await beginEnrolment(userId);
    const secret = await secretOf(userId);
    await beginEnrolment(userId);
    expect(await secretOf(userId)).toBe(secret);
    await expect(confirmEnrolment(userId, "000000", nobody)).rejects.toThrow("wrong-code");
    const codes = await confirmEnrolment(userId, await codeAt(secret), nobody);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    // Enrolled: a new enrolment cannot replace the working authenticator.
    await expect(beginEnrolment(userId)).rejects.toThrow("already-enrolled");
    const stored = await (await prisma()).twoStepRecoveryCode.findMany({ where: { userId } });
    expect(stored).toHaveLength(10);
    for (const row of stored) {
      expect(codes.some((code) => row.codeHash.includes(code.replace("-", "")))).toBe(false);
      expect(row.codeHash.startsWith("$argon2id$")).toBe(true);
    }
  });
});

describe("recovery codes", () => {
  it("each works once, typed in any case and with or without the dash", async () => {
    const { userId, recovery } = await enrolled("recovery@test.nhs.uk");
    const [first, second] = recovery as [string, string];
    expect(await acceptRecoveryCode(userId, first.toLowerCase(), nobody)).toBe(true);
    expect(await acceptRecoveryCode(userId, first, nobody)).toBe(false);
    const parallel = await Promise.all([
      acceptRecoveryCode(userId, second.replace("-", ""), nobody),
      acceptRecoveryCode(userId, second, nobody),
    ]);
    expect(parallel.filter(Boolean)).toHaveLength(1);
    expect(await acceptRecoveryCode(userId, "ZZZZZ-ZZZZZ", nobody)).toBe(false);
    const db = await prisma();
    expect(await db.twoStepRecoveryCode.count({ where: { userId, usedAt: null } })).toBe(8);
    const audits = await db.auditEvent.findMany({
      where: { entityId: userId, action: "two-step.recovery-code-used" },
    });
    expect(audits).toHaveLength(2);
  });
});

describe("remembered devices", () => {
  it("skip the second step for the same user for at most 12 hours, and can be revoked", async () => {
    const { userId } = await enrolled("device@test.nhs.uk");
    const other = await staff("VIEWER", "other-device@test.nhs.uk");
    const cookie = (await rememberDevice(userId, "vitest")).split(";")[0]!;
    expect(await isDeviceRemembered(cookie, userId)).toBe(true);
    expect(await isDeviceRemembered(cookie, other)).toBe(false);
    // A forged or tampered cookie names nothing.
    expect(await isDeviceRemembered(`${cookie.split("=")[0]}=abc`, userId)).toBe(false);
    clock.advance(REMEMBER_DEVICE_MS - 1000);
    expect(await isDeviceRemembered(cookie, userId)).toBe(true);
    clock.advance(2000);
    expect(await isDeviceRemembered(cookie, userId)).toBe(false);

    const again = (await rememberDevice(userId, "vitest")).split(";")[0]!;
    expect(await isDeviceRemembered(again, userId)).toBe(true);
    expect(await forgetDevices(userId)).toBe(1);
    expect(await isDeviceRemembered(again, userId)).toBe(false);
  });
});

describe("administrator's reset", () => {
  it("removes the authenticator, codes and devices, ends sessions, and is audited", async () => {
    const { userId } = await enrolled("reset@test.nhs.uk");
    const admin = await signedInAs("ADMIN");
    const device = (await rememberDevice(userId, "vitest")).split(";")[0]!;
    await resetTwoStep(userId, {
      actor: { id: admin.userId, label: admin.email },
      clientAddress: "10.0.0.1",
    });
    const db = await prisma();
    expect(await db.twoStepCredential.findUnique({ where: { userId } })).toBeNull();
    expect(await db.twoStepRecoveryCode.count({ where: { userId } })).toBe(0);
    expect(await isDeviceRemembered(device, userId)).toBe(false);
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { action: "two-step.reset", entityId: userId },
    });
    expect(audit.actorId).toBe(admin.userId);
    expect(audit.clientAddress).toBe("10.0.0.1");
    expect(audit.details).toMatchObject({ hadAuthenticator: true });
  });
});

describe("policy", () => {
  it("requires admins and campaign managers by default, and saves a change with an audit", async () => {
    const policy = await readTwoStepPolicy();
    expect(policy).toMatchObject({ ADMIN: true, CAMPAIGN_MANAGER: true, VIEWER: false });
    await saveTwoStepPolicy({ ...policy, VIEWER: true }, nobody);
    expect((await readTwoStepPolicy()).VIEWER).toBe(true);
    await saveTwoStepPolicy(policy, nobody);
    const audits = await (
      await prisma()
    ).auditEvent.findMany({ where: { action: "two-step.policy-changed" } });
    expect(audits).toHaveLength(2);
  });
});

/** A browser's cookie jar, enough for the sign-in round trips. */
function jar() {
  const cookies = new Map<string, string>();
  return {
    take(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const [name, ...rest] = pair!.split("=");
        const value = rest.join("=");
        if (/Max-Age=0/i.test(line) || value === "") cookies.delete(name!);
        else cookies.set(name!, value);
      }
    },
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
  };
}

async function browser() {
  const cookies = jar();
  const { csrf, cookie } = await csrfCookie();
  const [name, value] = cookie.split("=") as [string, string];
  cookies.take(new Response(null, { headers: { "Set-Cookie": `${name}=${value}` } }));
  return {
    cookies,
    identity: () => ({ cookie: cookies.header(), csrf }),
  };
}

describe("signing in with a second step", () => {
  it("gives no session until the code passes, and only in the browser that passed the password", async () => {
    const { userId, secret } = await enrolled("flow@test.nhs.uk", "ADMIN");
    const tab = await browser();
    const afterPassword = await settle(async () =>
      loginAction({
        request: post(
          "/login",
          { email: "flow@test.nhs.uk", password: PASSWORD, redirectTo: "/admin/users" },
          tab.identity(),
        ),
        params: {},
        context: {},
      }),
    );
    expect(afterPassword.status).toBe(302);
    expect(afterPassword.headers.get("Location")).toBe(
      "/login/two-step?redirectTo=%2Fadmin%2Fusers",
    );
    tab.cookies.take(afterPassword);
    expect(await getActiveSession(get("/", tab.identity()))).toBeNull();
    const db = await prisma();
    expect(await db.session.count({ where: { userId } })).toBe(0);

    // Another browser, without the pending cookie, gets nowhere.
    const stranger = await browser();
    const refused = await settle(async () =>
      twoStepAction({
        request: post(
          "/login/two-step",
          { intent: "code", code: await codeAt(secret) },
          stranger.identity(),
        ),
        params: {},
        context: {},
      }),
    );
    expect(refused.headers.get("Location")).toBe("/login");

    const loaded = await settle(async () =>
      twoStepLoader({ request: get("/login/two-step", tab.identity()), params: {}, context: {} }),
    );
    expect(await loaded.json()).toMatchObject({ mode: "code" });

    const wrong = await settle(async () =>
      twoStepAction({
        request: post("/login/two-step", { intent: "code", code: "000000" }, tab.identity()),
        params: {},
        context: {},
      }),
    );
    expect(wrong.status).toBe(401);

    const passed = await settle(async () =>
      twoStepAction({
        request: post(
          "/login/two-step",
          {
            intent: "code",
            code: await codeAt(secret),
            redirectTo: "/admin/users",
            remember: "yes",
          },
          tab.identity(),
        ),
        params: {},
        context: {},
      }),
    );
    expect(passed.status).toBe(302);
    expect(passed.headers.get("Location")).toBe("/admin/users");
    tab.cookies.take(passed);
    expect((await getActiveSession(get("/", tab.identity())))?.user.id).toBe(userId);
    const login = await db.auditEvent.findFirstOrThrow({
      where: { action: "auth.login", entityId: userId },
    });
    expect(login.details).toMatchObject({ secondStep: "totp" });

    // The pending state is spent: the same cookie cannot start another session.
    const pendingCookie = afterPassword.headers.getSetCookie()[0]!.split(";")[0]!;
    const freshCsrf = await csrfCookie();
    const replay = await settle(async () =>
      twoStepAction({
        request: post(
          "/login/two-step",
          { intent: "code", code: await codeAt(secret, 1) },
          { cookie: `${pendingCookie}; ${freshCsrf.cookie}`, csrf: freshCsrf.csrf },
        ),
        params: {},
        context: {},
      }),
    );
    expect(replay.status, await replay.clone().text()).toBe(302);
    expect(replay.headers.get("Location")).toBe("/login");

    // The remembered device skips the second step next time (same browser, same user).
    const next = await attemptLogin({
      email: "flow@test.nhs.uk",
      password: PASSWORD,
      clientAddress: null,
      userAgent: null,
      cookieHeader: tab.identity().cookie,
    });
    expect(next.ok).toBe(true);
  });

  it("ends the pending sign-in after five wrong codes and after five minutes", async () => {
    const { secret } = await enrolled("patience@test.nhs.uk", "ADMIN");
    const tab = await browser();
    tab.cookies.take(
      await settle(async () =>
        loginAction({
          request: post(
            "/login",
            { email: "patience@test.nhs.uk", password: PASSWORD },
            tab.identity(),
          ),
          params: {},
          context: {},
        }),
      ),
    );
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await settle(async () =>
        twoStepAction({
          request: post("/login/two-step", { intent: "code", code: "111111" }, tab.identity()),
          params: {},
          context: {},
        }),
      );
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 302]);
    const afterLimit = await settle(async () =>
      twoStepAction({
        request: post(
          "/login/two-step",
          { intent: "code", code: await codeAt(secret) },
          tab.identity(),
        ),
        params: {},
        context: {},
      }),
    );
    expect(afterLimit.headers.get("Location")).toBe("/login");

    const late = await browser();
    late.cookies.take(
      await settle(async () =>
        loginAction({
          request: post(
            "/login",
            { email: "patience@test.nhs.uk", password: PASSWORD },
            late.identity(),
          ),
          params: {},
          context: {},
        }),
      ),
    );
    clock.advance(5 * 60 * 1000 + 1000);
    const expired = await settle(async () =>
      twoStepAction({
        request: post(
          "/login/two-step",
          { intent: "code", code: await codeAt(secret) },
          late.identity(),
        ),
        params: {},
        context: {},
      }),
    );
    expect(expired.headers.get("Location")).toBe("/login");
  });

  it("sends someone whose role requires it to enrol before any session, then shows recovery codes once", async () => {
    const userId = await staff("CAMPAIGN_MANAGER", "must-enrol@test.nhs.uk");
    const tab = await browser();
    const afterPassword = await settle(async () =>
      loginAction({
        request: post(
          "/login",
          { email: "must-enrol@test.nhs.uk", password: PASSWORD },
          tab.identity(),
        ),
        params: {},
        context: {},
      }),
    );
    expect(afterPassword.headers.get("Location")).toBe("/login/two-step");
    tab.cookies.take(afterPassword);
    const page = await settle(async () =>
      twoStepLoader({ request: get("/login/two-step", tab.identity()), params: {}, context: {} }),
    );
    const view = (await page.json()) as { mode: string; enrolment: { manualKey: string } };
    expect(view.mode).toBe("enrol");
    const secret = view.enrolment.manualKey.replace(/\s/g, "");
    expect(await getActiveSession(get("/", tab.identity()))).toBeNull();
    const confirmed = await settle(async () =>
      twoStepAction({
        request: post(
          "/login/two-step",
          { intent: "confirm", code: await codeAt(secret) },
          tab.identity(),
        ),
        params: {},
        context: {},
      }),
    );
    expect(confirmed.status).toBe(200);
    const body = (await confirmed.json()) as { kind: string; codes: string[] };
    expect(body.kind).toBe("recovery-codes");
    expect(body.codes).toHaveLength(10);
    tab.cookies.take(confirmed);
    expect((await getActiveSession(get("/", tab.identity())))?.user.id).toBe(userId);
  });

  it("signs in with the password alone when the role does not require it and none is set up", async () => {
    await staff("VIEWER", "plain@test.nhs.uk");
    const result = await attemptLogin({
      email: "plain@test.nhs.uk",
      password: PASSWORD,
      clientAddress: null,
      userAgent: null,
    });
    expect(result.ok).toBe(true);
  });
});
