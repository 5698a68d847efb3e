import { afterEach, beforeEach, expect, it } from "vitest";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { getDatabase, prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { housekeepingJob } from "./housekeeping.job.server.ts";
import { upsertStaffAccount } from "./staff-seed.server.ts";

withTestDatabase();

const clock = new FakeClock(new Date("2026-03-02T09:00:00Z"));
beforeEach(() => setClock(clock));
afterEach(() => setClock(systemClock));

const minutes = (n: number) => new Date(clock.now().getTime() + n * 60_000);

it("removes expired two-step pending sign-ins, SSO round trips and remembered devices, keeps live ones", async () => {
  const db = await prisma();
  const userId = await upsertStaffAccount(db, {
    email: "housekeeping@example.nhs.uk",
    displayName: "Housekeeping",
    role: "VIEWER",
    password: "correct horse battery staple 42",
  });
  for (const [id, expiresAt] of [
    ["pending-old", minutes(-1)],
    ["pending-live", minutes(4)],
  ] as const) {
    await db.twoStepPendingSignIn.create({
      data: { id, userId, createdAt: minutes(-6), expiresAt },
    });
    await db.ssoLoginAttempt.create({
      data: {
        id: `sso-${id}`,
        browserHash: "b",
        nonce: "n",
        codeVerifier: "v",
        redirectTo: "/",
        createdAt: minutes(-6),
        expiresAt,
      },
    });
    await db.twoStepRememberedDevice.create({
      data: {
        id: crypto.randomUUID(),
        userId,
        tokenHash: `device-${id}`,
        createdAt: minutes(-6),
        expiresAt,
      },
    });
  }

  await housekeepingJob.handler(
    {},
    {
      jobId: "test",
      retryCount: 0,
      database: await getDatabase(),
      signal: AbortSignal.timeout(5_000),
    },
  );

  expect((await db.twoStepPendingSignIn.findMany()).map((r) => r.id)).toEqual(["pending-live"]);
  expect((await db.ssoLoginAttempt.findMany()).map((r) => r.id)).toEqual(["sso-pending-live"]);
  expect((await db.twoStepRememberedDevice.findMany()).map((r) => r.tokenHash)).toEqual([
    "device-pending-live",
  ]);
});
