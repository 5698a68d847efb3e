import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggregatedClient, type AggregatedClient } from "./aggregated-client.server.ts";
import { PkbApiError } from "./errors.ts";
import { createPkbHttp } from "./http.server.ts";
import { IDENTIFIER_SYSTEMS } from "./identifiers.ts";
import { aggregatedTokenSource, systemTokenSource } from "./system-tokens.server.ts";
import {
  AGGREGATED_CLIENT,
  startTestSandbox,
  SYSTEM_CLIENT,
  type TestSandbox,
} from "./testing/pkb-sandbox.ts";

let sb: TestSandbox;
let client: AggregatedClient;
let busy: { system: string; value: string };
let busyCount: number;
const http = createPkbHttp({ sleep: () => Promise.resolve() });

beforeAll(async () => {
  sb = await startTestSandbox({ patients: 200, appointments: 3000 });
  client = aggregatedClient({
    endpoints: sb.endpoints,
    token: aggregatedTokenSource(sb.endpoints, AGGREGATED_CLIENT, { http }),
    http,
  });
  // The trust patient with the most appointments, so the search has several pages.
  const { population } = sb.sandbox.app.state;
  const top = population.patients
    .filter((p) => p.orgMask & 1)
    .reduce((a, b) => (b.appointmentIndexes.length > a.appointmentIndexes.length ? b : a));
  busy = { system: IDENTIFIER_SYSTEMS[top.idKind], value: top.nationalId };
  busyCount = top.appointmentIndexes.filter(
    (i) => population.appointments[i]?.orgIndex !== 1,
  ).length;
  expect(busyCount).toBeGreaterThan(20);
});
afterAll(() => sb.close());

describe("appointment search", () => {
  it("follows every next link and maps each appointment to the portal's shape", async () => {
    await sb.clearCalls();
    const result = await client.searchAppointments(busy);
    expect(result.appointments).toHaveLength(busyCount);
    expect(result.total).toBe(busyCount);
    expect(result.pages).toBe(Math.ceil(busyCount / 10));
    expect(await sb.calls("aggregated.appointment-search")).toBe(result.pages);
    expect(new Set(result.appointments.map((a) => a.id)).size).toBe(busyCount);
    const first = result.appointments[0]!;
    expect(first).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: expect.stringMatching(/^(booked|cancelled|noshow|pending)$/),
      start: expect.stringMatching(/Z$/),
      end: expect.stringMatching(/Z$/),
      specialty: { code: expect.stringMatching(/^\d{3}$/), display: expect.any(String) },
      serviceType: { code: expect.any(String), display: expect.any(String) },
      appointmentType: expect.any(String),
      location: expect.any(String),
      patientIdentifier: busy,
      patientReference: expect.stringMatching(/^Patient\//),
    });
    expect(first.appointmentType).toContain(first.specialty?.display);
    expect(first.comment).toBe(first.location);
  });

  it("passes status and date filters and the page size", async () => {
    const all = await client.searchAppointments(busy);
    const booked = await client.searchAppointments(busy, { status: ["booked"], count: 4 });
    expect(booked.appointments.every((a) => a.status === "booked")).toBe(true);
    expect(booked.appointments.length).toBe(
      all.appointments.filter((a) => a.status === "booked").length,
    );
    expect(booked.pages).toBe(Math.max(1, Math.ceil(booked.appointments.length / 4)));
    const day = all.appointments[0]!.start!.slice(0, 10);
    const sameDay = await client.searchAppointments(busy, {
      date: [`ge${day}T00:00:00Z`, `lt${day}T23:59:59Z`],
    });
    expect(sameDay.appointments.length).toBeGreaterThan(0);
    expect(sameDay.appointments.every((a) => a.start!.startsWith(day))).toBe(true);
  });

  it("stops at the page budget", async () => {
    const error = await client
      .searchAppointments(busy, { count: 1, maxPages: 3 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PkbApiError);
    expect(error).toMatchObject({ kind: "page-budget", surface: "aggregated" });
  });

  it("finds nothing for a patient PKB does not know", async () => {
    const result = await client.searchAppointments({
      system: IDENTIFIER_SYSTEMS.nhs,
      value: "4000000004",
    });
    expect(result).toMatchObject({ appointments: [], pages: 1 });
  });

  it("is refused a Facade token: the two token servers are separate", async () => {
    const wrong = aggregatedClient({
      endpoints: sb.endpoints,
      token: systemTokenSource(sb.endpoints, SYSTEM_CLIENT, { http }),
      http,
    });
    const error = (await wrong.searchAppointments(busy).catch((e: unknown) => e)) as PkbApiError;
    expect(error).toMatchObject({ status: 401, code: "BAD_AUTHENTICATION", attempts: 2 });
  });
});
