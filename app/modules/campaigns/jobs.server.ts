import { batchDriverJob } from "./batches/batch-driver.job.server.ts";
import { kioskInviteJob, kioskInviteSweepJob } from "./delivery/kiosk/kiosk-invite.job.server.ts";
import { deliveryWaveJob } from "./delivery/wave.job.server.ts";
import { campaignImportJob } from "./import/import.job.server.ts";
import { hybridMailSendJob, trackingJob } from "./tracking/tracking.job.server.ts";

/** The campaign jobs, registered in app/platform/jobs/catalog.server.ts. */
export const campaignJobs = [
  campaignImportJob,
  batchDriverJob,
  deliveryWaveJob,
  kioskInviteJob,
  kioskInviteSweepJob,
  trackingJob,
  hybridMailSendJob,
];
