import { housekeepingJob } from "~/modules/auth/housekeeping.job.server.ts";
import { campaignJobs } from "~/modules/campaigns/jobs.server.ts";
import { requestJobs } from "~/modules/requests/jobs.server.ts";
import type { JobDefinition } from "./define-job.ts";

/** Every job type the portal runs. A job not listed here has no queue and no worker. */
export const JOBS: readonly JobDefinition[] = [housekeepingJob, ...requestJobs, ...campaignJobs];
