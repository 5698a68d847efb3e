import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as connectionRoute from "~/routes/_shell.admin.pkb.$connectionId/route.tsx";
import { prisma } from "~/platform/db.server.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import { startSandbox, type RunningSandbox } from "../../../sandbox/src/server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { sandboxConnection } from "../../../tests/support/pkb-grant.ts";
import { post, signedInAs, type Identity } from "../../../tests/support/requests.ts";
import { createConnection } from "./connections.server.ts";
import type { ConnectionCheck } from "./test-connection.server.ts";

/** "Test connection" on the connection page: real calls to the sandbox, reported and audited. */
withTestDatabase();
let sandbox: RunningSandbox;
let admin: Identity;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, patients: 20, frozenClock: true });
  admin = await signedInAs("ADMIN");
});

afterAll(async () => {
  await sandbox?.close();
  await stopJobRuntime();
});

async function pressTestConnection(connectionId: string): Promise<ConnectionCheck[]> {
  const result = (await connectionRoute.action({
    request: post(`/admin/pkb/${connectionId}`, { intent: "test" }, admin),
    params: { connectionId },
    context: {},
  })) as { checks: ConnectionCheck[] };
  return result.checks;
}

const context = () => ({ actor: { id: admin.userId, label: admin.email }, clientAddress: null });

describe("test connection", () => {
  it("reports every surface working with the sandbox's settings, and audits the run", async () => {
    const id = await createConnection(sandboxConnection(sandbox), context());
    const checks = await pressTestConnection(id);
    expect(checks.map((check) => [check.surface, check.ok])).toEqual([
      ["user-sign-in", true],
      ["system-token", true],
      ["facade", true],
      ["rest", true],
      ["aggregated-token", true],
      ["aggregated", true],
    ]);
    const db = await prisma();
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { action: "pkb.connection.test", entityId: id },
    });
    expect(audit.details).toMatchObject({ failed: [], skipped: [] });
  });

  it("names the surface PKB refused when a stored secret is wrong, and never echoes it", async () => {
    const id = await createConnection(
      sandboxConnection(sandbox, { systemClientSecret: "not-the-system-secret" }),
      context(),
    );
    const checks = await pressTestConnection(id);
    const system = checks.find((check) => check.surface === "system-token")!;
    expect(system.ok).toBe(false);
    expect(system.summary).toMatch(/refused|rejected/i);
    expect(JSON.stringify(checks)).not.toContain("not-the-system-secret");
    // The Aggregated surface has its own credentials and still works.
    expect(checks.find((check) => check.surface === "aggregated")!.ok).toBe(true);
  });
});
