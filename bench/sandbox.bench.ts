/**
 * Sandbox benchmark (issue 3): population generation time and memory for 100k patients / 1M
 * appointments, and the server's median time for a 500-identifier token call and a
 * 5000-identifier status query, with no injected latency. Writes bench/results/sandbox.json.
 *
 *   npm run bench:sandbox            (PATIENTS=100000 APPOINTMENTS=1000000 RUNS=31 to override)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { generatePopulation } from "../sandbox/src/population/generate.ts";
import { startSandbox } from "../sandbox/src/server.ts";

const PATIENTS = Number(process.env.PATIENTS ?? 100_000);
const APPOINTMENTS = Number(process.env.APPOINTMENTS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 31);
const GOALS = { generationSeconds: 30, tokenCallMedianMs: 50 };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const round = (n: number, places = 2): number => Math.round(n * 10 ** places) / 10 ** places;
const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1);

async function main(): Promise<void> {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const population = generatePopulation({
    seed: 42,
    patients: PATIENTS,
    appointments: APPOINTMENTS,
    anchor: Date.parse("2026-11-21T10:00:00Z"),
  });
  const generationMs = performance.now() - t0;
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const rssAfter = process.memoryUsage().rss;
  console.log(
    `generated ${population.patients.length} patients, ${population.appointments.length} appointments, ${population.messages.length} messages in ${round(generationMs / 1000)} s; heap +${mb(heapAfter - heapBefore)} MB, rss +${mb(rssAfter - rssBefore)} MB`,
  );
  const generated = {
    patients: population.patients.length,
    appointments: population.appointments.length,
    messages: population.messages.length,
  };

  // The server builds its own population (same size), then we time the API over loopback.
  const startT0 = performance.now();
  const sandbox = await startSandbox({
    port: 0,
    seed: 42,
    patients: PATIENTS,
    appointments: APPOINTMENTS,
    now: "2026-11-21T10:00:00Z",
    frozenClock: true,
  });
  const serverStartMs = performance.now() - startT0;
  try {
    const tokenRes = await fetch(`${sandbox.url}/api/oauth/token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from("pkb-desk-system:pkb-desk-system-secret").toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const headers = {
      authorization: `Bearer ${access_token}`,
      "content-type": "application/fhir+json",
      "x-org-public-id": sandbox.organisations[0]?.publicId ?? "",
    };
    const patients = sandbox.app.state.population.patients;
    const identifiers = (from: number, count: number): { system: string; value: string }[] =>
      Array.from({ length: count }, (_, i) => {
        const p = patients[(from + i) % patients.length];
        const systems = {
          nhs: "https://fhir.nhs.uk/Id/nhs-number",
          chi: "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53",
          hc: "urn:uuid:1479257a-ce8f-482a-89fa-429ac066c158",
        };
        return {
          system: p ? systems[p.idKind] : systems.nhs,
          value: p?.nationalId ?? "9434765919",
        };
      });
    const body = (ids: { system: string; value: string }[]): string =>
      JSON.stringify({
        resourceType: "Parameters",
        parameter: ids.map((valueIdentifier) => ({ name: "patientIdentifier", valueIdentifier })),
      });

    const time = async (url: string, payload: string): Promise<{ ms: number; results: number }> => {
      const started = performance.now();
      const res = await fetch(url, { method: "POST", headers, body: payload });
      const json = (await res.json()) as { parameter?: unknown[] };
      if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
      return { ms: performance.now() - started, results: json.parameter?.length ?? 0 };
    };

    const tokenTimes: number[] = [];
    let tokensIssued = 0;
    for (let run = 0; run < RUNS; run++) {
      // A fresh 500 each time, as a campaign would send (tokens for registered/under-16/… are skipped).
      const r = await time(
        `${sandbox.url}/fhir/Organization/$generate-invitation-tokens`,
        body(identifiers(run * 500, 500)),
      );
      tokenTimes.push(r.ms);
      tokensIssued += r.results;
    }
    const statusTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const r = await time(
        `${sandbox.url}/fhir/Patient/$status-query`,
        body(identifiers(run * 5000, 5000)),
      );
      if (r.results !== 5000) throw new Error("status query lost results");
      statusTimes.push(r.ms);
    }
    const result = {
      benchmark: "sandbox",
      date: new Date().toISOString(),
      machine: { node: process.version, platform: process.platform, arch: process.arch },
      population: { requested: { patients: PATIENTS, appointments: APPOINTMENTS }, generated },
      generation: {
        seconds: round(generationMs / 1000),
        goalSeconds: GOALS.generationSeconds,
        ratioToGoal: round(generationMs / 1000 / GOALS.generationSeconds, 3),
        heapGrowthMb: mb(heapAfter - heapBefore),
        rssGrowthMb: mb(rssAfter - rssBefore),
        gcExposed: typeof global.gc === "function",
      },
      serverStartSeconds: round(serverStartMs / 1000),
      tokenCall500: {
        runs: RUNS,
        medianMs: round(median(tokenTimes)),
        minMs: round(Math.min(...tokenTimes)),
        maxMs: round(Math.max(...tokenTimes)),
        goalMedianMs: GOALS.tokenCallMedianMs,
        ratioToGoal: round(median(tokenTimes) / GOALS.tokenCallMedianMs, 3),
        tokensIssued,
      },
      statusQuery5000: {
        runs: RUNS,
        medianMs: round(median(statusTimes)),
        minMs: round(Math.min(...statusTimes)),
        maxMs: round(Math.max(...statusTimes)),
      },
      note: "Times are client-observed over loopback (request + server work + JSON parse), no injected latency.",
    };
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/sandbox.json", JSON.stringify(result, null, 2) + "\n");
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
