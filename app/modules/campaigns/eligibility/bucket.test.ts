import { describe, expect, it } from "vitest";
import { bucketFor, isUnder16 } from "./bucket.ts";

describe("eligibility buckets", () => {
  const at = new Date("2026-07-14T23:30:00Z"); // 00:30 on 15 July in the UK (BST)
  it("puts each PKB answer in one bucket, in PKB's order", () => {
    expect(bucketFor({ found: false, diagnostics: "Not found" }, at)).toBe("NOT_FOUND");
    expect(bucketFor({ found: false, diagnostics: "No access", deceased: true }, at)).toBe(
      "NO_ACCESS",
    );
    expect(bucketFor({ found: true, deceased: true, registered: true }, at)).toBe("DECEASED");
    expect(bucketFor({ found: true, registered: true, dateOfBirth: "1970-01-01" }, at)).toBe(
      "ALREADY_REGISTERED",
    );
    expect(bucketFor({ found: true }, at)).toBe("NO_DATE_OF_BIRTH");
    expect(bucketFor({ found: true, dateOfBirth: "2010-07-16" }, at)).toBe("UNDER_16");
    expect(bucketFor({ found: true, dateOfBirth: "1970-01-01" }, at)).toBe("ELIGIBLE");
  });
  it("counts age in UK local time, not UTC", () => {
    // In UTC it is still 14 July; in the UK it is already the 16th birthday.
    expect(isUnder16("2010-07-15", at)).toBe(false);
    expect(isUnder16("2010-07-16", at)).toBe(true);
    expect(isUnder16("2012-02-29", new Date("2028-02-28T12:00:00Z"))).toBe(true);
    expect(isUnder16("2011-02-28", new Date("2027-02-28T12:00:00Z"))).toBe(false);
  });
});
