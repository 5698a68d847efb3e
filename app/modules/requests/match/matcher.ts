import type { RequestAction } from "../parse/subject.ts";

/**
 * Decides which of a patient's appointments a cancel/change request is about (hazard H1 in
 * quality.md). Pure: the sync gives it the request as read from the subject and the appointments
 * PKB's Aggregated API returned for that patient; it never fetches anything itself.
 *
 * The rules, strongest evidence first (docs/decisions/0008-how-the-matcher-decides.md):
 *
 * 1. Same patient. Only appointments whose patient is the message's patient are candidates; any
 *    other appointment handed in is set aside (the sync searches by the patient's identifier, so
 *    this is a second lock, not the first).
 * 2. Same start. The quoted UK wall time names one instant (two in the repeated autumn hour); a
 *    candidate fits on time only when its start is exactly one of them, to the minute.
 * 3. Same subject. The quoted appointment subject must equal the appointment's subject (case,
 *    spacing and punctuation aside). A subject that disagrees is never a fit; a missing quoted
 *    subject is tolerated only when exactly one appointment of the patient starts at that time.
 * 4. A state that can take the request: booked or pending; or already cancelled when the patient
 *    asked to cancel (the request is then about an appointment the trust has already cancelled,
 *    and staff see that). A change request on a cancelled appointment, a no-show or an appointment
 *    that had started before the patient wrote goes to a person: it may have been moved.
 *
 * Exactly one candidate must fit. Two that fit, or a fit that rests on weak evidence, go to
 * "needs matching" where a person picks from the candidates — never a guess.
 */
export type AppointmentStatus =
  | "proposed"
  | "pending"
  | "booked"
  | "arrived"
  | "fulfilled"
  | "cancelled"
  | "noshow"
  | "entered-in-error"
  | "checked-in"
  | "waitlist"
  | (string & {});

/** One appointment as PKB's Aggregated API described it, reduced to what matching needs and shows. */
export interface CandidateAppointment {
  id: string;
  /** The patient the appointment belongs to (PKB Public ID or national number, as the sync keys it). */
  patientKey: string;
  start: Date | null;
  end: Date | null;
  status: AppointmentStatus;
  /** `appointmentType.coding[0].display`: the subject PKB quotes in the request. */
  subject: string | null;
  specialtyCode: string | null;
  specialtyDisplay: string | null;
  serviceType: string | null;
  /** Clinic or location, as PKB gives it (the sandbox puts it in `comment`). */
  location: string | null;
}

export interface RequestToMatch {
  patientKey: string;
  action: RequestAction;
  /** The instants the quoted UK wall time names (one, or two in the repeated autumn hour). */
  quotedStarts: readonly Date[];
  appointmentSubject: string | null;
  /** When the patient sent the message. */
  receivedAt: Date;
}

export type MatchState = "matched" | "needs-matching";

export interface CandidateVerdict {
  appointmentId: string;
  onTime: boolean;
  subject: "agrees" | "disagrees" | "not-quoted" | "appointment-has-none";
  status: "can-take-request" | "already-cancelled" | "cannot-take-request";
  fits: boolean;
}

export interface MatchDecision {
  state: MatchState;
  /** Set only when state is "matched". */
  appointmentId: string | null;
  /** 0–1: how sure the matcher is; only "matched" decisions carry 0.8 or more. */
  confidence: number;
  /** The reason in words, shown to staff and kept with the request. */
  reason: string;
  verdicts: CandidateVerdict[];
}

/** Case, spaces and punctuation aside: "Cardiology Follow up" = "cardiology follow-up". */
export function subjectKey(subject: string): string {
  return subject
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "");
}

const ACTIVE_STATUSES = new Set(["booked", "pending", "arrived", "checked-in", "proposed"]);

