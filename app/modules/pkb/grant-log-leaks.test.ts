import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as callbackRoute from "~/routes/_shell.pkb.oauth.callback/route.tsx";
import * as connectionRoute from "~/routes/_shell.admin.pkb.$connectionId/route.tsx";
import { prisma } from "~/platform/db.server.ts";
import { createLogger, getLogger, setLogger } from "~/platform/logger.server.ts";
import { startSandbox, type RunningSandbox } from "../../../sandbox/src/server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { answerConsent, sandboxConnection } from "../../../tests/support/pkb-grant.ts";
import { get, post, settle, signedInAs, type Identity } from "../../../tests/support/requests.ts";
import { createConnection } from "./connections.server.ts";
import { userTokenSource } from "./grants.server.ts";
import { unseal } from "./secrets.server.ts";

/**
 * The clinician grant's whole life with logs captured at debug level: granting, a failed code
 * exchange, refreshing, and PKB ending the session. No state, code, PKCE verifier, access or
 * refresh token or client secret may reach the logs (quality.md, invariant 4). The clients' own
 * log test (log-leaks.test.ts) covers the system and Aggregated tokens and patient data.
 */
withTestDatabase();
const captured: string[] = [];
const previous = getLogger();
let sandbox: RunningSandbox;
let admin: Identity;

beforeAll(async () => {
  setLogger(
    createLogger({
      level: "debug",
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          captured.push(chunk.toString());
          done();
        },
      }),
    }),
  );
  sandbox = await startSandbox({
    port: 0,
    patients: 10,
    extraRedirectUris: ["http://localhost:3000/pkb/oauth/callback"],
  });
  admin = await signedInAs("ADMIN");
});
afterAll(async () => {
  setLogger(previous);
  await sandbox?.close();
});

const context = { actor: { id: "", label: "" }, clientAddress: "127.0.0.1" };

async function startGrant(connectionId: string): Promise<string> {
  const response = await settle(async () =>
    connectionRoute.action({
      request: post(`/admin/pkb/${connectionId}`, { intent: "grant" }, admin),
      params: { connectionId },
      context: {},
    }),
  );
  return response.headers.get("Location")!;
}

async function callback(url: URL): Promise<void> {
  await callbackRoute
    .loader({ request: get(`${url.pathname}${url.search}`, admin), params: {}, context: {} })
    .catch(() => undefined);
}

describe("clinician grant logs", () => {
  it("hold no state, code, verifier, token or client secret through grant, refresh and failure", async () => {
    context.actor = { id: admin.userId, label: admin.email };
    const db = await prisma();
    const secrets: string[] = ["pkb-desk-sandbox-secret"];

    // A grant whose code exchange fails (PKB refuses the client's secret).
    const wrong = await createConnection(
      sandboxConnection(sandbox, { userClientSecret: "wrong-user-client-secret" }),
      context,
    );
    secrets.push("wrong-user-client-secret");
    const refused = await answerConsent(sandbox, await startGrant(wrong), "allow");
    await callback(refused);

    // A grant that works.
    const connectionId = await createConnection(sandboxConnection(sandbox), context);
    const back = await answerConsent(sandbox, await startGrant(connectionId), "allow");
    await callback(back);
    // The replay is refused and logged as such, still without the code.
    await callback(back);
    for (const url of [refused, back]) {
      secrets.push(url.searchParams.get("code")!, url.searchParams.get("state")!);
    }
    for (const attempt of await db.pkbAuthorisationRequest.findMany()) {
      secrets.push(unseal(attempt.codeVerifier, attempt.id));
    }
    const grant = await db.pkbGrant.findUniqueOrThrow({ where: { connectionId } });
    const first = unseal(grant.accessToken!, grant.id);
    secrets.push(first, unseal(grant.refreshToken!, grant.id));

    // A refresh, then PKB ends the session: the next refresh is refused with invalid_grant.
    const source = userTokenSource(grant.id);
    const second = await source.afterUnauthorized(first);
    const refreshed = await db.pkbGrant.findUniqueOrThrow({ where: { id: grant.id } });
    secrets.push(second, unseal(refreshed.refreshToken!, grant.id));
    await fetch(`${sandbox.url}/_sandbox/reset`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Sandbox-Admin-Key": sandbox.adminKey },
      body: JSON.stringify({ clock: false, sessions: true }),
    });
    await source.afterUnauthorized(second).catch(() => undefined);
    expect((await db.pkbGrant.findUniqueOrThrow({ where: { id: grant.id } })).status).toBe(
      "NEEDS_REAUTHORISATION",
    );

    const log = captured.join("");
    expect(log).toContain("PKB code exchange failed");
    expect(log).toContain("PKB grant needs re-authorisation");
    expect(secrets.filter((s) => s.length >= 8)).toHaveLength(secrets.length);
    for (const secret of secrets) expect(log, "a secret reached the logs").not.toContain(secret);
  });
});
