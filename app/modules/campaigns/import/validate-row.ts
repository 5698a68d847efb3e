import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import {
  NATIONAL_ID_LABELS,
  nationalIdProblem,
  normaliseNationalId,
  type NationalIdKind,
} from "~/modules/pkb/identifiers.ts";
import type { ImportField } from "./fields.ts";

/**
 * Checks one row of a patient list. Pure: the same row always gives the same answer, so every
 * message staff can see is pinned by a unit test. Spreadsheet damage is named as such (H5),
 * because the fix is in the spreadsheet, not in the number.
 */
export interface ValidRecipient {
  nationalId: string;
  givenName: string | null;
  familyName: string | null;
  /** YYYY-MM-DD */
  dateOfBirth: string | null;
  /** E.164 */
  mobile: string | null;
  email: string | null;
  /** postal address for letters (issue 9); empty lines are null */
  addressLine1?: string | null;
  addressLine2?: string | null;
  addressLine3?: string | null;
  addressLine4?: string | null;
  postcode?: string | null;
}

export interface RowProblem {
  field: ImportField | "row";
  /** the value as it was in the file (masked before it is stored) */
  value: string;
  reason: string;
}

export type RowResult =
  { ok: true; recipient: ValidRecipient } | { ok: false; problems: RowProblem[] };

export type RowValues = Partial<Record<ImportField, string>>;

const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u200E\u200F\u202A-\u202E\u2066-\u2069\u00AD]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F]/g;

/** NFKC folds full-width digits and no-break spaces; zero-width and bidi controls are removed. */
export function cleanText(raw: string | undefined): string {
  return (raw ?? "").normalize("NFKC").replace(INVISIBLE, "").replace(CONTROL, " ").trim();
}

const SCIENTIFIC = /^[+-]?\d+([.,]\d+)?e[+-]?\d+$/i;
const MAX_NAME = 100;

export const MESSAGES = {
  identifierMissing: (label: string) => `No ${label} in this row`,
  identifierScientific: (label: string) =>
    `A spreadsheet has turned this ${label} into scientific notation (like 9.43E+09), which loses digits. Format the column as text and export the list again.`,
  chiLostZero:
    "This CHI number has lost its leading zero (a spreadsheet treated it as a number). Format the column as text and export the list again.",
  identifierNotDigits: (label: string) =>
    `${article(label)} ${label} is 10 digits; this has other characters in it`,
  identifierLength: (label: string, digits: number) =>
    `${article(label)} ${label} is 10 digits; this has ${digits}`,
  checkDigit: (label: string) =>
    `The ${label}’s check digit is wrong, so the number has been mistyped`,
  nhsRange:
    "PKB does not accept NHS numbers starting 0 to 3 (those belong to CHI and Health and Care numbers); check the identifier system chosen for this list",
  chiDate: "A CHI number starts with the date of birth (DDMMYY); this one does not",
  hcRange: "A Health and Care number lies between 3200000010 and 3999999999; this one does not",
  dobSerial:
    "A spreadsheet has turned this date of birth into a number (a date serial). Format the column as a date (DD/MM/YYYY) and export the list again.",
  dobTwoDigitYear: "Write the year with four digits (DD/MM/YYYY)",
  dobNotReal: "This is not a real date",
  dobFuture: "The date of birth is in the future",
  dobTooOld: "The date of birth is before 1900",
  dobFormat: "Write the date of birth as DD/MM/YYYY",
  mobileScientific:
    "A spreadsheet has turned this mobile number into scientific notation, which loses digits. Format the column as text and export the list again.",
  mobileNotPhone: "This is not a phone number",
  mobileNotUk: "This is not a UK phone number",
  mobileInvalid: "This is not a valid UK phone number",
  landline: "This is a landline number, not a mobile: invitations by text need a mobile",
  mobileOtherType: "This is not a mobile number",
  email: "This is not a valid e-mail address",
  addressLong: "An address line is at most 100 characters",
  postcode: "This is not a UK postcode (like SW1A 1AA)",
  nameTooLong: (label: string) =>
    `The ${label.toLowerCase()} is longer than ${MAX_NAME} characters`,
} as const;

function article(label: string): string {
  return /^[AEIOU]|^NHS/.test(label) ? "An" : "A";
}

export function validateRow(kind: NationalIdKind, values: RowValues, today: string): RowResult {
  const problems: RowProblem[] = [];
  const problem = (field: ImportField, value: string | undefined, reason: string) => {
    problems.push({ field, value: value ?? "", reason });
    return null;
  };

  const nationalId = checkIdentifier(kind, values.identifier, (reason) =>
    problem("identifier", values.identifier, reason),
  );
  const givenName = checkName("Given name", values.givenName, (reason) =>
    problem("givenName", values.givenName, reason),
  );
  const familyName = checkName("Family name", values.familyName, (reason) =>
    problem("familyName", values.familyName, reason),
  );
  const dateOfBirth = checkDateOfBirth(values.dateOfBirth, today, (reason) =>
    problem("dateOfBirth", values.dateOfBirth, reason),
  );
  const mobile = checkMobile(values.mobile, (reason) => problem("mobile", values.mobile, reason));
  const email = checkEmail(values.email, (reason) => problem("email", values.email, reason));

  const address = (["addressLine1", "addressLine2", "addressLine3", "addressLine4"] as const).map(
    (field) => {
      const text = cleanText(values[field]);
      if (text.length > 100) return problem(field, values[field], MESSAGES.addressLong);
      return text || null;
    },
  );
  const postcode = checkPostcode(values.postcode, (reason) =>
    problem("postcode", values.postcode, reason),
  );

  if (problems.length > 0 || !nationalId) return { ok: false, problems };
  return {
    ok: true,
    recipient: {
      nationalId,
      givenName,
      familyName,
      dateOfBirth,
      mobile,
      email,
      ...(address.some(Boolean) || postcode
        ? {
            addressLine1: address[0] ?? null,
            addressLine2: address[1] ?? null,
            addressLine3: address[2] ?? null,
            addressLine4: address[3] ?? null,
            postcode,
          }
        : {}),
    },
  };
}

const POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})$/;

/** UK postcodes, any case and spacing, written the Royal Mail way ("SW1A 1AA"). */
function checkPostcode(raw: string | undefined, fail: (reason: string) => null): string | null {
  const text = cleanText(raw).toUpperCase().replace(/\s+/g, " ");
  if (!text) return null;
  const match = POSTCODE.exec(text);
  if (!match) return fail(MESSAGES.postcode);
  return `${match[1]} ${match[2]}`;
}

function checkIdentifier(
  kind: NationalIdKind,
  raw: string | undefined,
  fail: (reason: string) => null,
): string | null {
  const label = NATIONAL_ID_LABELS[kind];
  const text = cleanText(raw);
  if (!text) return fail(MESSAGES.identifierMissing(label));
  if (SCIENTIFIC.test(text)) return fail(MESSAGES.identifierScientific(label));
  const digits = normaliseNationalId(text);
  if (!/^\d+$/.test(digits)) return fail(MESSAGES.identifierNotDigits(label));
  if (kind === "chi" && digits.length === 9 && !nationalIdProblem("chi", `0${digits}`)) {
    return fail(MESSAGES.chiLostZero);
  }
  if (digits.length !== 10) return fail(MESSAGES.identifierLength(label, digits.length));
  switch (nationalIdProblem(kind, digits)) {
    case undefined:
      return digits;
    case "not-ten-digits":
      return fail(MESSAGES.identifierLength(label, digits.length));
    case "check-digit":
      return fail(MESSAGES.checkDigit(label));
    case "nhs-range":
      return fail(MESSAGES.nhsRange);
    case "chi-date":
      return fail(MESSAGES.chiDate);
    case "hc-range":
      return fail(MESSAGES.hcRange);
  }
}

function checkName(label: string, raw: string | undefined, fail: (reason: string) => null) {
  const text = cleanText(raw).replace(/\s+/g, " ");
  if (!text) return null;
  if (text.length > MAX_NAME) return fail(MESSAGES.nameTooLong(label));
  return text;
}

const DMY = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?Z?)?$/;

function checkDateOfBirth(raw: string | undefined, today: string, fail: (reason: string) => null) {
  const text = cleanText(raw);
  if (!text) return null;
  // Excel stores dates as days since 1900; a column that lost its date format shows that number.
  if (/^\d{1,6}(\.\d+)?$/.test(text)) return fail(MESSAGES.dobSerial);
  let year: number;
  let month: number;
  let day: number;
  const dmy = DMY.exec(text);
  const iso = ISO.exec(text);
  if (dmy) {
    if (dmy[3]!.length === 2) return fail(MESSAGES.dobTwoDigitYear);
    [day, month, year] = [Number(dmy[1]), Number(dmy[2]), Number(dmy[3])];
  } else if (iso) {
    [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else {
    return fail(MESSAGES.dobFormat);
  }
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return fail(MESSAGES.dobNotReal);
  }
  const value = date.toISOString().slice(0, 10);
  if (value > today) return fail(MESSAGES.dobFuture);
  if (year < 1900) return fail(MESSAGES.dobTooOld);
  return value;
}

/** Ofcom keeps 07700 900000–900999 for drama; libphonenumber calls them invalid, PKB's sandbox uses them. */
const DRAMA_MOBILES = /^\+447700900\d{3}$/;

function checkMobile(raw: string | undefined, fail: (reason: string) => null) {
  const text = cleanText(raw);
  if (!text) return null;
  if (SCIENTIFIC.test(text)) return fail(MESSAGES.mobileScientific);
  // Fast path for the shapes nearly every list uses (07…, +44 7…, 44 7…, with spaces, dashes,
  // brackets or "(0)"): UK mobiles are 07[1-57-9] plus 8 digits. libphonenumber (≈150 µs a
  // number) decides everything else, including landlines, pagers and foreign numbers.
  const compact = text.replace(/\(0\)/, "").replace(/[\s()-]/g, "");
  const fast = /^(?:\+44|0044|44|0)(7[1-57-9]\d{8})$/.exec(compact);
  if (fast) return `+44${fast[1]}`;
  const phone = parsePhoneNumberFromString(text, "GB");
  if (!phone) return fail(MESSAGES.mobileNotPhone);
  if (DRAMA_MOBILES.test(phone.number)) return phone.number;
  // +44 covers the UK and the Crown Dependencies (Jersey, Guernsey, Isle of Man mobiles included).
  if (phone.countryCallingCode !== "44") return fail(MESSAGES.mobileNotUk);
  if (!phone.isValid()) return fail(MESSAGES.mobileInvalid);
  const type = phone.getType();
  if (type === "MOBILE") return phone.number;
  if (type === "FIXED_LINE" || type === "FIXED_LINE_OR_MOBILE") return fail(MESSAGES.landline);
  return fail(MESSAGES.mobileOtherType);
}

const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[^\s@"(),:;<>[\\\]]+\.[^\s@"(),:;<>[\\\]]{2,}$/;

function checkEmail(raw: string | undefined, fail: (reason: string) => null) {
  const text = cleanText(raw).toLowerCase();
  if (!text) return null;
  if (text.length > 254 || !EMAIL.test(text)) return fail(MESSAGES.email);
  return text;
}
