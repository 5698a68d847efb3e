import { describe, expect, it } from "vitest";
import { isValidNationalNumber, passesModulus11 } from "../src/identifiers.ts";
import { bstBoundaries, formatUkDateTime, ukLocalToUtc } from "../src/ukTime.ts";

describe("modulus 11 and PKB's ranges (pkb-api.md §3)", () => {
  it.each(["9434765919", "9999999999", "5760678914", "4000000004"])(
    "accepts the known valid NHS number %s",
    (n) => {
      expect(isValidNationalNumber("nhs", n)).toBe(true);
    },
  );
  it.each(["4857773456", "9876544321"])("rejects the known invalid NHS number %s", (n) => {
    expect(isValidNationalNumber("nhs", n)).toBe(false);
  });
  it("rejects an NHS number whose first digit is 0-3 even when the check digit is right", () => {
    expect(passesModulus11("0101011237")).toBe(true);
    expect(isValidNationalNumber("nhs", "0101011237")).toBe(false);
  });
  it("accepts CHI 0101011237 and rejects CHI 1904851232", () => {
    expect(isValidNationalNumber("chi", "0101011237")).toBe(true);
    expect(isValidNationalNumber("chi", "1904851232")).toBe(false);
  });
  it("accepts H&C 3200000015 and rejects a number outside 320 000 001–399 999 999", () => {
    expect(isValidNationalNumber("hc", "3200000015")).toBe(true);
    expect(isValidNationalNumber("hc", "9434765919")).toBe(false);
  });
  it("rejects a number whose check digit would be 10, and non-digits", () => {
    expect(passesModulus11("123456789X")).toBe(false);
    expect(passesModulus11("943476591")).toBe(false);
  });
});

describe("UK local time", () => {
  it("knows the 2026 clock changes", () => {
    const { starts, ends } = bstBoundaries(2026);
    expect(new Date(starts).toISOString()).toBe("2026-03-29T01:00:00.000Z");
    expect(new Date(ends).toISOString()).toBe("2026-10-25T01:00:00.000Z");
  });
  it("maps 10:30 in July to 09:30Z and 10:30 in January to 10:30Z", () => {
    expect(new Date(ukLocalToUtc(2026, 6, 14, 10, 30)).toISOString()).toBe(
      "2026-07-14T09:30:00.000Z",
    );
    expect(new Date(ukLocalToUtc(2026, 0, 14, 10, 30)).toISOString()).toBe(
      "2026-01-14T10:30:00.000Z",
    );
  });
  it("formats either side of the October change in UK local time", () => {
    expect(formatUkDateTime(Date.parse("2026-10-24T09:30:00Z"))).toBe("24/10/2026 10:30");
    expect(formatUkDateTime(Date.parse("2026-10-26T10:30:00Z"))).toBe("26/10/2026 10:30");
  });
});
