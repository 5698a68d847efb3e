import { maskNationalId } from "~/modules/pkb/identifiers.ts";
import type { ImportField } from "./fields.ts";

/**
 * What the error report shows of a bad value: enough for staff to find the row in their own
 * spreadsheet, not enough to identify the patient from the report alone.
 */
export function maskValue(field: ImportField | "row", raw: string): string {
  const value = raw.trim();
  if (!value) return "";
  switch (field) {
    case "identifier": {
      const compact = value.replace(/\s/g, "");
      return /^\d+$/.test(compact)
        ? maskNationalId(compact)
        : `${"*".repeat(Math.max(0, compact.length - 3))}${compact.slice(-3)}`;
    }
    case "mobile": {
      const digits = value.replace(/\D/g, "");
      return digits.length > 3 ? `${"*".repeat(digits.length - 3)}${digits.slice(-3)}` : "***";
    }
    case "email": {
      const at = value.indexOf("@");
      return at > 0 ? `${value[0]}***${value.slice(at)}` : `${value[0]}***`;
    }
    case "dateOfBirth":
      // The shape is what is wrong with a date, so keep separators and hide the digits.
      return value.slice(0, 40).replace(/\d/g, "#");
    case "givenName":
    case "familyName":
    case "addressLine1":
    case "addressLine2":
    case "addressLine3":
    case "addressLine4":
      return `${[...value][0]}*** (${[...value].length} characters)`;
    case "postcode":
      // The outward code alone names a district, not a patient.
      return `${value.slice(0, 4).replace(/\s.*$/, "")} ***`;
    case "row":
      return "";
  }
}
