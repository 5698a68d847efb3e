import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as callbackRoute from "~/routes/_shell.pkb.oauth.callback/route.tsx";
import { openDatabase, prisma, setDatabase, type Database } from "~/platform/db.server.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import { startSandbox, type RunningSandbox } from "../../../sandbox/src/server.ts";
import { createTestDatabase } from "../../../tests/support/database.ts";
import { withDatabase } from "../../../tests/support/global-setup.ts";
import {
  answerConsent,
  sandboxCalls,
  sandboxConnection,
  tokenWorks,
} from "../../../tests/support/pkb-grant.ts";
import { get, signedInAs, type Identity } from "../../../tests/support/requests.ts";
import { createConnection } from "./connections.server.ts";
import { startGrantAuthorisation, userTokenSource } from "./grants.server.ts";
import { unseal } from "./secrets.server.ts";

/**
 * PKB refresh tokens are single-use: if two workers refresh one grant at the same moment, the
 * second presents a spent token and PKB ends the whole session. These tests make two refreshes
 * collide and check that PKB sees exactly one refresh and the grant stays active.
 *
 * - PostgreSQL: two real worker processes, each with its own connection pool, call
 *   afterUnauthorized at the same instant; the row lock (SELECT … FOR UPDATE) serialises them.
 * - PGlite: one process owns the embedded database (`npm run worker` refuses it), so no second
 *   process can exist; single flight there is the in-process promise map, proved with concurrent
 *   calls in one process. (On PostgreSQL that test also runs, through the lock.)
 */
const postgresUrl = process.env.TEST_DATABASE_URL;
const onPostgres = Boolean(postgresUrl && inject("postgresTemplate"));

let sandbox: RunningSandbox;
let database: Database;
let cleanup: () => Promise<void> = async () => undefined;
let connectionString: string | undefined;
let admin: Identity;

