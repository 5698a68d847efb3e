import { describe, expect, it } from "vitest";
import { isValidNationalNumber } from "../src/identifiers.ts";
import { SPECIALTIES } from "../src/population/catalog.ts";
import { appointmentSubject, generatePopulation } from "../src/population/generate.ts";
import { appointmentIndexFromId, appointmentId } from "../src/population/ids.ts";
import { formatUkDateTime, isBritishSummerTime, utcToUkLocal } from "../src/ukTime.ts";

const anchor = Date.parse("2026-11-21T10:00:00Z");
const population = generatePopulation({ seed: 11, patients: 3000, anchor });
const DAY = 86_400_000;

describe("synthetic population (issue 3 §2)", () => {
  it("is identical for the same seed and different for another", () => {
    const again = generatePopulation({ seed: 11, patients: 3000, anchor });
    expect(again.patients.map((p) => p.nationalId)).toEqual(
      population.patients.map((p) => p.nationalId),
    );
    expect(again.messages.map((m) => m.subject)).toEqual(population.messages.map((m) => m.subject));
    const other = generatePopulation({ seed: 12, patients: 3000, anchor });
    expect(other.patients[100]?.nationalId).not.toBe(population.patients[100]?.nationalId);
  });

  it("is identical in every field (patients, appointments, messages, documents, ids) for the same seed and start", () => {
    const a = generatePopulation({ seed: 3, patients: 400, anchor });
    const b = generatePopulation({ seed: 3, patients: 400, anchor });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.appointments.length).toBe(2000);
  });

  it("gives every patient a valid, unique national number; most NHS, some CHI and H&C", () => {
    const seen = new Set<string>();
    for (const p of population.patients) {
      expect(isValidNationalNumber(p.idKind, p.nationalId), `${p.idKind} ${p.nationalId}`).toBe(
        true,
      );
      expect(seen.has(p.nationalId)).toBe(false);
      seen.add(p.nationalId);
    }
    const share = (kind: string): number =>
      population.patients.filter((p) => p.idKind === kind).length / population.patients.length;
    expect(share("nhs")).toBeGreaterThan(0.8);
    expect(share("chi")).toBeGreaterThan(0.02);
    expect(share("hc")).toBeGreaterThan(0.01);
  });

  it("has the documented proportions of deceased, under-16, registered, no-DOB and no-access records", () => {
    const n = population.patients.length;
    const ratio = (f: (p: (typeof population.patients)[number]) => boolean): number =>
      population.patients.filter(f).length / n;
    expect(ratio((p) => p.deceasedDate !== null)).toBeGreaterThan(0.003);
    expect(ratio((p) => p.deceasedDate !== null)).toBeLessThan(0.03);
    const under16 = ratio(
      (p) => p.birthDate !== null && Date.parse(p.birthDate) > anchor - 16 * 365.25 * DAY,
    );
    expect(under16).toBeGreaterThan(0.1);
    expect(under16).toBeLessThan(0.2);
    expect(ratio((p) => p.registered)).toBeGreaterThan(0.2);
    expect(ratio((p) => p.registered)).toBeLessThan(0.3);
    expect(ratio((p) => p.birthDate === null)).toBeGreaterThan(0.005);
    expect(ratio((p) => (p.orgMask & 1) === 0)).toBeGreaterThan(0.02);
  });

  it("uses only drama-range mobiles and example.com e-mails", () => {
    for (const p of population.patients) {
      if (p.mobile) expect(p.mobile).toMatch(/^07700 900\d{3}$/);
      if (p.email) expect(p.email).toMatch(/@example\.com$/);
    }
  });

  it("spreads appointments over at least 12 specialties, past and future, booked/cancelled/noshow", () => {
    const specialties = new Set(population.appointments.map((a) => a.specialtyIndex));
    expect(specialties.size).toBeGreaterThanOrEqual(12);
    expect(SPECIALTIES.every((s) => /^\d{3}$/.test(s.code))).toBe(true);
    const statuses = new Set(population.appointments.map((a) => a.status));
    expect([...statuses].sort()).toEqual(["booked", "cancelled", "noshow"]);
    expect(population.appointments.some((a) => a.start < anchor)).toBe(true);
    expect(population.appointments.some((a) => a.start > anchor)).toBe(true);
  });

  it("gives some patients two appointments on one day, some at the very same time", () => {
    let sameDay = 0;
    let sameTime = 0;
    for (const p of population.patients) {
      const starts = p.appointmentIndexes.map((i) => population.appointments[i]?.start ?? 0);
      const days = starts.map((s) => formatUkDateTime(s).slice(0, 10));
      if (new Set(days).size < days.length) sameDay++;
      if (new Set(starts).size < starts.length) sameTime++;
    }
    expect(sameDay).toBeGreaterThan(10);
    expect(sameTime).toBeGreaterThan(0);
  });

  it("puts clinic times in UK local hours, in both BST and GMT, including days next to a clock change", () => {
    for (const a of population.appointments.slice(0, 2000)) {
      const local = utcToUkLocal(a.start);
      expect(local.hour).toBeGreaterThanOrEqual(8);
      expect(local.hour).toBeLessThanOrEqual(17);
    }
    expect(population.appointments.some((a) => isBritishSummerTime(a.start))).toBe(true);
    expect(population.appointments.some((a) => !isBritishSummerTime(a.start))).toBe(true);
    const nearChange = population.appointments.filter((a) => {
      const d = new Date(a.start).toISOString().slice(0, 10);
      return ["2026-10-23", "2026-10-24", "2026-10-26", "2026-10-27"].includes(d);
    });
    expect(nearChange.length).toBeGreaterThan(0);
  });

  it("writes appointment requests in the §5 subject format quoting real appointments in UK local time, plus noise", () => {
    const requests = population.messages.filter((m) =>
      /^Request to (cancel|change) appointment: /.test(m.subject),
    );
    expect(requests.length).toBeGreaterThan(20);
    const quoted = requests.filter((m) => {
      const match =
        /^Request to (?:cancel|change) appointment: (\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}) (.+)$/.exec(
          m.subject,
        );
      const patient = population.patients[m.patientIndex];
      return patient?.appointmentIndexes.some((i) => {
        const a = population.appointments[i];
        return a !== undefined && formatUkDateTime(a.start) === match?.[1];
      });
    });
    expect(quoted.length / requests.length).toBeGreaterThan(0.9);
    const plain = population.messages.filter((m) => !/request to (cancel|change)/i.test(m.subject));
    expect(plain.length).toBeGreaterThan(5);
    const variants = population.messages.filter(
      (m) =>
        /request to (cancel|change)/i.test(m.subject) &&
        !/^Request to (cancel|change) appointment: /.test(m.subject),
    );
    expect(variants.length).toBeGreaterThan(0);
  });

  it("quotes each pending request's appointment start as Europe/London wall time (checked with Intl, across both clock changes)", () => {
    const london = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    const intlUk = (ms: number): string => london.format(ms).replace(",", "");
    // The sandbox's own converter agrees with the tz database for every appointment…
    const mismatches = population.appointments.filter(
      (a) => formatUkDateTime(a.start) !== intlUk(a.start),
    );
    expect(mismatches).toHaveLength(0);
    // …and every seeded request that marks its appointment pending quotes that appointment exactly,
    // with populations anchored just before each clock change so pending requests straddle it.
    let checked = 0;
    let bst = 0;
    let gmt = 0;
    const changeDays = new Set<string>();
    for (const at of ["2026-03-24T09:00:00Z", "2026-10-20T09:00:00Z", "2026-11-21T10:00:00Z"]) {
      const p = generatePopulation({ seed: 5, patients: 1500, anchor: Date.parse(at) });
      const byKey = new Map(p.messages.map((m) => [`${m.patientIndex}@${m.timestamp}`, m]));
      for (const a of p.appointments) {
        if (a.requestAt === null) continue;
        const m = byKey.get(`${a.patientIndex}@${a.requestAt}`);
        expect(m, `message for appointment ${a.index}`).toBeDefined();
        const quoted = /(\d{2}\/\d{2}\/\d{4} \d{2}:\d{2})/.exec(m?.subject ?? "")?.[1];
        expect(quoted).toBe(intlUk(a.start));
        expect(m?.subject.trimEnd().endsWith(appointmentSubject(a))).toBe(true);
        checked++;
        if (isBritishSummerTime(a.start)) bst++;
        else gmt++;
        const day = intlUk(a.start).slice(0, 10);
        if (["27/03/2026", "28/03/2026", "30/03/2026", "24/10/2026", "26/10/2026"].includes(day)) {
          changeDays.add(day);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(bst).toBeGreaterThan(10);
    expect(gmt).toBeGreaterThan(10);
    expect(changeDays.size).toBeGreaterThan(0);
  });

  it("converts UK wall times on both 2026 clock-change days like the tz database", () => {
    const london = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    for (const day of [
      "2026-03-28",
      "2026-03-29",
      "2026-03-30",
      "2026-10-24",
      "2026-10-25",
      "2026-10-26",
    ]) {
      const start = Date.parse(`${day}T00:00:00Z`) - 2 * 3_600_000;
      for (let t = start; t < start + 28 * 3_600_000; t += 15 * 60_000) {
        expect(formatUkDateTime(t)).toBe(london.format(t).replace(",", ""));
      }
    }
  });

  it("keeps messages in (timestamp, id) order with some ties", () => {
    let ties = 0;
    for (let i = 1; i < population.messages.length; i++) {
      const a = population.messages[i - 1];
      const b = population.messages[i];
      if (!a || !b) continue;
      expect(a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.id < b.id)).toBe(true);
      if (a.timestamp === b.timestamp) ties++;
    }
    expect(ties).toBeGreaterThan(0);
  });

  it("round-trips reversible appointment ids", () => {
    for (const index of [0, 1, 999, 123_456, 999_999]) {
      const id = appointmentId(11, index);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(appointmentIndexFromId(11, id)).toBe(index);
    }
    expect(appointmentIndexFromId(11, appointmentId(12, 5))).toBeUndefined();
  });
});
