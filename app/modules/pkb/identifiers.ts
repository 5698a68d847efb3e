/**
 * Patient identifiers PKB accepts (pkb-api.md §3). The portal's own implementation: the sandbox has
 * another on purpose, so a bug in one is caught by the other.
 *
 * The three national numbers share one modulus-11 scheme with different ranges, so the system is
 * always declared by the caller (per file, per grant) and never guessed from the digits (H5).
 */
export const IDENTIFIER_SYSTEMS = {
  nhs: "https://fhir.nhs.uk/Id/nhs-number",
  chi: "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53",
  hc: "urn:uuid:1479257a-ce8f-482a-89fa-429ac066c158",
  publicId: "http://fhir.patientsknowbest.com/id/public-id",
} as const;

export type NationalIdKind = "nhs" | "chi" | "hc";

export const NATIONAL_ID_KINDS = ["nhs", "chi", "hc"] as const satisfies readonly NationalIdKind[];

/** What staff call each number, for labels and messages. */
export const NATIONAL_ID_LABELS: Record<NationalIdKind, string> = {
  nhs: "NHS number",
  chi: "CHI number",
  hc: "Health and Care number",
};

/** Custom REST path names (pkb-api.md §5, `users/byNationalId/{value}/{type}`). */
export const REST_NATIONAL_ID_TYPES: Record<NationalIdKind, string> = {
  nhs: "NHS_NUMBER",
  chi: "CHI_NUMBER",
  hc: "H_AND_C_NUMBER",
};

export function systemOf(kind: NationalIdKind): string {
  return IDENTIFIER_SYSTEMS[kind];
}

export function kindOfSystem(system: string): NationalIdKind | undefined {
  return NATIONAL_ID_KINDS.find((kind) => IDENTIFIER_SYSTEMS[kind] === system);
}

/** Check digit for the first nine digits; `undefined` when the sum gives 10 (no valid number). */
function modulus11Check(firstNine: string): number | undefined {
  let sum = 0;
  for (let index = 0; index < 9; index++) sum += Number(firstNine[index]) * (10 - index);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  return check === 10 ? undefined : check;
}

export type NationalIdProblem =
  "not-ten-digits" | "check-digit" | "nhs-range" | "chi-date" | "hc-range";

/** Why a normalised 10-digit string is not a valid number of `kind`, or `undefined` if it is. */
export function nationalIdProblem(
  kind: NationalIdKind,
  digits: string,
): NationalIdProblem | undefined {
  if (!/^\d{10}$/.test(digits)) return "not-ten-digits";
  if (modulus11Check(digits.slice(0, 9)) !== Number(digits[9])) return "check-digit";
  switch (kind) {
    case "nhs":
      // PKB refuses NHS numbers starting 0–3 (those ranges belong to CHI and H&C).
      return Number(digits[0]) >= 4 ? undefined : "nhs-range";
    case "chi": {
      const day = Number(digits.slice(0, 2));
      const month = Number(digits.slice(2, 4));
      return day >= 1 && day <= 31 && month >= 1 && month <= 12 ? undefined : "chi-date";
    }
    case "hc": {
      // 320 000 001–399 999 999 is the range of the nine digits before the check digit.
      const firstNine = Number(digits.slice(0, 9));
      return firstNine >= 320_000_001 && firstNine <= 399_999_999 ? undefined : "hc-range";
    }
  }
}

export function isValidNationalId(kind: NationalIdKind, digits: string): boolean {
  return nationalIdProblem(kind, digits) === undefined;
}

/** `123 456 7890` and `123-456-7890` are how staff write numbers; strip exactly those separators. */
export function normaliseNationalId(raw: string): string {
  return raw.trim().replace(/[\s-]/g, "");
}

/** Shows the last four digits only, for error reports and screens that need no more. */
export function maskNationalId(digits: string): string {
  return digits.length <= 4 ? "****" : `${"*".repeat(digits.length - 4)}${digits.slice(-4)}`;
}
