import { describe, expect, it } from "vitest";
import {
  IDENTIFIER_SYSTEMS,
  isValidNationalId,
  kindOfSystem,
  maskNationalId,
  nationalIdProblem,
  normaliseNationalId,
} from "./identifiers.ts";

describe("national identifiers (pkb-api.md §3)", () => {
  it.each(["9434765919", "9999999999", "5760678914", "4000000004"])("NHS %s is valid", (value) => {
    expect(isValidNationalId("nhs", value)).toBe(true);
  });

  it("names why an NHS number is wrong", () => {
    expect(nationalIdProblem("nhs", "4857773456")).toBe("check-digit");
    expect(nationalIdProblem("nhs", "9876544321")).toBe("check-digit");
    expect(nationalIdProblem("nhs", "943476591")).toBe("not-ten-digits");
    // CHI and H&C numbers pass modulus 11 but are outside the NHS range
    expect(nationalIdProblem("nhs", "0101011237")).toBe("nhs-range");
    expect(nationalIdProblem("nhs", "3200000015")).toBe("nhs-range");
  });

  it("checks CHI dates and H&C ranges", () => {
    expect(isValidNationalId("chi", "0101011237")).toBe(true);
    expect(nationalIdProblem("chi", "1904851232")).toBe("check-digit");
    expect(nationalIdProblem("chi", "9999999999")).toBe("chi-date");
    expect(isValidNationalId("hc", "3200000015")).toBe(true);
    expect(nationalIdProblem("hc", "9434765919")).toBe("hc-range");
  });

  it("never guesses the system: the same digits are judged by the declared kind", () => {
    expect(isValidNationalId("nhs", "9999999999")).toBe(true);
    expect(isValidNationalId("chi", "9999999999")).toBe(false);
  });

  it("maps systems to kinds and normalises separators", () => {
    expect(kindOfSystem(IDENTIFIER_SYSTEMS.chi)).toBe("chi");
    expect(kindOfSystem("urn:other")).toBeUndefined();
    expect(normaliseNationalId(" 943 476-5919 ")).toBe("9434765919");
    expect(maskNationalId("9434765919")).toBe("******5919");
  });
});
