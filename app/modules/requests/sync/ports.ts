import type { CandidateAppointment } from "../match/matcher.ts";

/**
 * What the request sync needs from PKB, in the sync's own words. `pkb-sources.server.ts` builds
 * these from the PKB clients and the clinician grant; tests and the benchmark build them the same
 * way against the sandbox. Keeping the seam narrow lets the sync be read without the HTTP details.
 */

/** One message from `GET /json/v1/messages/after/{time}` (pkb-api.md §5). */
export interface PkbMessage {
  id: string;
  conversationId: string | null;
  timestamp: Date;
  subject: string | null;
  content: string | null;
  senderId: string;
  patientId: string;
}

export interface NationalIdentifier {
  system: string;
  value: string;
}

export type PatientLookup =
  | { found: true; identifier: NationalIdentifier; displayName: string }
  /** PKB answered definitively that the record cannot be seen (403) or does not exist (404). */
  | { found: false; reason: "not-visible" | "not-found" | "no-national-number" };

export interface SyncSources {
  /** Messages with `timestamp > after`, oldest first, one page. */
  messagesAfter(after: Date): Promise<PkbMessage[]>;
  /** The patient behind a message's Public ID. */
  patientByPublicId(publicId: string): Promise<PatientLookup>;
  /**
   * The patient's appointments from the Aggregated API, every page. `status` narrows the search
   * (PKB marks appointments with an open patient request `pending`).
   */
  appointmentsOf(
    identifier: NationalIdentifier,
    options: { status?: string },
  ): Promise<Omit<CandidateAppointment, "patientKey">[]>;
  /** Calls made to PKB so far (for the run record and the benchmark). */
  callCount(): number;
}
