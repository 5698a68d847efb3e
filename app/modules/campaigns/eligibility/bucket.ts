import { TZDate } from "@date-fns/tz";
import type { EligibilityBucket } from "~/generated/prisma/enums.ts";
import { UK_TIME_ZONE } from "~/platform/uk-time.ts";
import type { PatientStatusAnswer } from "../pkb-port.ts";

/**
 * Which bucket PKB's status answer puts a patient in, checked in the order PKB itself refuses
 * tokens (pkb-api.md §4): not found, no access, deceased, registered, no date of birth, under 16.
 */
export function bucketFor(status: PatientStatusAnswer, at: Date): EligibilityBucket {
  if (status.diagnostics === "No access") return "NO_ACCESS";
  if (!status.found) return "NOT_FOUND";
  if (status.deceased) return "DECEASED";
  if (status.registered) return "ALREADY_REGISTERED";
  if (!status.dateOfBirth || !/^\d{4}-\d{2}-\d{2}$/.test(status.dateOfBirth)) {
    return "NO_DATE_OF_BIRTH";
  }
  return isUnder16(status.dateOfBirth, at) ? "UNDER_16" : "ELIGIBLE";
}

/** Under 16 on today's date in the UK: a patient is 16 from the first moment of their 16th birthday. */
export function isUnder16(dateOfBirth: string, at: Date): boolean {
  const today = new TZDate(at, UK_TIME_ZONE);
  const [year, month, day] = dateOfBirth.split("-").map(Number) as [number, number, number];
  const todayKey = today.getFullYear() * 10_000 + (today.getMonth() + 1) * 100 + today.getDate();
  // A 29 February birthday turns 16 on 1 March in non-leap years (the day after 28 February).
  const sixteenth = (year + 16) * 10_000 + month * 100 + day;
  const isLeapDay = month === 2 && day === 29;
  const sixteenthKey =
    isLeapDay && !isLeapYear(year + 16) ? (year + 16) * 10_000 + 3 * 100 + 1 : sixteenth;
  return todayKey < sixteenthKey;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export const BUCKET_LABELS: Record<EligibilityBucket, string> = {
  ELIGIBLE: "Can be invited",
  ALREADY_REGISTERED: "Already registered with PKB",
  DECEASED: "Deceased",
  NOT_FOUND: "Not found in PKB",
  NO_ACCESS: "Record held by another organisation (no access)",
  NO_DATE_OF_BIRTH: "No date of birth in PKB",
  UNDER_16: "Under 16",
};

export const BUCKET_SLUGS: Record<EligibilityBucket, string> = {
  ELIGIBLE: "eligible",
  ALREADY_REGISTERED: "already-registered",
  DECEASED: "deceased",
  NOT_FOUND: "not-found",
  NO_ACCESS: "no-access",
  NO_DATE_OF_BIRTH: "no-date-of-birth",
  UNDER_16: "under-16",
};
