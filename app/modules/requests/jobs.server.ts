import { z } from "zod";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { aggregatedClient } from "~/modules/pkb/aggregated-client.server.ts";
import { loadConnectionCredentials } from "~/modules/pkb/connections.server.ts";
import { PkbApiError } from "~/modules/pkb/errors.ts";
import {
  GrantNeedsReauthorisationError,
  type UserTokenSource,
} from "~/modules/pkb/grant-contract.ts";
import {
  recordGrantError,
  recordGrantSyncSuccess,
  userTokenSource,
} from "~/modules/pkb/grants.server.ts";
import { restClient } from "~/modules/pkb/rest-client.server.ts";
import { aggregatedTokenSource } from "~/modules/pkb/system-tokens.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { defineJob } from "~/platform/jobs/define-job.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { pkbSyncSources } from "./sync/pkb-sources.server.ts";
import type { SyncSources } from "./sync/ports.ts";
import { syncGrantRequests, type SyncHooks } from "./sync/run.server.ts";

/**
 * The request sync as background jobs: a schedule every five minutes queues one sync per active
 * grant; "sync now" queues the same job. The queue is `stately` and keyed by grant, so a grant
 * has at most one sync running and one waiting, whoever asked.
 */

/** Words for staff about why a run failed; PkbApiError already speaks them, nothing else leaks. */
export function describeSyncFailure(error: unknown): string {
  if (error instanceof PkbApiError) return error.describe();
  if (error instanceof Error && error.name === "PkbTokenRefreshError") return error.message;
  return "The sync stopped on an unexpected error; it will try again at the next run.";
}

export const syncHooks: SyncHooks = {
  isReauthorisationNeeded: (error) => error instanceof GrantNeedsReauthorisationError,
  describe: describeSyncFailure,
  onSuccess: recordGrantSyncSuccess,
  onFailure: recordGrantError,
};

/**
 * A sync makes thousands of calls; asking the grant for its token on each one costs a database
 * read and a decryption every time. Reuse the token for a few seconds: the grant still decides
 * when to refresh (it refreshes a minute before expiry, well beyond this), and a 401 goes
 * straight to the grant's single-flight refresh as before.
 */
const TOKEN_REUSE_MS = 5_000;

export function shortLived(source: UserTokenSource, reuseMs: number): UserTokenSource {
  let held: { token: Promise<string>; until: number } | undefined;
  return {
    accessToken() {
      if (!held || Date.now() >= held.until) {
        const token = source.accessToken();
        held = { token, until: Date.now() + reuseMs };
        token.catch(() => (held = undefined));
      }
      return held.token;
    },
    async afterUnauthorized(rejected) {
      held = undefined;
      return source.afterUnauthorized(rejected);
    },
  };
}

/** The PKB clients for one grant: its clinician's token for REST, the Aggregated client's own. */
export async function sourcesForGrant(grantId: string): Promise<SyncSources | null> {
  const db = await prisma();
  const grant = await db.pkbGrant.findUnique({
    where: { id: grantId },
    select: { connectionId: true, status: true },
  });
  if (!grant) return null;
  const connection = await loadConnectionCredentials(grant.connectionId);
  if (!connection) return null;
  return pkbSyncSources({
    rest: restClient({
      endpoints: connection.endpoints,
      token: shortLived(userTokenSource(grantId), TOKEN_REUSE_MS),
    }),
    aggregated: aggregatedClient({
      endpoints: connection.endpoints,
      token: aggregatedTokenSource(connection.endpoints, {
        clientId: connection.aggregatedClient.id,
        clientSecret: connection.aggregatedClient.secret,
      }),
    }),
  });
}

/**
 * The job catalog (platform) imports this module, and the job runtime imports the catalog: load
 * the enqueue helper when first used so that importing this module first does not close that
 * cycle at load time.
 */
async function enqueueSync(
  grantId: string,
  trigger: "schedule" | "manual",
): Promise<string | null> {
  const { enqueue } = await import("~/platform/jobs/enqueue.server.ts");
  return enqueue(requestSyncJob, { grantId, trigger }, { singletonKey: grantId });
}

export const requestSyncJob = defineJob({
  name: "requests.sync",
  description: "Reads a grant's new PKB messages and matches appointment requests",
  payload: z.object({ grantId: z.uuid(), trigger: z.enum(["schedule", "manual"]) }),
  options: {
    policy: "stately",
    // A long first sync must not be cut short by expiry; a killed worker is noticed by its
    // missing heartbeat instead, and the retry carries on from the stored cursor.
    heartbeatSeconds: 10,
    expireInSeconds: 60 * 60,
    // Failures are recorded on the run and retried by the next scheduled run, not in a loop.
    retryLimit: 2,
    retryDelaySeconds: 10,
  },
  async handler({ grantId, trigger }, { database, signal }) {
    const sources = await sourcesForGrant(grantId);
    if (!sources) {
      getLogger().warn({ grantId }, "request sync skipped: grant or connection not found");
      return;
    }
    await syncGrantRequests({
      prisma: database.prisma,
      grantId,
      trigger,
      sources,
      hooks: syncHooks,
      signal,
    });
  },
});

async function activeGrantIds(): Promise<string[]> {
  const db = await prisma();
  const grants = await db.pkbGrant.findMany({ where: { status: "ACTIVE" }, select: { id: true } });
  return grants.map((g) => g.id);
}

export const requestSyncScheduleJob = defineJob({
  name: "requests.sync-schedule",
  description: "Every five minutes: queues a request sync for each active PKB grant",
  payload: z.object({}).passthrough(),
  options: { cron: "*/5 * * * *", retryLimit: 1, expireInSeconds: 120 },
  async handler() {
    // Grants that need re-authorisation are not queued: no retry loop against a dead session.
    for (const grantId of await activeGrantIds()) {
      await enqueueSync(grantId, "schedule");
    }
  },
});

/** "Sync now": queues a sync for every active grant; audited. */
export async function requestSyncNow(context: {
  actor: AuditActor;
  clientAddress: string | null;
}): Promise<{ grants: number; queued: number }> {
  const grantIds = await activeGrantIds();
  let queued = 0;
  for (const grantId of grantIds) {
    const id = await enqueueSync(grantId, "manual");
    if (id) queued++;
  }
  const db = await prisma();
  await db.$transaction((tx) =>
    recordAudit(tx, {
      actor: context.actor,
      action: "request.sync-now",
      entityType: "request-sync",
      clientAddress: context.clientAddress,
      details: { grants: grantIds.length, queued },
    }),
  );
  return { grants: grantIds.length, queued };
}

export const requestJobs = [requestSyncJob, requestSyncScheduleJob];
