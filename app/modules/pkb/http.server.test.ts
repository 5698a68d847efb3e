import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PkbApiError } from "./errors.ts";
import { facadeClient, type PatientIdentifier } from "./facade-client.server.ts";
import { createPkbHttp, type PkbHttpOptions } from "./http.server.ts";
import { IDENTIFIER_SYSTEMS } from "./identifiers.ts";
import { followNextLinks } from "./pagination.ts";
import { systemTokenSource } from "./system-tokens.server.ts";
import {
  fixedToken,
  sendJson,
  startStandIn,
  startTestSandbox,
  SYSTEM_CLIENT,
  type TestSandbox,
} from "./testing/pkb-sandbox.ts";

/**
 * The outbound call function against the real sandbox over HTTP (faults injected through its
 * controls, calls counted in its call log) and, where the sandbox cannot misbehave that way, a
 * tiny stand-in server. Waits are recorded by an injected sleep, so no test waits for real.
 */

let sb: TestSandbox;
let eligible: PatientIdentifier[];

beforeAll(async () => {
  sb = await startTestSandbox();
  eligible = sb.sandbox
    .summary()
    .samples.eligible.filter((id) => id.system === IDENTIFIER_SYSTEMS.nhs)
    .slice(0, 2);
  expect(eligible.length).toBe(2);
});
afterAll(() => sb.close());
beforeEach(async () => {
  await sb.setFaults({});
  await sb.clearCalls();
});

function recordingHttp(options: PkbHttpOptions = {}) {
  const waits: number[] = [];
  const http = createPkbHttp({
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    backoff: { baseDelayMs: 40, maxDelayMs: 400, maxRetryAfterMs: 5_000 },
    ...options,
  });
  return { http, waits };
}

function facadeWith(http: ReturnType<typeof recordingHttp>["http"]) {
  const token = systemTokenSource(sb.endpoints, SYSTEM_CLIENT, { http });
  return {
    token,
    facade: facadeClient({
      endpoints: sb.endpoints,
      organisationPublicId: sb.trustPublicId,
      token,
      http,
    }),
  };
}

