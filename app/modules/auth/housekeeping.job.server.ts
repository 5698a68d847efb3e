import { z } from "zod";
import { now } from "~/platform/clock.ts";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { getLogger } from "~/platform/logger.server.ts";

// Ended sessions are kept a month for investigations, then removed.
const ENDED_SESSION_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Hourly: removes long-ended sessions, spent set-password links, stale sign-in counters, and the
 * short-lived sign-in states (two-step pending sign-ins, SSO round trips, remembered devices)
 * once they have expired — they are useless then, and keeping them only grows the tables.
 */
export const housekeepingJob = defineJob({
  name: "auth.housekeeping",
  description:
    "Removes long-ended sessions, spent set-password links, stale sign-in counters and expired sign-in states",
  payload: z.object({}).passthrough(),
  options: { cron: "17 * * * *", retryLimit: 3, expireInSeconds: 300 },
  async handler(_payload, { database }) {
    const cutoff = new Date(now().getTime() - ENDED_SESSION_RETENTION_MS);
    const db = database.prisma;
    const expired = { expiresAt: { lt: now() } };
    const [sessions, links, throttles, pending, sso, devices] = await db.$transaction([
      db.session.deleteMany({
        where: { OR: [{ revokedAt: { lt: cutoff } }, { expiresAt: { lt: cutoff } }] },
      }),
      db.passwordSetupToken.deleteMany({ where: { expiresAt: { lt: cutoff } } }),
      db.loginThrottle.deleteMany({
        where: { windowStart: { lt: new Date(now().getTime() - 24 * 60 * 60 * 1000) } },
      }),
      db.twoStepPendingSignIn.deleteMany({ where: expired }),
      db.ssoLoginAttempt.deleteMany({ where: expired }),
      db.twoStepRememberedDevice.deleteMany({ where: expired }),
    ]);
    getLogger().info(
      {
        sessions: sessions.count,
        links: links.count,
        throttles: throttles.count,
        pendingSignIns: pending.count,
        ssoAttempts: sso.count,
        rememberedDevices: devices.count,
      },
      "housekeeping done",
    );
  },
});