function judge(candidate: CandidateAppointment, request: RequestToMatch): CandidateVerdict {
  const start = candidate.start?.getTime();
  const onTime = start !== undefined && request.quotedStarts.some((q) => q.getTime() === start);
  const subject: CandidateVerdict["subject"] =
    request.appointmentSubject === null
      ? "not-quoted"
      : candidate.subject === null || subjectKey(candidate.subject) === ""
        ? "appointment-has-none"
        : subjectKey(candidate.subject) === subjectKey(request.appointmentSubject)
          ? "agrees"
          : "disagrees";
  const startedBeforeRequest = start !== undefined && start <= request.receivedAt.getTime();
  const status: CandidateVerdict["status"] =
    candidate.status === "cancelled" && request.action === "cancel"
      ? "already-cancelled"
      : ACTIVE_STATUSES.has(candidate.status) && !startedBeforeRequest
        ? "can-take-request"
        : "cannot-take-request";
  return {
    appointmentId: candidate.id,
    onTime,
    subject,
    status,
    fits: onTime && subject !== "disagrees" && status !== "cannot-take-request",
  };
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

export function matchRequest(
  request: RequestToMatch,
  candidates: readonly CandidateAppointment[],
): MatchDecision {
  const own = candidates.filter((c) => c.patientKey === request.patientKey);
  const verdicts = own.map((c) => judge(c, request));
  const onTime = verdicts.filter((v) => v.onTime);
  const fitting = verdicts.filter((v) => v.fits);
  const ambiguousWallTime = request.quotedStarts.length > 1;
  const needsMatching = (confidence: number, reason: string): MatchDecision => ({
    state: "needs-matching",
    appointmentId: null,
    confidence,
    reason,
    verdicts,
  });

  if (own.length === 0) {
    return needsMatching(0, "PKB returned no appointments for this patient.");
  }
  if (onTime.length === 0) {
    const sameSubject = verdicts.filter((v) => v.subject === "agrees").length;
    return needsMatching(
      0,
      `None of the patient's ${own.length} ${plural(own.length, "appointment starts", "appointments start")} at the quoted time` +
        (sameSubject > 0
          ? `; ${sameSubject} with the quoted subject ${plural(sameSubject, "is", "are")} at another time (moved, or the patient quoted the wrong time).`
          : "."),
    );
  }
  if (fitting.length > 1) {
    return needsMatching(
      0.5,
      `${fitting.length} appointments of this patient fit the quoted time and subject; a person must choose.`,
    );
  }
  if (fitting.length === 0) {
    const only = onTime[0];
    if (onTime.length === 1 && only?.subject === "disagrees") {
      return needsMatching(
        0.3,
        "An appointment starts at the quoted time but its subject differs from the one quoted.",
      );
    }
    if (onTime.length === 1 && only?.status === "cannot-take-request") {
      return needsMatching(
        0.4,
        request.action === "change"
          ? "The appointment at the quoted time is no longer booked (cancelled, missed or already started); it may have been moved."
          : "The appointment at the quoted time is missed or had already started when the patient wrote.",
      );
    }
    return needsMatching(
      0.3,
      `${onTime.length} appointments start at the quoted time and none has the quoted subject and a state that can take the request.`,
    );
  }

  const chosen = fitting[0] as CandidateVerdict;
  const othersOnTime = onTime.length - 1;
  if (chosen.subject === "not-quoted" || chosen.subject === "appointment-has-none") {
    // Time alone is enough only when nothing else of this patient's starts then.
    if (othersOnTime > 0) {
      return needsMatching(
        0.4,
        "The request quotes no subject and more than one appointment starts at the quoted time.",
      );
    }
    return decide(
      chosen,
      0.85,
      `The only appointment of this patient at the quoted time; ${chosen.subject === "not-quoted" ? "the request quotes no subject" : "the appointment has no subject to compare"}.`,
      verdicts,
    );
  }

  const parts = ["Same patient, same start and same subject"];
  let confidence = 1;
  if (othersOnTime > 0) {
    parts.push(
      `; ${othersOnTime} other ${plural(othersOnTime, "appointment", "appointments")} at that time ${plural(othersOnTime, "has", "have")} a different subject or cannot take the request`,
    );
    confidence = 0.9;
  }
  if (ambiguousWallTime) {
    parts.push("; the quoted time falls in the repeated autumn hour, and only one reading fits");
    confidence = Math.min(confidence, 0.9);
  }
  if (chosen.status === "already-cancelled") {
    parts.push("; the appointment is already cancelled");
    confidence = Math.min(confidence, 0.9);
  }
  return decide(chosen, confidence, `${parts.join("")}.`, verdicts);
}

function decide(
  chosen: CandidateVerdict,
  confidence: number,
  reason: string,
  verdicts: CandidateVerdict[],
): MatchDecision {
  return { state: "matched", appointmentId: chosen.appointmentId, confidence, reason, verdicts };
}
