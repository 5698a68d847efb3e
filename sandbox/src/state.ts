import { randomBytes } from "node:crypto";
import type { NationalIdKind } from "./identifiers.ts";
import { ukDateString } from "./ukTime.ts";
import { appointmentIndexFromId, appointmentId, deterministicUuid } from "./population/ids.ts";
import {
  compareMessages,
  generatePopulation,
  requestSubject,
  DAY,
  type Population,
} from "./population/generate.ts";
import type {
  Appointment,
  FiledDocument,
  Invitation,
  Message,
  Patient,
} from "./population/model.ts";

/** Invitation tokens are 10 characters from an alphabet without look-alikes (0/O, 1/I/L). [D] */
const TOKEN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const INVITATION_TOKEN_LENGTH = 10;
export const INVITATION_LIFETIME_MS = 30 * DAY;

function randomToken(bytes: Buffer, offset: number): string {
  let token = "";
  for (let i = 0; i < INVITATION_TOKEN_LENGTH; i++) {
    token += TOKEN_ALPHABET[(bytes[offset + i] ?? 0) % TOKEN_ALPHABET.length];
  }
  return token;
}

/** Why a patient gets no invitation tokens (pkb-api.md §4), in the order the sandbox checks. */
export type Ineligibility =
  "not-found" | "no-access" | "deceased" | "registered" | "no-date-of-birth" | "under-16";

/**
 * The sandbox's PKB: the seeded population plus indexes for the hot paths (a 5000-identifier status
 * query is 5000 Map lookups) and every mutation the APIs and controls perform.
 */
export class SandboxState {
  population!: Population;
  private byNationalId = new Map<string, Patient>();
  private byPublicId = new Map<string, Patient>();
  private byPkbId = new Map<number, Patient>();
  private documentsById = new Map<string, FiledDocument>();
  private invitationsByCode = new Map<string, Invitation>();
  private invitationsByPatient = new Map<number, Invitation[]>();
  /** Patient index → when PKB e-mailed them an invitation (PKB's user status INVITED). */
  private emailInvitations = new Map<number, number>();
  private messagesById = new Map<string, Message>();
  private addedMessageCount = 0;

  constructor(
    private readonly seedOptions: {
      seed: number;
      patients: number;
      appointments?: number;
      anchor: number;
    },
  ) {
    this.reset();
  }

  reset(): void {
    this.population = generatePopulation(this.seedOptions);
    this.byNationalId.clear();
    this.byPublicId.clear();
    this.byPkbId.clear();
    for (const p of this.population.patients) {
      this.byNationalId.set(nationalKey(p.idKind, p.nationalId), p);
      this.byPublicId.set(p.publicId, p);
      this.byPkbId.set(p.pkbId, p);
    }
    this.documentsById = new Map(this.population.documents.map((d) => [d.identifier, d]));
    this.invitationsByCode.clear();
    this.invitationsByPatient.clear();
    this.emailInvitations.clear();
    this.messagesById = new Map(this.population.messages.map((m) => [m.id, m]));
    this.addedMessageCount = 0;
  }

  get seed(): number {
    return this.population.seed;
  }

  patientByNationalId(kind: NationalIdKind, value: string): Patient | undefined {
    return this.byNationalId.get(nationalKey(kind, value));
  }

  patientByPublicId(publicId: string): Patient | undefined {
    return this.byPublicId.get(publicId.toLowerCase());
  }

  patientByPkbId(pkbId: number): Patient | undefined {
    return this.byPkbId.get(pkbId);
  }

  canOrganisationSee(orgIndex: number, patient: Patient): boolean {
    return (patient.orgMask & (1 << orgIndex)) !== 0;
  }

