import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import {
  admin,
  aggregatedToken,
  getJson,
  startTestSandbox,
  SYSTEMS,
  type Identifier,
  type LooseJson,
} from "./support.ts";

interface Bundle {
  resourceType: "Bundle";
  type: string;
  total: number;
  link: { relation: string; url: string }[];
  entry?: { fullUrl: string; resource: Appointment }[];
}
interface Appointment {
  resourceType: "Appointment";
  id: string;
  status: string;
  start: string;
  end: string;
  comment: string;
  specialty: { coding: { code: string; display: string }[] }[];
  appointmentType: { coding: { display: string }[] };
  participant: { actor: { reference: string; display: string } }[];
  meta: {
    security: { system: string; code: string }[];
    extension: { url: string; valueReference: { reference: string } }[];
  };
}

let sb: RunningSandbox;
let token: string;
let busy: Identifier;
let busyCount: number;

beforeAll(async () => {
  sb = await startTestSandbox({ patients: 200, appointments: 3000 });
  token = await aggregatedToken(sb);
  // The patient with the most trust appointments, so paging has several pages.
  const patients = sb.app.state.population.patients.filter((p) => p.orgMask & 1);
  const top = patients.reduce((a, b) =>
    b.appointmentIndexes.length > a.appointmentIndexes.length ? b : a,
  );
  busy = { system: SYSTEMS[top.idKind], value: top.nationalId };
  busyCount = top.appointmentIndexes.filter(
    (i) => sb.app.state.population.appointments[i]?.orgIndex !== 1,
  ).length;
});
afterAll(() => sb.close());

const search = (query: string): Promise<{ status: number; body: LooseJson }> =>
  getJson(`${sb.url}/aggregated/fhir/Appointment?${query}`, token);
const actor = (id: Identifier): string =>
  `actor:Patient.identifier=${encodeURIComponent(`${id.system}|${id.value}`)}`;

async function followAll(first: Bundle): Promise<{ entries: Appointment[]; pages: number }> {
  const entries: Appointment[] = [...(first.entry ?? []).map((e) => e.resource)];
  let bundle = first;
  let pages = 1;
  for (;;) {
    const next = bundle.link.find((l) => l.relation === "next");
    if (!next) break;
    const res = await getJson(next.url, token);
    expect(res.status).toBe(200);
    bundle = res.body as Bundle;
    entries.push(...(bundle.entry ?? []).map((e) => e.resource));
    pages++;
  }
  return { entries, pages };
}