describe("retries", () => {
  it("honours Retry-After in seconds on 429", async () => {
    const { http, waits } = recordingHttp();
    const { facade } = facadeWith(http);
    await sb.setFaults({
      "facade.status-query": { rate429: 1, remaining: 2, retryAfterSeconds: 3 },
    });
    const result = await facade.statusQuery(eligible);
    expect(result.meta).toEqual({ attempts: 3, outcomeUnknown: false });
    expect(waits).toEqual([3_000, 3_000]);
    expect(await sb.calls("facade.status-query")).toBe(3);
    expect(result.statuses.size).toBe(2);
  });

  it("honours Retry-After as an HTTP-date on 429", async () => {
    const { http, waits } = recordingHttp();
    const { facade } = facadeWith(http);
    await sb.setFaults({
      "facade.status-query": {
        rate429: 1,
        remaining: 1,
        retryAfterSeconds: 4,
        retryAfterFormat: "http-date",
      },
    });
    const result = await facade.statusQuery(eligible);
    expect(result.meta.attempts).toBe(2);
    // The date has one-second precision, so the wait is a little under four seconds.
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(2_000);
    expect(waits[0]).toBeLessThanOrEqual(4_000);
  });

  it("ignores a garbage Retry-After and backs off instead", async () => {
    const standIn = await startStandIn((_req, res, index) => {
      if (index < 2) {
        sendJson(
          res,
          503,
          { resourceType: "OperationOutcome", issue: [] },
          {
            "retry-after": "in a little while",
          },
        );
      } else sendJson(res, 200, { ok: true });
    });
    try {
      const { http, waits } = recordingHttp();
      const answer = await http.sendJson({
        surface: "rest",
        endpoint: "probe",
        method: "GET",
        url: `${standIn.url}/json/probe`,
      });
      expect(answer.meta.attempts).toBe(3);
      // Full jitter with random() = 0.5: half of 40 ms, then half of 80 ms.
      expect(waits).toEqual([20, 40]);
    } finally {
      await standIn.close();
    }
  });

  it.each([500, 502, 503])("retries %i and then succeeds", async (status) => {
    const { http } = recordingHttp();
    const { facade } = facadeWith(http);
    await sb.setFaults({ "facade.status-query": { [`rate${status}`]: 1, remaining: 2 } });
    const result = await facade.statusQuery(eligible);
    expect(result.meta).toEqual({ attempts: 3, outcomeUnknown: false });
    expect(await sb.calls("facade.status-query")).toBe(3);
  });

  it("gives up after the attempt budget with one PkbApiError", async () => {
    const { http, waits } = recordingHttp({ maxAttempts: 3 });
    const { facade } = facadeWith(http);
    await sb.setFaults({ "facade.status-query": { rate503: 1, retryAfterSeconds: 1 } });
    const error = await facade.statusQuery(eligible).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PkbApiError);
    const pkb = error as PkbApiError;
    expect(pkb).toMatchObject({ status: 503, attempts: 3, retryable: true, surface: "facade" });
    expect(pkb.describe()).toBe(
      "PKB's FHIR Facade had a server error (503, transient) on all 3 attempts.",
    );
    expect(waits).toEqual([1_000, 1_000]);
    expect(await sb.calls("facade.status-query")).toBe(3);
  });

  it("does not retry a 400 and reports PKB's OperationOutcome", async () => {
    const { http } = recordingHttp();
    const { facade } = facadeWith(http);
    await sb.setFaults({ facade: { poisonIdentifiers: [eligible[0]?.value] } });
    const error = (await facade.statusQuery(eligible).catch((e: unknown) => e)) as PkbApiError;
    expect(error).toMatchObject({ status: 400, code: "processing", retryable: false, attempts: 1 });
    expect(error.operationOutcome?.issue?.[0]?.code).toBe("processing");
    expect(error.message).not.toContain(eligible[0]?.value ?? "?");
  });

  it("times out a hang and tries again", async () => {
    const { http } = recordingHttp({ timeoutMs: 250 });
    const { facade } = facadeWith(http);
    await sb.setFaults({ "facade.status-query": { hangRate: 1, remaining: 1 } });
    const result = await facade.statusQuery(eligible);
    // A hang after sending may have acted: the caller is told.
    expect(result.meta).toEqual({ attempts: 2, outcomeUnknown: true });
  });

  it("reports a timeout in plain words when every attempt hangs", async () => {
    const { http } = recordingHttp({ timeoutMs: 200, maxAttempts: 2 });
    const { facade } = facadeWith(http);
    await sb.setFaults({ "facade.status-query": { hangRate: 1 } });
    const error = (await facade.statusQuery(eligible).catch((e: unknown) => e)) as PkbApiError;
    expect(error).toMatchObject({ kind: "timeout", attempts: 2, outcomeUnknown: true });
    expect(error.describe()).toBe(
      "No answer from PKB's FHIR Facade within 0.2 s. PKB may have acted on the request before the connection ended.",
    );
  });

  it("marks a reset after commit as outcome unknown and retries (PKB may have issued a second code)", async () => {
    const { http } = recordingHttp();
    const { facade } = facadeWith(http);
    const patient = eligible.slice(0, 1);
    await sb.setFaults({
      "facade.generate-invitation-tokens": { resetAfterCommitRate: 1, remaining: 1 },
    });
    const result = await facade.generateInvitationTokens(patient);
    expect(result.meta).toEqual({ attempts: 2, outcomeUnknown: true });
    expect(result.issued.size).toBe(1);
    const log = await sb.admin("GET", "/calls");
    expect(log.endpoints["facade.generate-invitation-tokens"].calls).toBe(2);
    expect(log.tokens.issuedMoreThanOnce).toBe(1);
  });

  it("does not mark a refused connection as outcome unknown", async () => {
    const standIn = await startStandIn(() => undefined);
    const closedUrl = standIn.url;
    await standIn.close();
    const { http } = recordingHttp({ maxAttempts: 2 });
    const error = (await http
      .send({ surface: "rest", endpoint: "probe", method: "GET", url: `${closedUrl}/json/x` })
      .catch((e: unknown) => e)) as PkbApiError;
    expect(error).toMatchObject({ kind: "network", attempts: 2, outcomeUnknown: false });
    expect(error.describe()).toBe(
      "Could not reach PKB's Custom REST API: nothing is listening at that address (connection refused).",
    );
  });
});

describe("tokens", () => {
  it("refetches the system token once on 401 and caches it otherwise", async () => {
    const { http } = recordingHttp();
    const { facade, token } = facadeWith(http);
    await facade.statusQuery(eligible);
    await facade.statusQuery(eligible);
    expect(token.fetches).toBe(1);
    // The sandbox's token expires (its clock passes the 600 s lifetime); ours is still cached.
    sb.sandbox.clock.advance(601_000);
    const result = await facade.statusQuery(eligible);
    expect(result.meta.attempts).toBe(2);
    expect(token.fetches).toBe(2);
    expect(await sb.calls("oauth.system-token")).toBe(2);
    expect(await sb.calls("facade.status-query")).toBe(4);
  });

  it("fetches one token for many concurrent calls", async () => {
    const { http } = recordingHttp();
    const { facade, token } = facadeWith(http);
    await Promise.all(Array.from({ length: 6 }, () => facade.statusQuery(eligible)));
    expect(token.fetches).toBe(1);
    expect(await sb.calls("oauth.system-token")).toBe(1);
  });

  it("says plainly when PKB refuses the system client's secret", async () => {
    const { http } = recordingHttp();
    const token = systemTokenSource(
      sb.endpoints,
      { ...SYSTEM_CLIENT, clientSecret: "wrong" },
      { http },
    );
    const error = (await token.accessToken().catch((e: unknown) => e)) as PkbApiError;
    expect(error).toBeInstanceOf(PkbApiError);
    expect(error.describe()).toBe(
      "PKB refused the system client's id or secret (401, unauthorized).",
    );
    expect(await sb.calls("oauth.system-token")).toBe(1);
  });
});

