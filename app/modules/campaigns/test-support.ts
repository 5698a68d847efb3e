import { isValidNationalId } from "~/modules/pkb/identifiers.ts";

/** The n-th valid NHS number in the never-issued 9xx range (synthetic test patients). */
export function syntheticNhsNumber(n: number): string {
  for (let base = 900_000_000 + n * 11; ; base++) {
    for (let check = 0; check <= 9; check++) {
      const candidate = `${base}${check}`;
      if (isValidNationalId("nhs", candidate)) return candidate;
    }
  }
}
