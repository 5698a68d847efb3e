import { describe, expect, it } from "vitest";
import {
  addWorkingHours,
  bankHolidays,
  describeSla,
  slaStateAt,
  workingMsBetween,
  type WorkingCalendar,
} from "./working-hours.ts";

/** 08:00–18:00 UK time, ten working hours a day, no closures. */
const nineToSix: WorkingCalendar = { dayStartMinute: 480, dayEndMinute: 1080, closures: new Set() };
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

describe("England and Wales bank holidays", () => {
  it("counts public holidays with their substitute days, not observances", () => {
    const days = bankHolidays(2026);
    expect(days.has("2026-12-25")).toBe(true);
    expect(days.has("2026-12-28")).toBe(true); // Boxing Day falls on Saturday: substitute Monday
    expect(days.has("2026-05-04")).toBe(true);
    expect(days.has("2026-03-15")).toBe(false); // Mother's Day is an observance
    expect(bankHolidays(2027).has("2027-12-27")).toBe(true);
    expect(bankHolidays(2027).has("2027-12-28")).toBe(true);
  });
});

describe("adding working hours", () => {
  it("skips the weekend", () => {
    // Fri 20 Nov 2026 16:00 GMT: 2 h on Friday, 10 h Monday, 4 h Tuesday.
    expect(addWorkingHours(at("2026-11-20T16:00:00Z"), 16, nineToSix)).toEqual(
      at("2026-11-24T12:00:00Z"),
    );
  });

  it("skips a bank holiday and its substitute day", () => {
    // Thu 24 Dec 2026 14:00: 4 h Thursday; Fri 25 (Christmas), the weekend and Mon 28 (Boxing Day
    // substitute) are off; 10 h Tuesday; 2 h Wednesday.
    expect(addWorkingHours(at("2026-12-24T14:00:00Z"), 16, nineToSix)).toEqual(
      at("2026-12-30T10:00:00Z"),
    );
    // Fri 1 May 2026 17:00 BST: 1 h; Mon 4 May (Early May bank holiday) off; 10 h Tue; 5 h Wed.
    expect(addWorkingHours(at("2026-05-01T16:00:00Z"), 16, nineToSix)).toEqual(
      at("2026-05-06T12:00:00Z"),
    );
  });

  it("skips a local closure", () => {
    const closed = { ...nineToSix, closures: new Set(["2026-11-23"]) };
    expect(addWorkingHours(at("2026-11-20T16:00:00Z"), 16, closed)).toEqual(
      at("2026-11-25T12:00:00Z"),
    );
  });

  it("crosses the spring clock change by the UK clock", () => {
    // Fri 27 Mar 2026 16:00 GMT; clocks go forward Sun 29 Mar. 2 h Fri, 10 h Mon, 4 h Tue → 12:00
    // BST = 11:00Z (counting in UTC would say 12:00Z).
    expect(addWorkingHours(at("2026-03-27T16:00:00Z"), 16, nineToSix)).toEqual(
      at("2026-03-31T11:00:00Z"),
    );
    expect(
      workingMsBetween(at("2026-03-27T16:00:00Z"), at("2026-03-31T11:00:00Z"), nineToSix),
    ).toBe(16 * HOUR);
  });

  it("crosses the autumn clock change by the UK clock", () => {
    // Fri 23 Oct 2026 17:00 BST (16:00Z); clocks go back Sun 25 Oct. 1 h Fri, 10 h Mon, 5 h Tue →
    // 13:00 GMT = 13:00Z.
    expect(addWorkingHours(at("2026-10-23T16:00:00Z"), 16, nineToSix)).toEqual(
      at("2026-10-27T13:00:00Z"),
    );
  });

  it("starts the clock at the next working window when received outside working hours", () => {
    // Wed 22:00 → Thu 10 h + Fri 6 h.
    expect(addWorkingHours(at("2026-11-18T22:00:00Z"), 16, nineToSix)).toEqual(
      at("2026-11-20T14:00:00Z"),
    );
    // Wed 06:00, before the day starts → Wed 10 h + Thu 6 h.
    expect(addWorkingHours(at("2026-11-18T06:00:00Z"), 16, nineToSix)).toEqual(
      at("2026-11-19T14:00:00Z"),
    );
    // Saturday → Monday 08:00 on.
    expect(addWorkingHours(at("2026-11-21T09:00:00Z"), 16, nineToSix)).toEqual(
      at("2026-11-24T14:00:00Z"),
    );
    expect(addWorkingHours(at("2026-11-21T09:00:00Z"), 0, nineToSix)).toEqual(
      at("2026-11-23T08:00:00Z"),
    );
  });

  it("is due at the close of the day when the target ends exactly there", () => {
    expect(addWorkingHours(at("2026-11-23T08:00:00Z"), 10, nineToSix)).toEqual(
      at("2026-11-23T18:00:00Z"),
    );
  });

  it("refuses a working day that ends before it starts", () => {
    expect(() =>
      addWorkingHours(at("2026-11-23T08:00:00Z"), 1, { ...nineToSix, dayEndMinute: 400 }),
    ).toThrow(RangeError);
  });
});

describe("time left and time overdue", () => {
  const dueAt = at("2026-11-24T12:00:00Z");

  it("counts working time left before the deadline", () => {
    // Mon 17:00: 1 h Monday + 4 h Tuesday.
    const state = slaStateAt(dueAt, at("2026-11-23T17:00:00Z"), nineToSix);
    expect(state).toEqual({ kind: "due", workingMinutes: 300, soon: false });
    expect(describeSla(state)).toBe("Due in 5 h");
    expect(describeSla(slaStateAt(dueAt, at("2026-11-24T10:30:00Z"), nineToSix))).toBe(
      "Due in 1 h 30 min",
    );
    expect(slaStateAt(dueAt, at("2026-11-24T10:30:00Z"), nineToSix)).toMatchObject({ soon: true });
  });

  it("counts working time overdue, and a weekend does not add to it", () => {
    expect(describeSla(slaStateAt(dueAt, at("2026-11-24T14:30:00Z"), nineToSix))).toBe(
      "Overdue by 2 h 30 min",
    );
    const fridayDue = at("2026-11-20T17:00:00Z");
    expect(describeSla(slaStateAt(fridayDue, at("2026-11-21T10:00:00Z"), nineToSix))).toBe(
      "Overdue by 1 h",
    );
    expect(describeSla(slaStateAt(fridayDue, at("2026-11-23T09:00:00Z"), nineToSix))).toBe(
      "Overdue by 2 h",
    );
  });

  it("says when there is no target", () => {
    expect(describeSla(slaStateAt(null, at("2026-11-24T14:30:00Z"), nineToSix))).toBe("No target");
  });
});