describe("concurrency and redirects", () => {
  it("keeps at most the configured number of calls in flight per surface", async () => {
    let inFlight = 0;
    let most = 0;
    const standIn = await startStandIn(async (_req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight--;
      sendJson(res, 200, {});
    });
    try {
      const { http } = recordingHttp({ concurrencyPerSurface: 3 });
      await Promise.all(
        Array.from({ length: 10 }, () =>
          http.send({ surface: "aggregated", endpoint: "p", method: "GET", url: standIn.url }),
        ),
      );
      expect(standIn.requests).toHaveLength(10);
      expect(most).toBe(3);
    } finally {
      await standIn.close();
    }
  });

  it("refuses a redirect to another host", async () => {
    const standIn = await startStandIn((_req, res) => {
      res.writeHead(302, { location: "https://elsewhere.example/fhir/Patient" }).end();
    });
    try {
      const { http } = recordingHttp();
      const error = (await http
        .send({ surface: "facade", endpoint: "probe", method: "GET", url: `${standIn.url}/fhir` })
        .catch((e: unknown) => e)) as PkbApiError;
      expect(error).toMatchObject({ kind: "refused-redirect", refusedHost: "elsewhere.example" });
      expect(standIn.requests).toHaveLength(1);
    } finally {
      await standIn.close();
    }
  });
});

describe("next links", () => {
  const pageOf = (http: ReturnType<typeof recordingHttp>["http"]) => async (url: string) => {
    const { json } = await http.sendJson({
      surface: "aggregated",
      endpoint: "search",
      method: "GET",
      url,
      token: fixedToken(),
    });
    const bundle = json as { link?: { relation: string; url: string }[]; entry?: unknown[] };
    return { page: bundle.entry ?? [], next: bundle.link?.find((l) => l.relation === "next")?.url };
  };

  it("refuses a next link to another host and names it", async () => {
    const standIn = await startStandIn((_req, res) =>
      sendJson(res, 200, {
        resourceType: "Bundle",
        entry: [{}],
        link: [{ relation: "next", url: "https://collector.example/fhir/Appointment?_page=2" }],
      }),
    );
    try {
      const { http } = recordingHttp();
      const pages: unknown[] = [];
      const error = await (async () => {
        for await (const page of followNextLinks({
          surface: "aggregated",
          endpoint: "search",
          baseUrl: `${standIn.url}/aggregated/fhir`,
          firstUrl: `${standIn.url}/aggregated/fhir/Appointment`,
          maxPages: 10,
          fetchPage: pageOf(http),
        })) {
          pages.push(page);
        }
      })().catch((e: unknown) => e);
      expect(pages).toHaveLength(1);
      expect(error).toMatchObject({ kind: "refused-link", refusedHost: "collector.example" });
      expect((error as PkbApiError).describe()).toContain("collector.example");
      expect(standIn.requests).toHaveLength(1);
    } finally {
      await standIn.close();
    }
  });

  it("stops a next link that loops back to a page already read", async () => {
    const standIn = await startStandIn((req, res) => {
      const page = new URL(req.url ?? "/", "http://x").searchParams.get("_page") ?? "1";
      const next = page === "1" ? "2" : "1";
      sendJson(res, 200, {
        resourceType: "Bundle",
        entry: [{}],
        link: [
          {
            relation: "next",
            url: `http://${req.headers.host}/aggregated/fhir/Appointment?_page=${next}`,
          },
        ],
      });
    });
    try {
      const { http } = recordingHttp();
      let pages = 0;
      const error = await (async () => {
        for await (const _ of followNextLinks({
          surface: "aggregated",
          endpoint: "search",
          baseUrl: `${standIn.url}/aggregated/fhir`,
          firstUrl: `${standIn.url}/aggregated/fhir/Appointment?_page=1`,
          maxPages: 50,
          fetchPage: pageOf(http),
        })) {
          pages++;
        }
      })().catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: "link-loop" });
      expect(pages).toBe(2);
      expect(standIn.requests).toHaveLength(2);
    } finally {
      await standIn.close();
    }
  });
});