beforeAll(async () => {
  if (onPostgres) {
    // A database of our own, so worker processes can connect to it by name.
    const name = `pkbdesk_refresh_${randomBytes(4).toString("hex")}`;
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${inject("postgresTemplate")}`);
    await client.end();
    connectionString = withDatabase(postgresUrl!, name);
    database = await openDatabase({ connectionString, skipMigrations: true });
    cleanup = async () => {
      const dropper = new pg.Client({ connectionString: postgresUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    };
  } else {
    database = await createTestDatabase();
  }
  setDatabase(database);
  sandbox = await startSandbox({
    port: 0,
    patients: 20,
    frozenClock: true,
    extraRedirectUris: ["http://localhost:3000/pkb/oauth/callback"],
  });
  admin = await signedInAs("ADMIN");
});

afterAll(async () => {
  await stopJobRuntime();
  setDatabase(undefined);
  await database?.close();
  await cleanup();
  await sandbox?.close();
});

async function newGrant(): Promise<string> {
  const context = { actor: { id: admin.userId, label: admin.email }, clientAddress: null };
  const connectionId = await createConnection(sandboxConnection(sandbox), context);
  const db = await prisma();
  const session = await db.session.findFirstOrThrow({ where: { userId: admin.userId } });
  const started = await startGrantAuthorisation(
    connectionId,
    { id: session.id, userId: admin.userId },
    context,
  );
  const back = await answerConsent(sandbox, started!.url, "allow");
  await callbackRoute
    .loader({ request: get(`${back.pathname}${back.search}`, admin), params: {}, context: {} })
    .catch((thrown: unknown) => {
      if (!(thrown instanceof Response) || thrown.status !== 302) throw thrown;
    });
  return (await db.pkbGrant.findUniqueOrThrow({ where: { connectionId } })).id;
}

const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");

it("the sandbox really kills a grant whose refresh token is spent twice at once (the hazard)", async () => {
  const grantId = await newGrant();
  const row = await (await prisma()).pkbGrant.findUniqueOrThrow({ where: { id: grantId } });
  const refresh = () =>
    fetch(`${sandbox.url}/apiToken.action`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: unseal(row.refreshToken!, grantId),
        client_id: "pkb-desk",
        client_secret: "pkb-desk-sandbox-secret",
      }),
    });
  const answers = await Promise.all([refresh(), refresh()]);
  expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
  const winner = answers.find((answer) => answer.status === 200)!;
  const { access_token } = (await winner.json()) as { access_token: string };
  // The loser's reuse ended the session: even the winner's fresh token is dead now.
  expect(await tokenWorks(sandbox, access_token)).toBe(401);
});

it("concurrent refreshes in one process share one call to PKB", async () => {
  const grantId = await newGrant();
  const source = userTokenSource(grantId);
  const stale = await source.accessToken();
  sandbox.app.faults.replace({ "oauth.token": { latencyMs: 300 } });
  sandbox.app.calls.clear();
  try {
    const tokens = await Promise.all([
      ...Array.from({ length: 5 }, () => source.afterUnauthorized(stale)),
      ...Array.from({ length: 3 }, () => userTokenSource(grantId).afterUnauthorized(stale)),
    ]);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(stale);
    expect(sandboxCalls(sandbox, "oauth.token")).toBe(1);
    expect(await tokenWorks(sandbox, tokens[0]!)).toBe(200);
    const grant = await (await prisma()).pkbGrant.findUniqueOrThrow({ where: { id: grantId } });
    expect(grant.status).toBe("ACTIVE");
  } finally {
    sandbox.app.faults.clear();
  }
});

class RefreshWorker {
  output = "";
  readonly child: ChildProcess;
  constructor(target: string, grantId: string) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", "tests/support/pkb-refresh-child.ts", target, grantId],
      { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "silent" } },
    );
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }
  line(prefix: string): string | undefined {
    return this.output.split("\n").find((line) => line.startsWith(prefix));
  }
  async waitFor(prefix: string, timeoutMs = 60_000): Promise<string> {
    const started = Date.now();
    for (;;) {
      const found = this.line(prefix) ?? this.line("ERROR");
      if (found) return found;
      if (this.child.exitCode != null) throw new Error(`worker exited:\n${this.output}`);
      if (Date.now() - started > timeoutMs) throw new Error(`timed out:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  stop() {
    if (this.child.exitCode == null) this.child.kill("SIGTERM");
  }
}

describe.skipIf(!onPostgres)("two worker processes on PostgreSQL", () => {
  it(
    "refresh at the same moment: PKB sees one refresh, both get the new token, the grant stays active",
    { timeout: 120_000 },
    async () => {
      const grantId = await newGrant();
      const workers = [0, 1].map(() => new RefreshWorker(connectionString!, grantId));
      try {
        await Promise.all(workers.map((worker) => worker.waitFor("READY")));
        // The token call takes a while, so the second worker surely arrives while the first
        // holds the lock (without the lock both would reach PKB: see the hazard test above).
        sandbox.app.faults.replace({ "oauth.token": { latencyMs: 500 } });
        sandbox.app.calls.clear();
        for (const worker of workers) worker.child.stdin?.write("GO\n");
        const answers = await Promise.all(workers.map((worker) => worker.waitFor("TOKEN")));
        expect(answers[0]).toMatch(/^TOKEN [0-9a-f]{64}$/);
        expect(answers[1]).toBe(answers[0]);
        expect(sandboxCalls(sandbox, "oauth.token")).toBe(1);

        const grant = await (await prisma()).pkbGrant.findUniqueOrThrow({ where: { id: grantId } });
        expect(grant.status).toBe("ACTIVE");
        expect(grant.tokenVersion).toBe(2);
        const current = unseal(grant.accessToken!, grantId);
        expect(`TOKEN ${sha256(current)}`).toBe(answers[0]);
        expect(await tokenWorks(sandbox, current)).toBe(200);
      } finally {
        sandbox.app.faults.clear();
        for (const worker of workers) worker.stop();
      }
    },
  );
});
