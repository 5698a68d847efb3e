import { matchRequest, type CandidateAppointment, type MatchDecision } from "../match/matcher.ts";
import { readMessage } from "../parse/message.ts";
import { formatWallTime } from "../parse/uk-wall-time.ts";
import type { NationalIdentifier, PatientLookup, PkbMessage, SyncSources } from "./ports.ts";

/**
 * Turns one page of PKB messages into rows to store: requests (read, patient resolved, matched)
 * and the ids of messages that are not requests. Only reads from PKB; writes nothing, so a page
 * that fails half-way is simply prepared again by the next run.
 */

export type MatchStateValue = "MATCHED" | "NEEDS_MATCHING" | "NEEDS_TRIAGE";

/** An appointment as stored in the request's candidate snapshot (JSON). */
export interface CandidateSnapshot {
  id: string;
  start: string | null;
  end: string | null;
  status: string;
  subject: string | null;
  specialtyCode: string | null;
  specialtyDisplay: string | null;
  serviceType: string | null;
  location: string | null;
}

export interface PreparedRequest {
  pkbMessageId: string;
  conversationId: string | null;
  patientPublicId: string;
  identifierSystem: string | null;
  identifierValue: string | null;
  patientDisplayName: string | null;
  action: "CANCEL" | "CHANGE";
  quotedStart: Date | null;
  quotedWallTime: string | null;
  quotedSubject: string | null;
  rawSubject: string;
  patientNote: string;
  receivedAt: Date;
  matchState: MatchStateValue;
  matchConfidence: number;
  matchReason: string;
  matched: CandidateSnapshot | null;
  candidates: CandidateSnapshot[];
}

export interface PreparedNonRequest {
  pkbMessageId: string;
  receivedAt: Date;
  reason: "conversation" | "staff-reply";
}

export interface PreparedPage {
  requests: PreparedRequest[];
  nonRequests: PreparedNonRequest[];
}

type RequestReading = Extract<ReturnType<typeof readMessage>, { kind: "request" | "needs-triage" }>;

type Appointment = Omit<CandidateAppointment, "patientKey"> & { patientKey: string };

/** How a run asks PKB about a message's patient. */
export interface PatientLookups {
  patient(publicId: string): Promise<PatientLookup>;
  appointmentsOf(
    identifier: NationalIdentifier,
    status: string | undefined,
  ): Promise<Appointment[]>;
  /** The patients whose full appointment list this run holds already (auto-close reuses them). */
  fetchedIdentifiers?(): NationalIdentifier[];
}

/**
 * Lookups reused across a run: a patient who sent ten messages is resolved once and their
 * appointments fetched once per status filter (the benchmark measures the saving).
 */
export class RunCache implements PatientLookups {
  private readonly patients = new Map<string, Promise<PatientLookup>>();
  private readonly appointments = new Map<string, Promise<Appointment[]>>();
  private readonly fetched = new Map<string, NationalIdentifier>();

  constructor(private readonly sources: SyncSources) {}

  patient(publicId: string): Promise<PatientLookup> {
    let hit = this.patients.get(publicId);
    if (!hit) {
      hit = this.sources.patientByPublicId(publicId);
      this.patients.set(publicId, hit);
      // A failed lookup must be retried by the next page or run, not remembered.
      hit.catch(() => this.patients.delete(publicId));
    }
    return hit;
  }

  appointmentsOf(
    identifier: NationalIdentifier,
    status: string | undefined,
  ): Promise<Appointment[]> {
    const key = `${identifier.system}|${identifier.value}|${status ?? "*"}`;
    let hit = this.appointments.get(key);
    if (!hit) {
      hit = this.sources
        .appointmentsOf(identifier, status ? { status } : {})
        .then((list) => list as Appointment[]);
      this.appointments.set(key, hit);
      if (!status) {
        hit.then(
          () => this.fetched.set(key, identifier),
          () => undefined,
        );
      }
      hit.catch(() => this.appointments.delete(key));
    }
    return hit;
  }

  fetchedIdentifiers(): NationalIdentifier[] {
    return [...this.fetched.values()];
  }
}

export function snapshot(appointment: Omit<CandidateAppointment, "patientKey">): CandidateSnapshot {
  return {
    id: appointment.id,
    start: appointment.start?.toISOString() ?? null,
    end: appointment.end?.toISOString() ?? null,
    status: appointment.status,
    subject: appointment.subject,
    specialtyCode: appointment.specialtyCode,
    specialtyDisplay: appointment.specialtyDisplay,
    serviceType: appointment.serviceType,
    location: appointment.location,
  };
}

const NOT_FOUND_REASONS: Record<Extract<PatientLookup, { found: false }>["reason"], string> = {
  "not-visible":
    "PKB does not let the trust see this patient's record, so no appointment can be looked up.",
  "not-found": "PKB has no record for the patient who sent this message.",
  "no-national-number":
    "The patient's PKB record has no NHS, CHI or H&C number to look appointments up by.",
};

/**
 * How a request's candidate appointments are fetched: every appointment of the patient once per
 * run (the default), or PKB's `pending` ones first, widened when they give no match.
 */
