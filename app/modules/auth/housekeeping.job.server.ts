import { z } from "zod";
import { now } from "~/platform/clock.ts";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { getLogger } from "~/platform/logger.server.ts";

// Ended sessions are kept a month for investigations, then removed.
const ENDED_SESSION_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Hourly: removes long-ended sessions, spent set-password links and stale sign-in counters. */
export const housekeepingJob = defineJob({
  name: "auth.housekeeping",
  description: "Removes long-ended sessions, spent set-password links and stale sign-in counters",
  payload: z.object({}).passthrough(),
  options: { cron: "17 * * * *", retryLimit: 3, expireInSeconds: 300 },
  async handler(_payload, { database }) {
    const cutoff = new Date(now().getTime() - ENDED_SESSION_RETENTION_MS);
    const db = database.prisma;
    const [sessions, links, throttles] = await db.$transaction([
      db.session.deleteMany({
        where: { OR: [{ revokedAt: { lt: cutoff } }, { expiresAt: { lt: cutoff } }] },
      }),
      db.passwordSetupToken.deleteMany({ where: { expiresAt: { lt: cutoff } } }),
      db.loginThrottle.deleteMany({
        where: { windowStart: { lt: new Date(now().getTime() - 24 * 60 * 60 * 1000) } },
      }),
    ]);
    getLogger().info(
      { sessions: sessions.count, links: links.count, throttles: throttles.count },
      "housekeeping done",
    );
  },
});
