import { describe, expect, it } from "vitest";
import { neutraliseFormula, toCsv } from "./csv.ts";

describe("formula-safe CSV", () => {
  it.each(["=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"])(
    "prefixes %j with an apostrophe",
    (value) => {
      expect(neutraliseFormula(value)).toBe(`'${value}`);
    },
  );

  it("leaves ordinary text alone and quotes what CSV needs quoted", () => {
    expect(neutraliseFormula("Cardiology")).toBe("Cardiology");
    expect(toCsv(["a", "b"], [["x,y", '=HYPERLINK("http://evil")']])).toBe(
      `a,b\r\n"x,y","'=HYPERLINK(""http://evil"")"\r\n`,
    );
  });
});