export type AppointmentSearchStrategy = "all-once" | "pending-first";

async function prepareRequest(
  message: PkbMessage,
  reading: RequestReading,
  cache: PatientLookups,
  strategy: AppointmentSearchStrategy,
): Promise<PreparedRequest> {
  const base = {
    pkbMessageId: message.id,
    conversationId: message.conversationId,
    patientPublicId: message.patientId,
    action: reading.action === "cancel" ? ("CANCEL" as const) : ("CHANGE" as const),
    rawSubject: message.subject ?? "",
    patientNote: message.content ?? "",
    receivedAt: message.timestamp,
    quotedStart: reading.kind === "request" ? (reading.quotedStarts[0] ?? null) : null,
    quotedWallTime: reading.kind === "request" ? formatWallTime(reading.wallTime) : null,
    quotedSubject: reading.kind === "request" ? reading.appointmentSubject : null,
  };
  const patient = await cache.patient(message.patientId);
  const who = patient.found
    ? {
        identifierSystem: patient.identifier.system,
        identifierValue: patient.identifier.value,
        patientDisplayName: patient.displayName,
      }
    : { identifierSystem: null, identifierValue: null, patientDisplayName: null };
  const unmatched = { matchConfidence: 0, matched: null, candidates: [] };

  if (!patient.found) {
    return {
      ...base,
      ...who,
      ...unmatched,
      matchState: "NEEDS_TRIAGE",
      matchReason:
        reading.kind === "needs-triage"
          ? `${reading.reason} ${NOT_FOUND_REASONS[patient.reason]}`
          : NOT_FOUND_REASONS[patient.reason],
    };
  }

  if (reading.kind === "needs-triage") {
    // The subject names no readable time, but the patient is known: give the person who reads
    // it the patient's appointments to pick from.
    const all = await cache.appointmentsOf(patient.identifier, undefined);
    return {
      ...base,
      ...who,
      ...unmatched,
      candidates: all.filter((c) => c.patientKey === message.patientId).map(snapshot),
      matchState: "NEEDS_TRIAGE",
      matchReason: reading.reason,
    };
  }

  const request = {
    patientKey: message.patientId,
    action: reading.action,
    quotedStarts: reading.quotedStarts,
    appointmentSubject: reading.appointmentSubject,
    receivedAt: message.timestamp,
  };
  let candidates: Appointment[];
  let decision: MatchDecision;
  if (strategy === "pending-first") {
    // PKB marks an appointment with an open patient request `pending` (pkb-api.md §6): ask for
    // those first, and widen to every appointment of the patient when that yields no match.
    candidates = await cache.appointmentsOf(patient.identifier, "pending");
    decision = matchRequest(request, candidates);
    if (decision.state !== "matched") {
      candidates = await cache.appointmentsOf(patient.identifier, undefined);
      decision = matchRequest(request, candidates);
    }
  } else {
    // Every appointment of the patient, once per run: the matcher (and a person, if it comes to
    // that) sees the whole list, including a same-time twin that is not pending. Measured cheaper
    // than pending-first (docs/decisions/0008): most requests in a sync have been acted on
    // already, so the pending search usually misses and a second search follows.
    candidates = await cache.appointmentsOf(patient.identifier, undefined);
    decision = matchRequest(request, candidates);
  }
  const own = candidates.filter((c) => c.patientKey === message.patientId);
  const matched = own.find((c) => c.id === decision.appointmentId) ?? null;
  return {
    ...base,
    ...who,
    matchState: decision.state === "matched" ? "MATCHED" : "NEEDS_MATCHING",
    matchConfidence: decision.confidence,
    matchReason: decision.reason,
    matched: matched ? snapshot(matched) : null,
    candidates: own.map(snapshot),
  };
}

/**
 * Messages in a page prepared at once. The PKB clients cap calls in flight per surface (4 by
 * default, pkb-api.md §9); each message waits on one surface at a time, so twice the two
 * surfaces' caps keeps both busy.
 */
const PREPARE_CONCURRENCY = 16;

export async function preparePage(
  messages: readonly PkbMessage[],
  cache: PatientLookups,
  strategy: AppointmentSearchStrategy = "all-once",
): Promise<PreparedPage> {
  const page: PreparedPage = { requests: [], nonRequests: [] };
  const pending: { index: number; message: PkbMessage; reading: RequestReading }[] = [];
  for (const [index, message] of messages.entries()) {
    const reading = readMessage(message);
    if (reading.kind === "not-a-request") {
      page.nonRequests.push({
        pkbMessageId: message.id,
        receivedAt: message.timestamp,
        reason: message.senderId === message.patientId ? "conversation" : "staff-reply",
      });
    } else {
      pending.push({ index, message, reading });
    }
  }
  const prepared: PreparedRequest[] = new Array<PreparedRequest>(pending.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pending.length) {
      const slot = next++;
      const item = pending[slot];
      if (item) prepared[slot] = await prepareRequest(item.message, item.reading, cache, strategy);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PREPARE_CONCURRENCY, pending.length) }, worker));
  page.requests = prepared;
  return page;
}