  /**
   * Under 16 until the 16th birthday begins in the UK: the patient's date of birth is a UK calendar
   * date, so "today" is the sandbox clock's UK local date (in BST the day starts at 23:00 UTC the
   * evening before).
   */
  isUnder16(patient: Patient, now: number): boolean {
    if (!patient.birthDate) return false;
    const [y, m, d] = patient.birthDate.split("-").map(Number) as [number, number, number];
    const sixteenth = new Date(Date.UTC(y + 16, m - 1, d)).toISOString().slice(0, 10);
    return ukDateString(now) < sixteenth;
  }

  /** The first reason (if any) why PKB would not issue tokens for this patient to this organisation. */
  ineligibility(
    patient: Patient | undefined,
    orgIndex: number,
    now: number,
  ): Ineligibility | undefined {
    if (!patient) return "not-found";
    if (!this.canOrganisationSee(orgIndex, patient)) return "no-access";
    if (patient.deceasedDate) return "deceased";
    if (patient.registered) return "registered";
    if (!patient.birthDate) return "no-date-of-birth";
    if (this.isUnder16(patient, now)) return "under-16";
    return undefined;
  }

  /** Issues fresh pairs; earlier pairs stay valid until they expire. [D] */
  issueInvitations(patients: readonly Patient[], orgIndex: number, now: number): Invitation[] {
    const bytes = randomBytes(patients.length * INVITATION_TOKEN_LENGTH * 2);
    return patients.map((patient, i) => {
      let code = randomToken(bytes, i * INVITATION_TOKEN_LENGTH * 2);
      while (this.invitationsByCode.has(code)) {
        code = randomToken(randomBytes(INVITATION_TOKEN_LENGTH), 0);
      }
      const invitation: Invitation = {
        code,
        token: randomToken(bytes, i * INVITATION_TOKEN_LENGTH * 2 + INVITATION_TOKEN_LENGTH),
        patientIndex: patient.index,
        orgIndex,
        issuedAt: now,
        expiresAt: now + INVITATION_LIFETIME_MS,
        revokedAt: null,
      };
      this.invitationsByCode.set(code, invitation);
      const list = this.invitationsByPatient.get(patient.index);
      if (list) list.push(invitation);
      else this.invitationsByPatient.set(patient.index, [invitation]);
      this.population.invitations.push(invitation);
      return invitation;
    });
  }

  invitationsFor(patient: Patient): readonly Invitation[] {
    return this.invitationsByPatient.get(patient.index) ?? [];
  }

  invitationByCode(code: string): Invitation | undefined {
    return this.invitationsByCode.get(code.trim().toUpperCase());
  }

  /**
   * PKB e-mails the patient an invitation (a clinician's "Invite" in PKB, or PKB's own invitation
   * run). This, not token generation, is what makes recordAccessToken say INVITED_NOT_REGISTERED.
   */
  recordEmailInvitation(patient: Patient, at: number): void {
    if (!this.emailInvitations.has(patient.index)) this.emailInvitations.set(patient.index, at);
  }

  emailInvitedAt(patient: Patient): number | undefined {
    return this.emailInvitations.get(patient.index);
  }

  /** Registration ends every invitation the patient holds. */
  register(patient: Patient, now: number, email: string | null): void {
    patient.registered = true;
    patient.registeredAt = now;
    patient.registeredEmail = email;
    for (const invitation of this.invitationsFor(patient)) invitation.revokedAt ??= now;
  }

  appointmentById(id: string): Appointment | undefined {
    const index = appointmentIndexFromId(this.seed, id.toLowerCase());
    return index === undefined ? undefined : this.population.appointments[index];
  }

  appointmentIdOf(appointment: Appointment): string {
    return appointmentId(this.seed, appointment.index);
  }

  /** booked + an arrived, unactioned patient request → "pending" on the Aggregated API. [D] */
  displayStatus(
    appointment: Appointment,
    now: number,
  ): "booked" | "cancelled" | "noshow" | "pending" {
    if (
      appointment.status === "booked" &&
      appointment.requestAt !== null &&
      appointment.requestAt <= now
    ) {
      return "pending";
    }
    return appointment.status;
  }

