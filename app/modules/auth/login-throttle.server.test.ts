import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { get, settle, signedInAs } from "../../../tests/support/requests.ts";
import { requireSession } from "./guard.server.ts";
import {
  ACCOUNT_SLOWDOWN,
  accountDelayMs,
  clearThrottle,
  listCurrentThrottles,
  PAIR_LIMIT,
} from "./login-throttle.server.ts";
import { attemptLogin, setLoginWait } from "./login.server.ts";
import { createSession } from "./session.server.ts";
import { upsertStaffAccount } from "./staff-seed.server.ts";

withTestDatabase();

let clock: FakeClock;
const realWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
beforeEach(() => {
  clock = new FakeClock(new Date("2026-07-14T09:00:00Z"));
  setClock(clock);
});
afterEach(() => {
  setClock(systemClock);
  setLoginWait(realWait);
});

const RIGHT = "the right password";

async function staff(email: string, password = RIGHT): Promise<string> {
  return upsertStaffAccount(await prisma(), {
    email,
    displayName: "Test",
    role: "VIEWER",
    password,
  });
}

const attempt = (email: string, password: string, clientAddress: string | null) =>
  attemptLogin({ email, password, clientAddress, userAgent: null });

async function auditActions(): Promise<string[]> {
  const rows = await (
    await prisma()
  ).auditEvent.findMany({ orderBy: { occurredAt: "asc" }, select: { action: true } });
  return rows.map((row) => row.action);
}

