import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import { startTestSandbox } from "./support.ts";

let sb: RunningSandbox;

beforeAll(async () => {
  sb = await startTestSandbox({ adminKey: "front-door-test-key" });
});
afterAll(() => sb.close());

const getPage = async (path: string) => {
  const res = await fetch(`${sb.url}${path}`);
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
};

describe("the front door", () => {
  it("answers / with an HTML page of surfaces, logins, client ids and organisations, and no secrets", async () => {
    const home = await getPage("/");
    expect(home.status).toBe(200);
    expect(home.type).toContain("text/html");
    expect(home.body).toContain('<html lang="en-GB">');
    for (const path of [
      "/apiAuthorize.action",
      "/api/oauth/token",
      "/fhir",
      "/json",
      "/aggregated/fhir",
    ]) {
      expect(home.body).toContain(`${sb.url}${path}`);
    }
    expect(home.body).toContain(sb.demoLogin.username);
    expect(home.body).toContain(sb.demoLogin.password);
    for (const client of sb.clients) {
      expect(home.body).toContain(client.id);
      expect(home.body).not.toContain(client.secret);
    }
    for (const organisation of sb.organisations) expect(home.body).toContain(organisation.publicId);
    expect(home.body).not.toContain("front-door-test-key");
    expect(home.body).toContain('href="/sandbox/calls"');
    expect(home.body).toContain('href="/sandbox/population"');
  });

  it("shows the call log and the population without the admin key; controls still need it", async () => {
    await fetch(`${sb.url}/fhir/metadata`);
    const calls = await getPage("/sandbox/calls");
    expect(calls.status).toBe(200);
    expect(calls.body).toContain("facade.metadata");
    const population = await getPage("/sandbox/population");
    expect(population.status).toBe(200);
    expect(population.body).toContain(String(sb.summary().counts.patients));

    expect((await fetch(`${sb.url}/_sandbox/`)).status).toBe(401);
    expect((await fetch(`${sb.url}/_sandbox/reset`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${sb.url}/sandbox/calls`, { method: "POST" })).status).toBe(405);
  });

  it("keeps its own page views out of the call log", async () => {
    const key = { "x-sandbox-admin-key": "front-door-test-key" };
    await fetch(`${sb.url}/_sandbox/calls`, { method: "DELETE", headers: key });
    await getPage("/");
    await getPage("/sandbox/calls");
    await getPage("/favicon.ico");
    const log = (await (await fetch(`${sb.url}/_sandbox/calls`, { headers: key })).json()) as {
      endpoints: Record<string, unknown>;
    };
    expect(Object.keys(log.endpoints).filter((e) => !e.startsWith("controls."))).toEqual([]);
  });
});
