import { readSubject, type SubjectReading } from "./subject.ts";

/** The parts of a PKB message (pkb-api.md §5) that decide whether it is an appointment request. */
export interface MessageHeader {
  subject: string | null | undefined;
  senderId: string;
  patientId: string;
}

/**
 * A message is a patient's appointment request only when the patient sent it: a clinician's
 * reply quoting "Re: Request to cancel appointment: …" is conversation, and reading it as a
 * request would create a second request for one patient action.
 */
export function readMessage(message: MessageHeader): SubjectReading {
  if (message.senderId !== message.patientId) return { kind: "not-a-request" };
  return readSubject(message.subject);
}
