import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseFaultFlag } from "../src/faults.ts";
import type { RunningSandbox } from "../src/server.ts";
import {
  admin,
  facade,
  parametersOf,
  partsByName,
  startTestSandbox,
  systemToken,
  type FhirPart,
  type Identifier,
} from "./support.ts";

let sb: RunningSandbox;
let token: string;
let eligible: Identifier[];

beforeAll(async () => {
  sb = await startTestSandbox();
  token = await systemToken(sb);
  const listed = await admin(sb, "GET", "/patients?category=eligible&limit=20");
  eligible = (listed.body.patients as { identifier: Identifier }[]).map((p) => p.identifier);
});
afterAll(() => sb.close());
beforeEach(async () => {
  await admin(sb, "DELETE", "/faults");
});

const status = (ids: Identifier[] = eligible.slice(0, 1)) =>
  facade(sb, "Patient/$status-query", parametersOf("patientIdentifier", ids), { token });
const tokens = (ids: Identifier[]) =>
  facade(sb, "Organization/$generate-invitation-tokens", parametersOf("patientIdentifier", ids), {
    token,
  });

describe("fault injection (runtime, via /_sandbox/faults)", () => {
  it("adds fixed latency", async () => {
    await admin(sb, "PUT", "/faults", { "facade.status-query": { latencyMs: 150 } });
    const t0 = performance.now();
    expect((await status()).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("adds jittered latency within latency ± jitter", async () => {
    await admin(sb, "PUT", "/faults", { facade: { latencyMs: 60, jitterMs: 50 } });
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      await status();
      times.push(performance.now() - t0);
    }
    expect(Math.min(...times)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...times)).toBeLessThan(250);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(5);
  });

  it("answers 429 throttled with Retry-After in seconds, for the next N calls only", async () => {
    await admin(sb, "PUT", "/faults", {
      "facade.status-query": { rate429: 1, retryAfterSeconds: 7, remaining: 2 },
    });
    for (let i = 0; i < 2; i++) {
      const res = await status();
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("7");
      expect(res.body.issue?.[0]?.code).toBe("throttled");
    }
    expect((await status()).status).toBe(200);
  });

  it("answers 429 with Retry-After as an HTTP-date", async () => {
    await admin(sb, "PUT", "/faults", {
      "facade.status-query": {
        rate429: 1,
        retryAfterSeconds: 30,
        retryAfterFormat: "http-date",
        remaining: 1,
      },
    });
    const res = await status();
    expect(res.status).toBe(429);
    const when = Date.parse(res.headers.get("retry-after") ?? "");
    expect(res.headers.get("retry-after")).toMatch(/GMT$/);
    expect(when - Date.now()).toBeGreaterThan(20_000);
    expect(when - Date.now()).toBeLessThan(40_000);
  });

  it.each([500, 502, 503] as const)("answers %i without doing the work", async (code) => {
    await admin(sb, "DELETE", "/calls");
    await admin(sb, "PUT", "/faults", {
      "facade.generate-invitation-tokens": { [`rate${code}`]: 1, remaining: 1 },
    });
    const res = await tokens(eligible.slice(5, 6));
    expect(res.status).toBe(code);
    expect(res.body.resourceType).toBe("OperationOutcome");
    if (code === 503) expect(res.headers.get("retry-after")).toBe("1");
    const calls = await admin(sb, "GET", "/calls");
    expect((calls.body.tokens as { pairs: number }).pairs).toBe(0);
  });

  it("applies a probability: about the given share of calls fail", async () => {
    await admin(sb, "PUT", "/faults", { "facade.status-query": { rate500: 0.3 } });
    let failed = 0;
    for (let i = 0; i < 100; i++) if ((await status()).status === 500) failed++;
    expect(failed).toBeGreaterThan(12);
    expect(failed).toBeLessThan(50);
  });

  it("hangs: never answers, until the client gives up", async () => {
    await admin(sb, "PUT", "/faults", { "facade.status-query": { hangRate: 1, remaining: 1 } });
    await expect(
      fetch(`${sb.url}/fhir/Patient/$status-query`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/fhir+json",
          "x-org-public-id": sb.organisations[0]?.publicId ?? "",
        },
        body: JSON.stringify(parametersOf("patientIdentifier", eligible.slice(0, 1))),
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    expect((await status()).status).toBe(200);
  });

  it("resets the connection after committing: tokens were issued though the caller saw an error", async () => {
    await admin(sb, "DELETE", "/calls");
    await admin(sb, "PUT", "/faults", {
      "facade.generate-invitation-tokens": { resetAfterCommitRate: 1, remaining: 1 },
    });
    const target = eligible.slice(6, 7);
    await expect(tokens(target)).rejects.toThrow();
    const calls = await admin(sb, "GET", "/calls?identifiers=true");
    expect((calls.body.tokens as { pairs: number }).pairs).toBe(1);
    const patient = await admin(sb, "GET", `/patients/${target[0]?.value}`);
    expect((patient.body.invitations as unknown[]).length).toBe(1);
  });

  it("fails a whole batch with 400 when it contains a poison identifier", async () => {
    const poison = eligible[7] as Identifier;
    await admin(sb, "PUT", "/faults", {
      "facade.generate-invitation-tokens": { poisonIdentifiers: [poison.value] },
    });
    const bad = await tokens([eligible[8] as Identifier, poison]);
    expect(bad.status).toBe(400);
    expect(bad.body.issue?.[0]?.code).toBe("processing");
    const good = await tokens([eligible[8] as Identifier]);
    expect(good.status).toBe(200);
    expect(partsByName(good.body.parameter?.[0] as FhirPart).code?.valueString).toHaveLength(10);
  });

  it("targets one endpoint without touching another, and never faults the controls", async () => {
    // Per knob, the most specific rule wins: status-query's own error rule (none) overrides "*".
    await admin(sb, "PUT", "/faults", {
      "*": { rate503: 1 },
      "facade.status-query": { rate503: 0 },
    });
    expect((await status()).status).toBe(200);
    expect((await tokens(eligible.slice(9, 10))).status).toBe(503);
    expect((await admin(sb, "GET", "/faults")).status).toBe(200);
    const rest = await fetch(`${sb.url}/json/v1/messages/after/0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(rest.status).toBe(503);
    expect(await rest.json()).toMatchObject({ statusCode: 503 });
  });

  it("merges rules with POST and rejects nonsense", async () => {
    await admin(sb, "PUT", "/faults", { facade: { latencyMs: 5 } });
    await admin(sb, "POST", "/faults", { rest: { rate429: 0.1 } });
    expect(Object.keys((await admin(sb, "GET", "/faults")).body).sort()).toEqual([
      "facade",
      "rest",
    ]);
    expect((await admin(sb, "PUT", "/faults", { facade: { rate429: 2 } })).status).toBe(400);
  });
});

describe("fault injection by flags", () => {
  it("parses the CLI form", () => {
    expect(
      parseFaultFlag(
        "facade.generate-invitation-tokens:rate429=0.05,retryAfterSeconds=2,retryAfterFormat=http-date",
      ),
    ).toEqual({
      "facade.generate-invitation-tokens": {
        rate429: 0.05,
        retryAfterSeconds: 2,
        retryAfterFormat: "http-date",
      },
    });
    expect(parseFaultFlag("latencyMs=50")).toEqual({ "*": { latencyMs: 50 } });
    expect(parseFaultFlag("facade:poisonIdentifiers=9434765919|9999999999")).toEqual({
      facade: { poisonIdentifiers: ["9434765919", "9999999999"] },
    });
    expect(() => parseFaultFlag("facade:rate500=7")).toThrow();
  });

  it("applies faults and latency given at start", async () => {
    const slow = await startTestSandbox({
      latencyMs: 120,
      faults: { "oauth.system-token": { rate502: 1, remaining: 1 } },
    });
    try {
      const t0 = performance.now();
      const first = await fetch(`${slow.url}/api/oauth/token`, {
        method: "POST",
        body: "grant_type=client_credentials",
      });
      expect(first.status).toBe(502);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
      expect((await systemToken(slow)).length).toBeGreaterThan(10);
    } finally {
      await slow.close();
    }
  });
});
