import {
  formatWallTime,
  isRealWallTime,
  ukWallTimeInstants,
  type UkWallTime,
} from "./uk-wall-time.ts";

/**
 * Reads the subject PKB gives a patient's appointment request (pkb-api.md §5):
 *
 *     Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up
 *     Request to change appointment: …
 *
 * The date and time are UK wall-clock time (Europe/London); what follows is the appointment's
 * subject from the trust's HL7 feed. Real traffic varies, so this tolerates: any letter case,
 * repeated or odd spaces (NBSP, zero-width), "Re:"/"Fwd:" prefixes (any number), " - " instead of
 * ":", one-digit day or month, "/", "." or "-" between date parts, a two-digit year, "10.30" or
 * "10:30" (and "10:30am"), a comma or "at" between date and time, a missing subject and trailing
 * punctuation.
 *
 * Only subjects that start with "Request to cancel|change appointment" are requests. Ordinary
 * conversation ("Can I change my appointment?") is not: PKB's request form always writes the
 * prefix, and a person reading a free-text question is not an appointment request to be matched.
 * A subject with the prefix whose date or time cannot be read goes to "needs triage" with the raw
 * subject kept: it is certainly a request, but the portal cannot tell which appointment.
 */
export type RequestAction = "cancel" | "change";

export type SubjectReading =
  | {
      kind: "request";
      action: RequestAction;
      /** The wall time exactly as quoted. */
      wallTime: UkWallTime;
      /**
       * The UTC instants that wall time names, earliest first: one, or two on the fall-back day
       * between 01:00 and 01:59 (BST reading, then GMT reading). The matcher considers both and
       * never picks one silently.
       */
      quotedStarts: Date[];
      /** The appointment's subject as quoted, tidied; null when the patient's subject had none. */
      appointmentSubject: string | null;
    }
  | { kind: "needs-triage"; action: RequestAction; reason: string }
  | { kind: "not-a-request" };

const REPLY_PREFIX = /^(?:re|fw|fwd|aw)\s*(?:\[\d+\])?\s*:\s*/i;
const REQUEST_PREFIX =
  /^request\s+to\s+(cancel|change)\s+(?:(?:my|an|the|this)\s+)?appointment\b\s*(.*)$/i;
const DATE_PART = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})(?!\d)\s*(.*)$/;
const TIME_PART = /^(\d{1,2})\s*[:.]\s*(\d{2})(?!\d)\s*(am|pm|a\.m\.|p\.m\.)?\s*(.*)$/i;
const LEADING_SEPARATORS = /^[\s:,;\-\u2013\u2014]+/;
const TRAILING_PUNCTUATION = /[\s.,;:!?\-\u2013\u2014]+$/;

/** Unicode oddities that real mail clients add: full-width digits, NBSP, zero-width, bidi marks. */
export function normaliseSubject(raw: string): string {
  return raw
    .normalize("NFKC")
    .replace(/[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

export function readSubject(rawSubject: string | null | undefined): SubjectReading {
  let subject = normaliseSubject(rawSubject ?? "");
  for (let i = 0; i < 10 && REPLY_PREFIX.test(subject); i++) {
    subject = subject.replace(REPLY_PREFIX, "");
  }
  const prefix = REQUEST_PREFIX.exec(subject);
  if (!prefix) return { kind: "not-a-request" };
  const action = (prefix[1] ?? "").toLowerCase() as RequestAction;
  const rest = (prefix[2] ?? "").replace(LEADING_SEPARATORS, "");

  const date = DATE_PART.exec(rest);
  if (!date) {
    return { kind: "needs-triage", action, reason: "The subject quotes no date (dd/mm/yyyy)." };
  }
  const afterDate = (date[4] ?? "").replace(/^(?:,|\bat\b|T)\s*/i, "").replace(/^,?\s*/, "");
  const time = TIME_PART.exec(afterDate);
  if (!time) {
    return { kind: "needs-triage", action, reason: "The subject quotes no time (hh:mm)." };
  }

  const yearDigits = date[3] ?? "";
  let hour = Number(time[1]);
  const meridiem = (time[3] ?? "").replace(/\./g, "").toLowerCase();
  if (meridiem) {
    if (hour < 1 || hour > 12) {
      return { kind: "needs-triage", action, reason: "The quoted time is not a real time." };
    }
    hour = (hour % 12) + (meridiem === "pm" ? 12 : 0);
  }
  const wallTime: UkWallTime = {
    year: yearDigits.length === 2 ? 2000 + Number(yearDigits) : Number(yearDigits),
    month: Number(date[2]),
    day: Number(date[1]),
    hour,
    minute: Number(time[2]),
  };
  if (!isRealWallTime(wallTime)) {
    return {
      kind: "needs-triage",
      action,
      reason: "The quoted date or time is not a real date and time.",
    };
  }
  const quotedStarts = ukWallTimeInstants(wallTime);
  if (quotedStarts.length === 0) {
    return {
      kind: "needs-triage",
      action,
      reason: `${formatWallTime(wallTime)} did not happen in the UK: the clocks went forward that night.`,
    };
  }
  const appointmentSubject = (time[4] ?? "")
    .replace(LEADING_SEPARATORS, "")
    .replace(TRAILING_PUNCTUATION, "");
  return {
    kind: "request",
    action,
    wallTime,
    quotedStarts,
    appointmentSubject: appointmentSubject === "" ? null : appointmentSubject,
  };
}
