import { describe, expect, it } from "vitest";
import { z } from "zod";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { createBoss } from "./boss.server.ts";
import { defineJob } from "./define-job.ts";
import { ensureQueues } from "./workers.server.ts";

const database = withTestDatabase();

const hourlyJob = defineJob({
  name: "test.hourly",
  description: "a job with a schedule",
  payload: z.object({}).passthrough(),
  options: { cron: "41 * * * *" },
  async handler() {},
});

describe("job schedules", () => {
  it("are registered in UK time, and not at all when JOB_SCHEDULES is off", async () => {
    const boss = createBoss(database.current());
    await boss.start();
    try {
      await ensureQueues(boss, [hourlyJob], { schedules: false });
      expect(await boss.getQueue(hourlyJob.name)).toBeTruthy();
      expect(await boss.getSchedules()).toEqual([]);

      await ensureQueues(boss, [hourlyJob], { schedules: true });
      const schedules = await boss.getSchedules();
      expect(schedules).toHaveLength(1);
      expect(schedules[0]).toMatchObject({
        name: hourlyJob.name,
        cron: "41 * * * *",
        timezone: "Europe/London",
      });
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
  });
});
