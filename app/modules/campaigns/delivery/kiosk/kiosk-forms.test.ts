import { expect, it } from "vitest";
import { identifySchema } from "./kiosk-forms.ts";

function messages(form: Record<string, string>): Array<[string, string]> {
  const result = identifySchema.safeParse({ intent: "identify", ...form });
  return (result.error?.issues ?? []).map((issue) => [issue.path.join("."), issue.message]);
}

it("gives an empty field one message, and a wrong one the reason", () => {
  expect(messages({ nationalId: "", dobDay: "", dobMonth: "x", dobYear: "1980" })).toEqual([
    ["nationalId", "Enter your NHS number"],
    ["dobDay", "Enter your day of birth"],
    ["dobMonth", "Your month of birth must be a number"],
  ]);
  expect(
    messages({ nationalId: "943 476 591", dobDay: "32", dobMonth: "3", dobYear: "1980" }),
  ).toEqual([
    ["nationalId", "Your NHS number is 10 digits, like 943 476 5919"],
    ["dobDay", "Enter a real day of birth"],
  ]);
});