  /** A PAS update: a new time, which also settles any pending request. */
  reschedule(
    appointment: Appointment,
    start: number,
    minutes: number | undefined,
    now: number,
  ): void {
    appointment.start = start;
    if (minutes !== undefined) appointment.minutes = minutes;
    appointment.status = "booked";
    appointment.requestAt = null;
    appointment.lastUpdated = now;
  }

  cancel(appointment: Appointment, now: number): void {
    appointment.status = "cancelled";
    appointment.requestAt = null;
    appointment.lastUpdated = now;
  }

  /**
   * Messages visible at `now` with `timestamp > after`, in (timestamp, id) order, at most `limit`.
   * Seeded ones dated later "arrive" as time passes.
   *
   * A page never ends inside a run of messages sharing one millisecond: if the message after a full
   * page has the page's last timestamp, that run is left for the next page. So the paging pkb-api.md
   * §5 describes (call again with the last `timestamp`, strictly greater) loses nothing. Only when a
   * single millisecond holds more than `limit` messages is the whole run returned in one page, since
   * any cut would lose its remainder.
   */
  messagesAfter(
    after: number,
    now: number,
    visible: (m: Message) => boolean,
    limit: number,
  ): Message[] {
    const list = this.population.messages;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as Message).timestamp <= after) lo = mid + 1;
      else hi = mid;
    }
    const page: Message[] = [];
    let i = lo;
    for (; i < list.length && page.length < limit; i++) {
      const m = list[i] as Message;
      if (m.timestamp > now) break;
      if (visible(m)) page.push(m);
    }
    const last = page[page.length - 1];
    if (page.length < limit || !last) return page;
    const sameMillisecond: Message[] = [];
    for (let j = i; j < list.length; j++) {
      const m = list[j] as Message;
      if (m.timestamp !== last.timestamp || m.timestamp > now) break;
      if (visible(m)) sameMillisecond.push(m);
    }
    if (sameMillisecond.length === 0) return page;
    let cut = page.length;
    while (cut > 0 && (page[cut - 1] as Message).timestamp === last.timestamp) cut--;
    if (cut > 0) return page.slice(0, cut);
    return [...page, ...sameMillisecond];
  }

  addMessage(input: Omit<Message, "id" | "conversationId"> & { conversationId?: string }): Message {
    const n = this.addedMessageCount++;
    const message: Message = {
      ...input,
      id: deterministicUuid(this.seed, "added-message", n),
      conversationId: input.conversationId ?? deterministicUuid(this.seed, "added-conversation", n),
    };
    const list = this.population.messages;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareMessages(list[mid] as Message, message) <= 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, message);
    this.messagesById.set(message.id, message);
    return message;
  }

  messageById(id: string): Message | undefined {
    return this.messagesById.get(id);
  }

  /** Adds a cancel/change request quoting the appointment, and marks it pending. */
  addAppointmentRequest(
    appointment: Appointment,
    kind: "cancel" | "change",
    content: string,
    at: number,
  ): Message {
    const patient = this.population.patients[appointment.patientIndex] as Patient;
    const org = this.population.organisations[appointment.orgIndex];
    const team = this.population.teams[org?.nominatedTeamIndex ?? 0];
    appointment.requestAt = at;
    return this.addMessage({
      timestamp: at,
      subject: requestSubject(kind, appointment),
      content,
      html: false,
      senderId: patient.publicId,
      patientIndex: patient.index,
      recipientIds: team ? [team.publicId] : [],
      status: "UNREAD",
    });
  }

  documentById(identifier: string): FiledDocument | undefined {
    return this.documentsById.get(identifier);
  }

  fileDocument(document: FiledDocument): void {
    this.documentsById.set(document.identifier, document);
    this.population.documents.push(document);
  }
}

export function nationalKey(kind: NationalIdKind, value: string): string {
  return `${kind}:${value}`;
}