describe("sign-in throttling without denial of service", () => {
  it("20 parallel wrong passwords from one address do not stop the real user signing in from another, within the delay bound", async () => {
    const email = "target@test.nhs.uk";
    await staff(email);
    const attacker = "203.0.113.9";
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => attempt(email, `guess ${index}`, attacker)),
    );
    // The attacker's address gets at most the pair limit of real checks; the rest are refused
    // before any password is checked.
    const checked = results.filter((result) => !result.ok && result.reason === "invalid").length;
    expect(checked).toBeLessThanOrEqual(PAIR_LIMIT.attempts);
    expect(results.filter((result) => !result.ok && result.reason === "throttled")).toHaveLength(
      20 - checked,
    );
    // Even the right password from the attacker's address is refused now …
    expect(await attempt(email, RIGHT, attacker)).toMatchObject({
      ok: false,
      reason: "throttled",
    });
    // … but the real user, elsewhere, gets in: slowed, never refused, and within the bound.
    const started = Date.now();
    const real = await attempt(email, RIGHT, "198.51.100.7");
    const tookMs = Date.now() - started;
    expect(real.ok).toBe(true);
    expect(real.delayedMs).toBeGreaterThan(0);
    expect(real.delayedMs).toBeLessThanOrEqual(ACCOUNT_SLOWDOWN.maxDelayMs);
    // Wall time: the delay plus one argon2 check and a few queries (generous for a busy CI box).
    expect(tookMs).toBeLessThan(ACCOUNT_SLOWDOWN.maxDelayMs + 5_000);
    expect(await auditActions()).toContain("auth.throttle-started");
  });

  it("slows an account with a growing, capped delay but never refuses it", async () => {
    const waits: number[] = [];
    setLoginWait(async (ms) => {
      waits.push(ms);
    });
    const email = "slowed@test.nhs.uk";
    await staff(email);
    // A distributed guesser: every attempt from a different address, so no pair block.
    for (let index = 0; index < 30; index += 1) {
      expect(await attempt(email, `guess ${index}`, `10.9.${index}.1`)).toMatchObject({
        ok: false,
        reason: "invalid",
      });
    }
    expect(waits.length).toBe(30 - ACCOUNT_SLOWDOWN.freeAttempts);
    expect(waits[0]).toBe(ACCOUNT_SLOWDOWN.baseDelayMs);
    expect(waits[1]).toBe(ACCOUNT_SLOWDOWN.baseDelayMs * 2);
    expect(waits.at(-1)).toBe(ACCOUNT_SLOWDOWN.maxDelayMs);
    expect([...waits].sort((a, b) => a - b)).toEqual(waits);
    const real = await attempt(email, RIGHT, "10.200.0.1");
    expect(real).toMatchObject({ ok: true, delayedMs: ACCOUNT_SLOWDOWN.maxDelayMs });
    // Success forgives: the next sign-in is not slowed.
    expect(await attempt(email, RIGHT, "10.200.0.1")).toMatchObject({ ok: true, delayedMs: 0 });
    // The slow-down window passes on its own too.
    for (let index = 0; index < 10; index += 1) await attempt(email, "wrong", `10.8.${index}.1`);
    clock.advance(ACCOUNT_SLOWDOWN.windowMs + 1000);
    expect(await attempt(email, RIGHT, "10.200.0.1")).toMatchObject({ ok: true, delayedMs: 0 });
  });

  it("blocks an (account, address) pair for a while, then lets it try again", async () => {
    setLoginWait(async () => {});
    const email = "pair@test.nhs.uk";
    await staff(email);
    for (let index = 0; index < PAIR_LIMIT.attempts; index += 1) {
      expect(await attempt(email, "wrong", "192.0.2.50")).toMatchObject({ reason: "invalid" });
    }
    expect(await attempt(email, RIGHT, "192.0.2.50")).toMatchObject({ reason: "throttled" });
    clock.advance(PAIR_LIMIT.lockMs + 1000);
    expect((await attempt(email, RIGHT, "192.0.2.50")).ok).toBe(true);
  });

  it("lists current throttles for admins and clears one, audited", async () => {
    setLoginWait(async () => {});
    const email = "listed@test.nhs.uk";
    const userId = await staff(email);
    for (let index = 0; index <= PAIR_LIMIT.attempts; index += 1) {
      await attempt(email, "wrong", "192.0.2.77");
    }
    const throttles = (await listCurrentThrottles()).filter(
      (row) => row.email === email || row.address === "192.0.2.77",
    );
    const pair = throttles.find((row) => row.scope === "account-address");
    expect(pair).toMatchObject({ email, address: "192.0.2.77" });
    expect(pair!.blockedUntil).not.toBeNull();
    const account = throttles.find((row) => row.scope === "account");
    expect(account).toMatchObject({ email, attempts: PAIR_LIMIT.attempts });
    expect(account!.nextDelayMs).toBe(accountDelayMs(PAIR_LIMIT.attempts));
    expect(throttles.find((row) => row.scope === "address")).toMatchObject({
      address: "192.0.2.77",
    });

    const admin = await signedInAs("ADMIN");
    expect(
      await clearThrottle(pair!.key, {
        actor: { id: admin.userId, label: admin.email },
        clientAddress: "127.0.0.1",
      }),
    ).toBe(true);
    expect((await attempt(email, RIGHT, "192.0.2.77")).ok).toBe(true);
    const cleared = await (
      await prisma()
    ).auditEvent.findFirst({ where: { action: "auth.throttle-cleared" } });
    expect(cleared).toMatchObject({ actorId: admin.userId, entityId: userId });
    expect(cleared!.details).toMatchObject({ scope: "account-address" });
    // Clearing something already gone, or a made-up key, changes nothing.
    expect(
      await clearThrottle("nonsense", { actor: { id: null, label: "x" }, clientAddress: null }),
    ).toBe(false);
  });
});

describe("weak existing passwords", () => {
  it("flags a weak password at sign-in and sends the user to change it before anything else", async () => {
    const email = "weak@test.nhs.uk";
    // Set before the strength check existed (the seed writes hashes directly).
    await staff(email, "aaaaaaaaaaaa");
    const result = await attempt(email, "aaaaaaaaaaaa", "127.0.0.1");
    expect(result).toMatchObject({ ok: true, passwordChangeRequired: true });
    const user = await (await prisma()).user.findUniqueOrThrow({ where: { email } });
    expect(user.passwordChangeRequired).toBe(true);
    const { setCookie } = await createSession(user.id, { clientAddress: null });
    const cookie = setCookie.split(";")[0]!;
    const elsewhere = await settle(() => requireSession(get("/requests", { cookie })));
    expect(elsewhere.status).toBe(302);
    expect(elsewhere.headers.get("Location")).toBe("/account/password");
    const onChangePage = await requireSession(get("/account/password", { cookie }));
    expect(onChangePage.user.passwordChangeRequired).toBe(true);
  });

  it("does not flag a strong password", async () => {
    const email = "strong@test.nhs.uk";
    await staff(email);
    expect(await attempt(email, RIGHT, "127.0.0.1")).toMatchObject({
      ok: true,
      passwordChangeRequired: false,
    });
  });
});
