import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { endpointsForOrigin } from "./endpoints.ts";
import { testConnection, type ConnectionSettings } from "./test-connection.server.ts";
import {
  AGGREGATED_CLIENT,
  startStandIn,
  startTestSandbox,
  SYSTEM_CLIENT,
  USER_CLIENT_ID,
  USER_REDIRECT_URI,
  type TestSandbox,
} from "./testing/pkb-sandbox.ts";

let sb: TestSandbox;
let good: ConnectionSettings;

beforeAll(async () => {
  sb = await startTestSandbox();
  good = {
    endpoints: sb.endpoints,
    organisationPublicId: sb.trustPublicId,
    userClient: { clientId: USER_CLIENT_ID, redirectUri: USER_REDIRECT_URI },
    systemClient: SYSTEM_CLIENT,
    aggregatedClient: AGGREGATED_CLIENT,
  };
});
afterAll(() => sb.close());
beforeEach(async () => {
  await sb.setFaults({});
  await sb.clearCalls();
});

const bySurface = (checks: Awaited<ReturnType<typeof testConnection>>) =>
  Object.fromEntries(checks.map((c) => [c.surface, c]));

describe("test connection against the sandbox", () => {
  it("reports every surface working with good settings, one harmless call each", async () => {
    const checks = await testConnection(good);
    expect(checks.map((c) => [c.surface, c.ok])).toEqual([
      ["user-sign-in", true],
      ["system-token", true],
      ["facade", true],
      ["rest", true],
      ["aggregated-token", true],
      ["aggregated", true],
    ]);
    expect(bySurface(checks)["user-sign-in"]?.summary).toBe(
      "PKB's sign-in page knows the user client.",
    );
    const log = await sb.admin("GET", "/calls");
    const calls = Object.fromEntries(
      Object.entries(log.endpoints as Record<string, { calls: number }>)
        .filter(([endpoint]) => !endpoint.startsWith("controls."))
        .map(([endpoint, counter]) => [endpoint, counter.calls]),
    );
    expect(calls).toEqual({
      "oauth.authorize": 1,
      "oauth.system-token": 1,
      "facade.status-query": 1,
      "rest.users-by-national-id": 1,
      "oauth.aggregated-token": 1,
      "aggregated.appointment-search": 1,
    });
    expect(log.tokens.pairs).toBe(0);
  });

  it("says which secret PKB refused and skips what depends on it", async () => {
    const checks = bySurface(
      await testConnection({
        ...good,
        systemClient: { ...SYSTEM_CLIENT, clientSecret: "not-the-secret" },
        aggregatedClient: { ...AGGREGATED_CLIENT, clientSecret: "not-the-secret" },
      }),
    );
    expect(checks["system-token"]).toMatchObject({
      ok: false,
      summary: "PKB refused the system client's id or secret (401, unauthorized).",
      detail: "Check the system client id and secret.",
    });
    expect(checks.facade).toMatchObject({
      ok: false,
      skipped: true,
      summary: "Not tried: PKB gave no system token.",
    });
    expect(checks.rest).toMatchObject({ ok: false, skipped: true });
    expect(checks["aggregated-token"]).toMatchObject({
      ok: false,
      summary:
        "PKB's Aggregated token server refused the Aggregated client's id or secret (401, invalid_client). PKB said: \"Invalid client or Invalid client credentials\".",
    });
    expect(checks["user-sign-in"]?.ok).toBe(true);
    expect(JSON.stringify(checks)).not.toContain("not-the-secret");
  });

  it("reports an unknown user client and an organisation that has not authorised the client", async () => {
    const checks = bySurface(
      await testConnection({
        ...good,
        organisationPublicId: "00000000-0000-4000-8000-000000000000",
        userClient: { clientId: "not-registered", redirectUri: USER_REDIRECT_URI },
      }),
    );
    expect(checks["user-sign-in"]).toMatchObject({
      ok: false,
      summary: "PKB's sign-in page refused the user client id or its redirect address (400).",
    });
    expect(checks["user-sign-in"]?.detail).toContain('PKB\'s page says "Unknown application"');
    expect(checks.facade).toMatchObject({
      ok: false,
      summary: "PKB's FHIR Facade refused access (403, forbidden).",
    });
    expect(checks.facade?.detail).toContain("00000000-0000-4000-8000-000000000000");
  });

  it("says plainly when nothing is listening at the address", async () => {
    const standIn = await startStandIn(() => undefined);
    const deadOrigin = standIn.url;
    await standIn.close();
    const checks = await testConnection({ ...good, endpoints: endpointsForOrigin(deadOrigin) });
    const tried = checks.filter((c) => !c.skipped);
    expect(tried.map((c) => c.surface)).toEqual([
      "user-sign-in",
      "system-token",
      "aggregated-token",
    ]);
    for (const check of tried) {
      expect(check.ok).toBe(false);
      expect(check.summary).toMatch(
        /^Could not reach PKB's .+: nothing is listening at that address \(connection refused\)\.$/,
      );
      expect(check.detail).toContain(deadOrigin);
    }
  });

  it("says when an address has nothing of PKB's at it", async () => {
    const checks = bySurface(
      await testConnection({
        ...good,
        endpoints: {
          ...sb.endpoints,
          webBaseUrl: `${sb.sandbox.url}/not-pkb`,
          facadeBaseUrl: `${sb.sandbox.url}/fhir-typo`,
        },
      }),
    );
    expect(checks["user-sign-in"]).toMatchObject({
      ok: false,
      summary: "PKB's sign-in address was not found (404).",
    });
    expect(checks.facade).toMatchObject({
      ok: false,
      summary: "PKB's FHIR Facade has no such resource or address (404, not-supported).",
    });
    expect(checks.facade?.detail).toContain("/fhir-typo");
  });

  it("gives up on a surface that does not answer within the time limit", async () => {
    await sb.setFaults({ "oauth.system-token": { hangRate: 1 } });
    const checks = bySurface(await testConnection(good, { timeoutMs: 300 }));
    expect(checks["system-token"]).toMatchObject({
      ok: false,
      summary:
        "No answer from PKB's system token server within 0.3 s. PKB may have acted on the request before the connection ended.",
    });
    expect(checks["aggregated"]?.ok).toBe(true);
  });
});
