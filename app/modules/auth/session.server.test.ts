import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { get, post, settle, signedInAs, csrfCookie } from "../../../tests/support/requests.ts";
import { attemptLogin } from "./login.server.ts";
import { getCookies } from "./cookies.server.ts";
import {
  getActiveSession,
  hashSessionToken,
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
} from "./session.server.ts";
import { setUserDisabled } from "./users.server.ts";
import { upsertStaffAccount } from "./staff-seed.server.ts";
import { action as loginAction } from "~/routes/login/route.tsx";

withTestDatabase();

let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock(new Date("2026-07-14T09:00:00Z"));
  setClock(clock);
});
afterEach(() => setClock(systemClock));

async function tokenFrom(setCookie: string): Promise<string> {
  return (await getCookies().session.parse(setCookie.split(";")[0]!)) as string;
}

/** A viewer account that can sign in with `password`. */
async function staffWithPassword(email: string, password: string): Promise<void> {
  await upsertStaffAccount(await prisma(), {
    email,
    displayName: "Test",
    role: "VIEWER",
    password,
  });
}

describe("sessions", () => {
  it("defeats session fixation: sign-in issues a new id and ends the one the browser had", async () => {
    const email = "fixation@test.nhs.uk";
    await staffWithPassword(email, "long enough password");
    const first = await attemptLogin({
      email,
      password: "long enough password",
      clientAddress: null,
      userAgent: null,
    });
    if (!first.ok) throw new Error("login failed");
    const planted = await tokenFrom(first.setCookie);
    // The same browser (or an attacker who planted that cookie) signs in again.
    const second = await attemptLogin({
      email,
      password: "long enough password",
      clientAddress: null,
      userAgent: null,
      previousSessionToken: planted,
    });
    if (!second.ok) throw new Error("login failed");
    const fresh = await tokenFrom(second.setCookie);
    expect(fresh).not.toBe(planted);
    const old = await (
      await prisma()
    ).session.findUnique({ where: { id: hashSessionToken(planted) } });
    expect(old?.revokedReason).toBe("replaced");
    expect(await getActiveSession(get("/", { cookie: first.setCookie.split(";")[0]! }))).toBeNull();
    expect(
      await getActiveSession(get("/", { cookie: second.setCookie.split(";")[0]! })),
    ).not.toBeNull();
  });

  it("ends a session idle for 30 minutes", async () => {
    const identity = await signedInAs("VIEWER");
    clock.advance(SESSION_IDLE_MS - 1000);
    expect(await getActiveSession(get("/", identity))).not.toBeNull();
    // Activity moved lastSeenAt on: another 29 minutes is still fine.
    clock.advance(SESSION_IDLE_MS - 1000);
    expect(await getActiveSession(get("/", identity))).not.toBeNull();
    clock.advance(SESSION_IDLE_MS);
    expect(await getActiveSession(get("/", identity))).toBeNull();
    // And it stays ended: activity cannot revive it.
    clock.advance(-SESSION_IDLE_MS);
    expect(await getActiveSession(get("/", identity))).toBeNull();
  });

  it("ends a session 12 hours after sign-in however active it was", async () => {
    const identity = await signedInAs("VIEWER");
    for (
      let elapsed = 0;
      elapsed < SESSION_ABSOLUTE_MS - 20 * 60 * 1000;
      elapsed += 20 * 60 * 1000
    ) {
      clock.advance(20 * 60 * 1000);
      expect(await getActiveSession(get("/", identity))).not.toBeNull();
    }
    clock.advance(40 * 60 * 1000);
    expect(await getActiveSession(get("/", identity))).toBeNull();
  });

  it("rejects a tampered cookie", async () => {
    const identity = await signedInAs("ADMIN");
    const [sessionCookie] = identity.cookie.split("; ");
    const [name, value] = sessionCookie!.split("=");
    // Flip one character of the signed value; and try a forged unsigned value.
    const flipped = value!.slice(0, 5) + (value![5] === "A" ? "B" : "A") + value!.slice(6);
    expect(await getActiveSession(get("/", { cookie: `${name}=${flipped}` }))).toBeNull();
    const forged = Buffer.from(JSON.stringify("forged-token")).toString("base64");
    expect(await getActiveSession(get("/", { cookie: `${name}=${forged}` }))).toBeNull();
    expect(await getActiveSession(get("/", identity))).not.toBeNull();
  });

  it("ends every session of a user who is disabled", async () => {
    const admin = await signedInAs("ADMIN");
    const target = await signedInAs("REQUEST_HANDLER");
    expect(await getActiveSession(get("/", target))).not.toBeNull();
    const { sessionsEnded } = await setUserDisabled(target.userId, true, {
      actor: { id: admin.userId, label: admin.email },
      clientAddress: null,
    });
    expect(sessionsEnded).toBe(1);
    expect(await getActiveSession(get("/", target))).toBeNull();
    const result = await attemptLogin({
      email: target.email,
      password: "a password that is long",
      clientAddress: null,
      userAgent: null,
    });
    expect(result).toMatchObject({ ok: false, reason: "invalid" });
  });
});

describe("sign-in", () => {
  it("does not lock people out for successful sign-ins from one shared address", async () => {
    const email = "shared-nat@test.nhs.uk";
    await staffWithPassword(email, "the right password");
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const result = await attemptLogin({
        email,
        password: "the right password",
        clientAddress: "192.0.2.10",
        userAgent: null,
      });
      expect(result.ok).toBe(true);
    }
  });

  it("gives the same generic answer for an unknown account and a wrong password", async () => {
    const identity = await signedInAs("VIEWER");
    const { cookie, csrf } = await csrfCookie();
    const unknown = await settle(() =>
      loginAction({
        request: post("/login", { email: "nobody@test.nhs.uk", password: "x" }, { cookie, csrf }),
        params: {},
        context: {},
      }),
    );
    const wrong = await settle(() =>
      loginAction({
        request: post("/login", { email: identity.email, password: "x" }, { cookie, csrf }),
        params: {},
        context: {},
      }),
    );
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await unknown.json()).toEqual(await wrong.json());
  });
});
