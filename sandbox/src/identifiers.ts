/**
 * Identifier systems and the modulus-11 check of pkb-api.md §3. The sandbox's own implementation:
 * it deliberately shares nothing with the portal's, so a bug in one is caught by the other.
 */
export const IDENTIFIER_SYSTEMS = {
  nhs: "https://fhir.nhs.uk/Id/nhs-number",
  chi: "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53",
  hc: "urn:uuid:1479257a-ce8f-482a-89fa-429ac066c158",
  publicId: "http://fhir.patientsknowbest.com/id/public-id",
} as const;

/** The national-number kinds the mass-registration operations accept. */
export type NationalIdKind = "nhs" | "chi" | "hc";

export const NATIONAL_ID_KINDS: readonly NationalIdKind[] = ["nhs", "chi", "hc"];

export function nationalKindForSystem(system: string | undefined): NationalIdKind | undefined {
  switch (system) {
    case IDENTIFIER_SYSTEMS.nhs:
      return "nhs";
    case IDENTIFIER_SYSTEMS.chi:
      return "chi";
    case IDENTIFIER_SYSTEMS.hc:
      return "hc";
    default:
      return undefined;
  }
}

/** Custom REST names for the national-number types (pkb-common's NationalIdType enum). */
export const REST_ID_TYPE: Record<NationalIdKind, string> = {
  nhs: "NHS_NUMBER",
  chi: "CHI_NUMBER",
  hc: "H_AND_C_NUMBER",
};

export const REST_ID_DESCRIPTION: Record<NationalIdKind, { name: string; countryCodes: string[] }> =
  {
    nhs: { name: "NHS number", countryCodes: ["GB-ENG", "GB-WLS"] },
    chi: { name: "CHI number", countryCodes: ["GB-SCT"] },
    hc: { name: "Health and Care number", countryCodes: ["GB-NIR"] },
  };

export function kindForRestType(type: string): NationalIdKind | undefined {
  for (const kind of NATIONAL_ID_KINDS) if (REST_ID_TYPE[kind] === type) return kind;
  return undefined;
}

/** The check digit for nine digits, or undefined when the scheme says no number can end them (10). */
export function modulus11CheckDigit(firstNine: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (firstNine.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

export function passesModulus11(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false;
  const check = modulus11CheckDigit(value.slice(0, 9));
  return check !== undefined && check === value.charCodeAt(9) - 48;
}

/** PKB's own range rules (pkb-common NationalIdType) on top of modulus 11. */
export function isValidNationalNumber(kind: NationalIdKind, value: string): boolean {
  if (!passesModulus11(value)) return false;
  switch (kind) {
    case "nhs":
      return value.charCodeAt(0) - 48 >= 4;
    case "chi": {
      const day = Number(value.slice(0, 2));
      const month = Number(value.slice(2, 4));
      return day >= 1 && day <= 31 && month >= 1 && month <= 12;
    }
    case "hc": {
      // The range 320 000 001–399 999 999 applies to the nine digits before the check digit.
      const firstNine = Number(value.slice(0, 9));
      return firstNine >= 320_000_001 && firstNine <= 399_999_999;
    }
  }
}

/** Appends the check digit to nine digits; undefined when those nine digits cannot be completed. */
export function completeWithCheckDigit(firstNine: string): string | undefined {
  const check = modulus11CheckDigit(firstNine);
  return check === undefined ? undefined : firstNine + String(check);
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
