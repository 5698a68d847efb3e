import type { NationalIdKind } from "../identifiers.ts";

/** The in-memory records of the sandbox's PKB. Indexes are positions in the population arrays. */

export interface Organisation {
  index: number;
  publicId: string;
  name: string;
  odsCode: string;
  /** The team PKB sends every appointment message to (appointment management's "nominated team"). */
  nominatedTeamIndex: number;
}

export interface Team {
  index: number;
  publicId: string;
  name: string;
  orgIndex: number;
}

export type UserScope = "PATIENT" | "CLINICIAN" | "TEAMCOORD";

export interface Clinician {
  index: number;
  publicId: string;
  pkbId: number;
  title: string;
  given: string;
  family: string;
  orgIndex: number;
  teamIndexes: number[];
  /** Only clinicians with a login can grant access on the consent page. */
  login?: { username: string; password: string; scopes: UserScope[] };
}

export interface Patient {
  index: number;
  pkbId: number;
  publicId: string;
  idKind: NationalIdKind;
  nationalId: string;
  title: string;
  given: string;
  family: string;
  gender: "male" | "female";
  /** YYYY-MM-DD, or null: some records have no date of birth and cannot be invited. */
  birthDate: string | null;
  deceasedDate: string | null;
  registered: boolean;
  registeredAt: number | null;
  registeredEmail: string | null;
  postalCode: string;
  mobile: string | null;
  email: string | null;
  /** Bit i set: organisation i may see the record. Others get "No access". */
  orgMask: number;
  appointmentIndexes: number[];
}

export type AppointmentStatus = "booked" | "cancelled" | "noshow";

export interface Appointment {
  index: number;
  patientIndex: number;
  orgIndex: number;
  specialtyIndex: number;
  kindIndex: number;
  typeIndex: number;
  clinicianIndex: number;
  locationIndex: number;
  start: number;
  minutes: number;
  status: AppointmentStatus;
  /** When the patient's unactioned cancel/change request arrives (ms); null when none. */
  requestAt: number | null;
  lastUpdated: number;
}

export type MessageStatus = "UNREAD" | "READ" | "SENT" | "DRAFT";

export interface Message {
  id: string;
  conversationId: string;
  timestamp: number;
  subject: string;
  content: string;
  html: boolean;
  senderId: string;
  patientIndex: number;
  recipientIds: string[];
  status: MessageStatus;
}

export interface FiledDocument {
  /** TXA-12.1 of the MDM^T02 that delivered it. */
  identifier: string;
  orgIndex: number;
  patientIndex: number;
  title: string;
  createdAt: number;
  readAt: number | null;
}

export interface Invitation {
  /** "Invitation Code" — Join URL t1. */
  code: string;
  /** "Access Code" — Join URL t2. */
  token: string;
  patientIndex: number;
  orgIndex: number;
  issuedAt: number;
  expiresAt: number;
  /** Set when the patient registered with it (or with another pair): it no longer works. */
  revokedAt: number | null;
}
