import { z } from "zod";

/** The patient details a list can carry. Only the identifier is required. */
export const IMPORT_FIELDS = [
  "identifier",
  "givenName",
  "familyName",
  "dateOfBirth",
  "mobile",
  "email",
  "addressLine1",
  "addressLine2",
  "addressLine3",
  "addressLine4",
  "postcode",
] as const;

export type ImportField = (typeof IMPORT_FIELDS)[number];

export const FIELD_LABELS: Record<ImportField, string> = {
  identifier: "Patient identifier",
  givenName: "Given name",
  familyName: "Family name",
  dateOfBirth: "Date of birth",
  mobile: "Mobile number",
  email: "E-mail address",
  addressLine1: "Address line 1",
  addressLine2: "Address line 2",
  addressLine3: "Address line 3",
  addressLine4: "Address line 4 (town)",
  postcode: "Postcode",
};

/** field → the header of the column it comes from; absent = the list has no such column. */
export const ColumnMappingSchema = z
  .object(
    Object.fromEntries(
      IMPORT_FIELDS.map((field) => [field, z.string().min(1).max(200).optional()]),
    ) as Record<ImportField, z.ZodOptional<z.ZodString>>,
  )
  .refine((mapping) => Boolean(mapping.identifier), {
    message: "Choose the column that holds the patient identifier",
    path: ["identifier"],
  });

export type ColumnMapping = Partial<Record<ImportField, string>>;

/** Headers seen in PAS and spreadsheet exports, compared without case, spaces or punctuation. */
const SYNONYMS: Record<ImportField, string[]> = {
  identifier: [
    "nhsnumber",
    "nhsno",
    "nhs",
    "chinumber",
    "chi",
    "hcnumber",
    "healthandcarenumber",
    "hcn",
    "identifier",
    "patientidentifier",
  ],
  givenName: ["givenname", "firstname", "forename", "forenames", "first"],
  familyName: ["familyname", "surname", "lastname", "last"],
  dateOfBirth: ["dateofbirth", "dob", "birthdate", "birthdate"],
  mobile: ["mobile", "mobilenumber", "mobilephone", "mobileno", "phone", "telephone", "cell"],
  email: ["email", "emailaddress", "mail"],
  addressLine1: ["addressline1", "address1", "addr1", "address"],
  addressLine2: ["addressline2", "address2", "addr2"],
  addressLine3: ["addressline3", "address3", "addr3"],
  addressLine4: ["addressline4", "address4", "addr4", "town", "city"],
  postcode: ["postcode", "postalcode", "zip"],
};

export function headerKey(header: string): string {
  return header
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

/** A first guess at the mapping from the headers alone; staff confirm it on the mapping page. */
export function guessMapping(headers: readonly string[]): ColumnMapping {
  const mapping: ColumnMapping = {};
  for (const field of IMPORT_FIELDS) {
    const match = headers.find((header) => SYNONYMS[field].includes(headerKey(header)));
    if (match) mapping[field] = match;
  }
  return mapping;
}

/** Whether a remembered mapping fits a list: every column it names is among the headers. */
export function presetFits(mapping: ColumnMapping, headers: readonly string[]): boolean {
  const present = new Set(headers);
  const named = Object.values(mapping).filter(Boolean);
  return named.length > 0 && named.every((header) => present.has(header!));
}