describe("GET /aggregated/fhir/Appointment", () => {
  it("requires actor:Patient.identifier", async () => {
    const res = await search("date=ge2026-01-01");
    expect(res.status).toBe(400);
    expect(res.body.issue[0].code).toBe("required");
  });

  it("returns a searchset Bundle with total and at most 10 per page, following opaque next links to the end", async () => {
    const res = await search(`${actor(busy)}&_count=50`);
    expect(res.status).toBe(200);
    const bundle = res.body as Bundle;
    expect(bundle.type).toBe("searchset");
    expect(bundle.total).toBe(busyCount);
    expect(bundle.entry?.length).toBeLessThanOrEqual(10);
    const next = bundle.link.find((l) => l.relation === "next")?.url ?? "";
    expect(next).toMatch(/\/aggregated\/fhir\/Appointment\?_page=[A-Za-z0-9_-]+$/);
    const { entries, pages } = await followAll(bundle);
    expect(entries).toHaveLength(busyCount);
    expect(pages).toBe(Math.ceil(busyCount / 10));
    expect(new Set(entries.map((e) => e.id)).size).toBe(busyCount);
    const starts = entries.map((e) => e.start);
    expect([...starts].sort()).toEqual(starts);
  });

  it("refuses a next link that was tampered with or had parameters added, and expires links on the clock", async () => {
    const bundle = (await search(actor(busy))).body as Bundle;
    const next = bundle.link.find((l) => l.relation === "next")?.url ?? "";
    expect((await getJson(`${next}&_count=5`, token)).status).toBe(400);
    expect((await getJson(next.replace(/_page=.{4}/, "_page=AAAA"), token)).status).toBe(410);
    sb.clock.advance(16 * 60_000);
    const fresh = await aggregatedToken(sb);
    expect((await getJson(next, fresh)).status).toBe(410);
    sb.clock.advance(-16 * 60_000);
  });

  it("filters by date prefixes (UK local days), status, and sorts by -date", async () => {
    const all = (await followAll((await search(actor(busy))).body as Bundle)).entries;
    const pivot = all[Math.floor(all.length / 2)] as Appointment;
    const day = new Date(Date.parse(pivot.start) + 3_600_000).toISOString().slice(0, 10);
    const ge = (await followAll((await search(`${actor(busy)}&date=ge${day}`)).body as Bundle))
      .entries;
    const lt = (await followAll((await search(`${actor(busy)}&date=lt${day}`)).body as Bundle))
      .entries;
    expect(ge.length + lt.length).toBe(all.length);
    const both = (await search(`${actor(busy)}&date=ge${day}&date=le${day}`)).body as Bundle;
    const eq = (await search(`${actor(busy)}&date=eq${day}`)).body as Bundle;
    expect(both.total).toBe(eq.total);
    expect(eq.total).toBeGreaterThan(0);
    const cancelled = (
      await followAll((await search(`${actor(busy)}&status=cancelled`)).body as Bundle)
    ).entries;
    expect(cancelled.every((a) => a.status === "cancelled")).toBe(true);
    const bookedOrCancelled = (await search(`${actor(busy)}&status=booked,cancelled`))
      .body as Bundle;
    expect(bookedOrCancelled.total).toBeGreaterThanOrEqual(cancelled.length);
    const desc = (
      await followAll((await search(`${actor(busy)}&_sort=-date`)).body as Bundle)
    ).entries.map((e) => e.start);
    expect([...desc].sort().reverse()).toEqual(desc);
    expect((await search(`${actor(busy)}&date=sometime`)).status).toBe(400);
    expect((await search(`${actor(busy)}&status=maybe`)).status).toBe(400);
    expect((await search(`${actor(busy)}&_sort=colour`)).status).toBe(400);
  });

  it("maps the aggregated-appointment profile: specialty code+display, subject, participants, privacy label, source organisation", async () => {
    const bundle = (await search(actor(busy))).body as Bundle;
    const a = bundle.entry?.[0]?.resource as Appointment;
    expect(a.specialty[0]?.coding[0]?.code).toMatch(/^\d{3}$/);
    expect(a.specialty[0]?.coding[0]?.display).toBeTruthy();
    expect(a.appointmentType.coding[0]?.display).toContain(a.specialty[0]?.coding[0]?.display);
    expect(a.participant[0]?.actor.reference).toMatch(/^Patient\//);
    expect(a.participant[1]?.actor.reference).toMatch(/^Practitioner\//);
    expect(a.participant[2]?.actor.reference).toMatch(/^Location\/clinic-\d+$/);
    expect(a.participant[2]?.actor.display).toBe(a.comment);
    expect(a.meta.security[0]?.system).toBe(
      "http://fhir.patientsknowbest.com/codesystem/privacy-label",
    );
    expect(a.meta.extension[0]?.url).toBe(
      "http://fhir.patientsknowbest.com/structuredefinition/source-organisation",
    );
    expect(a.start.endsWith("Z")).toBe(true);
  });

  it("shows an appointment with an unactioned patient request as pending until the PAS acts on it", async () => {
    const bundle = (await search(`${actor(busy)}&status=booked&date=gt2026-11-25`)).body as Bundle;
    const target = bundle.entry?.[0]?.resource as Appointment;
    expect(target).toBeTruthy();
    await admin(sb, "POST", "/messages", {
      appointmentId: target.id,
      kind: "change",
      content: "Afternoon please",
    });
    const pending = (await getJson(`${sb.url}/aggregated/fhir/Appointment/${target.id}`, token))
      .body as Appointment;
    expect(pending.status).toBe("pending");
    const newStart = new Date(Date.parse(target.start) + 7 * 86_400_000).toISOString();
    await admin(sb, "POST", `/appointments/${target.id}/reschedule`, { start: newStart });
    const moved = (await getJson(`${sb.url}/aggregated/fhir/Appointment/${target.id}`, token))
      .body as Appointment;
    expect(moved.status).toBe("booked");
    expect(moved.start).toBe(newStart.replace(".000Z", ".000Z"));
    await admin(sb, "POST", `/appointments/${target.id}/cancel`);
    expect(
      (
        (await getJson(`${sb.url}/aggregated/fhir/Appointment/${target.id}`, token))
          .body as Appointment
      ).status,
    ).toBe("cancelled");
  });

  it("gives start/end in UTC that are the UK wall time quoted in the request subject (BST and GMT)", async () => {
    const london = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    const { appointments } = sb.app.state.population;
    const pick = (from: string, to: string) =>
      appointments.find(
        (a) =>
          a.orgIndex === 0 &&
          a.status === "booked" &&
          a.requestAt === null &&
          a.start >= Date.parse(from) &&
          a.start < Date.parse(to),
      );
    const picked = [
      pick("2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z"), // BST
      pick("2026-10-26T00:00:00Z", "2026-10-28T00:00:00Z"), // GMT, just after the change
      pick("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"), // GMT
    ];
    for (const a of picked) {
      expect(a).toBeDefined();
      if (!a) continue;
      const id = sb.app.state.appointmentIdOf(a);
      const added = (
        await admin(sb, "POST", "/messages", { appointmentId: id, kind: "cancel", content: "x" })
      ).body as { subject: string };
      const resource = (await getJson(`${sb.url}/aggregated/fhir/Appointment/${id}`, token))
        .body as Appointment & { minutesDuration: number };
      expect(resource.status).toBe("pending");
      expect(resource.start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const quoted = london.format(Date.parse(resource.start)).replace(",", "");
      expect(added.subject).toBe(
        `Request to cancel appointment: ${quoted} ${resource.appointmentType.coding[0]?.display}`,
      );
      expect(Date.parse(resource.end) - Date.parse(resource.start)).toBe(
        resource.minutesDuration * 60_000,
      );
      expect(resource.specialty[0]?.coding[0]?.code).toMatch(/^\d{3}$/);
      const back = (
        await search(
          `${actor({ system: SYSTEMS[sb.app.state.population.patients[a.patientIndex]?.idKind ?? "nhs"], value: sb.app.state.population.patients[a.patientIndex]?.nationalId ?? "" })}&status=pending`,
        )
      ).body as Bundle;
      expect(back.entry?.map((e) => e.resource.id)).toContain(id);
    }
  });

  it("returns an empty Bundle for an unknown patient and 400 for an unsupported system; accepts the PKB Public ID", async () => {
    const none = (await search(actor({ system: SYSTEMS.nhs, value: "4000000004" }))).body as Bundle;
    expect(none.total).toBe(0);
    expect(none.entry).toBeUndefined();
    expect((await search(actor({ system: "http://example.org/mrn", value: "1" }))).status).toBe(
      400,
    );
    const patient = (await admin(sb, "GET", `/patients/${busy.value}`)).body as {
      publicId: string;
    };
    const byPublicId = (await search(actor({ system: SYSTEMS.publicId, value: patient.publicId })))
      .body as Bundle;
    expect(byPublicId.total).toBe(busyCount);
  });

  it("supports _count below 10 and _count=0 (total only)", async () => {
    const five = (await search(`${actor(busy)}&_count=5`)).body as Bundle;
    expect(five.entry).toHaveLength(5);
    const { entries } = await followAll(five);
    expect(entries).toHaveLength(busyCount);
    const zero = (await search(`${actor(busy)}&_count=0`)).body as Bundle;
    expect(zero.total).toBe(busyCount);
    expect(zero.entry).toBeUndefined();
  });
});

describe("Patient read and search", () => {
  it("reads a patient by Public ID and searches by identifier", async () => {
    const found = await getJson(
      `${sb.url}/aggregated/fhir/Patient?identifier=${encodeURIComponent(`${busy.system}|${busy.value}`)}`,
      token,
    );
    expect(found.body.total).toBe(1);
    const patient = found.body.entry[0].resource;
    expect(patient.identifier).toEqual(
      expect.arrayContaining([{ system: busy.system, value: busy.value }]),
    );
    const read = await getJson(`${sb.url}/aggregated/fhir/Patient/${patient.id}`, token);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(patient.id);
    expect(
      (
        await getJson(
          `${sb.url}/aggregated/fhir/Patient/00000000-0000-4000-8000-000000000000`,
          token,
        )
      ).status,
    ).toBe(404);
    expect((await getJson(`${sb.url}/aggregated/fhir/Patient`, token)).status).toBe(400);
  });
});
