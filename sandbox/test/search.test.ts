import { describe, expect, it } from "vitest";
import { matchesDate, parseDateCriterion } from "../src/aggregated/search.ts";

const at = (iso: string): number => Date.parse(iso);
const matches = (criterion: string, iso: string): boolean => {
  const c = parseDateCriterion(criterion);
  if (!c) throw new Error(`unparsed ${criterion}`);
  return matchesDate(at(iso), c);
};

describe("Aggregated date search prefixes (pkb-api.md §6)", () => {
  it("treats a day as the UK local day: in BST it runs 23:00Z to 23:00Z", () => {
    expect(matches("eq2026-06-15", "2026-06-14T23:00:00Z")).toBe(true);
    expect(matches("eq2026-06-15", "2026-06-14T22:59:59Z")).toBe(false);
    expect(matches("eq2026-06-15", "2026-06-15T22:59:59Z")).toBe(true);
    expect(matches("eq2026-06-15", "2026-06-15T23:00:00Z")).toBe(false);
    expect(matches("2026-06-15", "2026-06-15T12:00:00Z")).toBe(true);
  });

  it("gt/ge/lt/le compare against the ends of the day", () => {
    expect(matches("gt2026-06-15", "2026-06-15T22:59:59Z")).toBe(false);
    expect(matches("gt2026-06-15", "2026-06-15T23:00:00Z")).toBe(true);
    expect(matches("ge2026-06-15", "2026-06-14T23:00:00Z")).toBe(true);
    expect(matches("ge2026-06-15", "2026-06-14T22:59:59Z")).toBe(false);
    expect(matches("lt2026-06-15", "2026-06-14T22:59:59Z")).toBe(true);
    expect(matches("lt2026-06-15", "2026-06-14T23:00:00Z")).toBe(false);
    expect(matches("le2026-06-15", "2026-06-15T22:59:59Z")).toBe(true);
    expect(matches("le2026-06-15", "2026-06-15T23:00:00Z")).toBe(false);
    expect(matches("ne2026-06-15", "2026-06-15T12:00:00Z")).toBe(false);
  });

  it("handles GMT days, the 25-hour clock-change day and month/year precision", () => {
    expect(matches("eq2026-12-01", "2026-12-01T00:00:00Z")).toBe(true);
    expect(matches("eq2026-12-01", "2026-11-30T23:59:59Z")).toBe(false);
    // 25 October 2026 is 25 hours long: 23:00Z on the 24th to 00:00Z on the 26th.
    expect(matches("eq2026-10-25", "2026-10-24T23:00:00Z")).toBe(true);
    expect(matches("eq2026-10-25", "2026-10-25T23:30:00Z")).toBe(true);
    expect(matches("eq2026-10-25", "2026-10-26T00:00:00Z")).toBe(false);
    expect(matches("eq2026-12", "2026-12-31T23:59:59Z")).toBe(true);
    expect(matches("eq2026-12", "2027-01-01T00:00:00Z")).toBe(false);
    expect(matches("lt2027", "2026-12-31T23:59:59Z")).toBe(true);
  });

  it("takes date-times with a zone as instants and without one as UK local time", () => {
    expect(matches("ge2026-06-15T10:30:00+01:00", "2026-06-15T09:30:00Z")).toBe(true);
    expect(matches("ge2026-06-15T10:30:00Z", "2026-06-15T09:30:00Z")).toBe(false);
    expect(matches("eq2026-06-15T10:30", "2026-06-15T09:30:00Z")).toBe(true);
    expect(matches("eq2026-01-15T10:30", "2026-01-15T10:30:00Z")).toBe(true);
  });

  it("refuses what is not a FHIR date", () => {
    for (const bad of ["sometime", "2026-13-01", "2026-06-32", "xx2026", "2026-6-1"]) {
      expect(parseDateCriterion(bad), bad).toBeUndefined();
    }
  });
});
