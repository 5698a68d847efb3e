import { afterAll, describe, expect, it } from "vitest";
import { createConnection } from "~/modules/pkb/connections.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { signedInAs } from "../../../tests/support/requests.ts";
import { requestSyncNow, requestSyncScheduleJob, shortLived } from "./jobs.server.ts";

/**
 * The schedule queues one sync per active grant and none for a grant that needs
 * re-authorisation (no retry loop against a dead session); "sync now" does the same, is audited,
 * and a second press while one is waiting queues nothing more (one waiting sync per grant).
 */
const db = withTestDatabase();
afterAll(() => stopJobRuntime());

async function grant(label: string, status: "ACTIVE" | "NEEDS_REAUTHORISATION") {
  const admin = await signedInAs("ADMIN");
  const connectionId = await createConnection(
    {
      label,
      webBaseUrl: "http://127.0.0.1:4999",
      systemTokenUrl: "http://127.0.0.1:4999/api/oauth/token",
      aggregatedTokenUrl: "http://127.0.0.1:4999/auth/realms/pkb/protocol/openid-connect/token",
      facadeBaseUrl: "http://127.0.0.1:4999/fhir",
      restBaseUrl: "http://127.0.0.1:4999/json",
      aggregatedBaseUrl: "http://127.0.0.1:4999/aggregated/fhir",
      userClientId: "u",
      userClientSecret: "s1",
      redirectUri: "http://localhost:3000/pkb/oauth/callback",
      systemClientId: "s",
      systemClientSecret: "s2",
      aggregatedClientId: "a",
      aggregatedClientSecret: "s3",
      organisationPublicId: "00000000-0000-4000-8000-000000000001",
      nominatedTeamName: "Appointments team",
    },
    { actor: { id: admin.userId, label: admin.email }, clientAddress: null },
  );
  const row = await (
    await prisma()
  ).pkbGrant.create({
    data: {
      connectionId,
      status,
      scope: "CLINICIAN",
      grantedByLabel: admin.email,
      grantedAt: new Date(),
    },
  });
  return row.id;
}

async function queuedSyncs(): Promise<Array<{ grantId: string; trigger: string }>> {
  const rows = await db
    .current()
    .sql.query<{ data: { grantId: string; trigger: string } }>(
      `SELECT data FROM pgboss.job WHERE name = 'requests.sync' AND state = 'created'`,
    );
  return rows.map((r) => r.data);
}

describe("request sync jobs", () => {
  it("queue one sync per active grant, none for a grant that needs re-authorisation", async () => {
    const active = await grant("Active trust", "ACTIVE");
    await grant("Dead trust", "NEEDS_REAUTHORISATION");
    await requestSyncScheduleJob.handler(
      {},
      {
        jobId: "test",
        retryCount: 0,
        database: db.current(),
        signal: new AbortController().signal,
      },
    );
    expect(await queuedSyncs()).toEqual([{ grantId: active, trigger: "schedule" }]);

    // "Sync now" while one is waiting: nothing more is queued, and the press is audited.
    const lead = await signedInAs("TEAM_LEAD");
    const outcome = await requestSyncNow({
      actor: { id: lead.userId, label: lead.email },
      clientAddress: "127.0.0.1",
    });
    expect(outcome).toEqual({ grants: 1, queued: 0 });
    expect(await queuedSyncs()).toHaveLength(1);
    const audit = await db.current().prisma.auditEvent.findMany({
      where: { action: "request.sync-now", actorId: lead.userId },
    });
    expect(audit).toHaveLength(1);
  });

  it("reuse the grant's token briefly, and go back to the grant after a 401", async () => {
    let asked = 0;
    let refreshed = 0;
    const source = shortLived(
      {
        accessToken: async () => `token-${++asked}`,
        afterUnauthorized: async () => `fresh-${++refreshed}`,
      },
      60_000,
    );
    expect(await source.accessToken()).toBe("token-1");
    expect(await source.accessToken()).toBe("token-1");
    expect(await source.afterUnauthorized("token-1")).toBe("fresh-1");
    expect(await source.accessToken()).toBe("token-2");
    expect(asked).toBe(2);
  });
});
