import { z } from "zod";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { runImport } from "./run-import.server.ts";

/** Imports one uploaded list; safe to re-run after a crash (it resumes from its cursor). */
export const campaignImportJob = defineJob({
  name: "campaigns.import",
  description: "Imports an uploaded patient list into its campaign",
  payload: z.object({ importId: z.uuid() }),
  options: { retryLimit: 5, retryDelaySeconds: 5, retryBackoff: true, expireInSeconds: 1800 },
  async handler({ importId }) {
    await runImport(importId);
  },
});
