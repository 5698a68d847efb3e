import { completeWithCheckDigit, type NationalIdKind } from "../identifiers.ts";
import { createRandom, type Random } from "../random.ts";
import {
  bstBoundaries,
  formatUkDateTime,
  startOfUkDay,
  ukLocalToUtc,
  utcToUkLocal,
} from "../ukTime.ts";
import {
  APPOINTMENT_KINDS,
  APPOINTMENT_MINUTES,
  APPOINTMENT_TYPES,
  CANCEL_NOTES,
  CHANGE_NOTES,
  CLINICIAN_TITLES,
  FAMILY_NAMES,
  GIVEN_NAMES_FEMALE,
  GIVEN_NAMES_MALE,
  LOCATIONS,
  PAEDIATRICS_INDEX,
  PLAIN_MESSAGE_BODIES,
  PLAIN_MESSAGE_SUBJECTS,
  POSTCODE_AREAS,
  POSTCODE_LETTERS,
  SPECIALTIES,
} from "./catalog.ts";
import { deterministicUuid } from "./ids.ts";
import type {
  Appointment,
  AppointmentStatus,
  Clinician,
  FiledDocument,
  Invitation,
  Message,
  Organisation,
  Patient,
  Team,
} from "./model.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface PopulationOptions {
  seed: number;
  patients: number;
  /** Default: five per patient. */
  appointments?: number;
  /** The instant the population is built around ("now" for past/future). */
  anchor: number;
}

export interface Population {
  seed: number;
  anchor: number;
  organisations: Organisation[];
  teams: Team[];
  clinicians: Clinician[];
  patients: Patient[];
  appointments: Appointment[];
  /** Sorted by (timestamp, id). */
  messages: Message[];
  documents: FiledDocument[];
  invitations: Invitation[];
}

/** Demo logins. Documented in sandbox/README.md and printed by the CLI. */
export const DEMO_CLINICIAN = { username: "clinician@sandbox.test", password: "sandbox-clinician" };
export const OTHER_ORG_CLINICIAN = {
  username: "northgate.clinician@sandbox.test",
  password: "sandbox-clinician",
};

/** Numbers the population never assigns, so tests can rely on "Not found". */
export const NEVER_ASSIGNED_NHS_NUMBERS: readonly string[] = ["4000000004", "6123456784"];

/** Well-known valid numbers from pkb-api.md, seeded as ordinary eligible patients of the trust. */
const FIXTURE_PATIENTS: readonly {
  idKind: NationalIdKind;
  nationalId: string;
  given: string;
  family: string;
  gender: "male" | "female";
  birthDate: string;
  postalCode: string;
}[] = [
  {
    idKind: "nhs",
    nationalId: "5760678914",
    given: "Read",
    family: "Richards",
    gender: "male",
    birthDate: "2000-09-15",
    postalCode: "NE1 1XC",
  },
  {
    idKind: "nhs",
    nationalId: "9434765919",
    given: "Amelia",
    family: "Hart",
    gender: "female",
    birthDate: "1975-03-14",
    postalCode: "LS6 2QB",
  },
  {
    idKind: "nhs",
    nationalId: "9999999999",
    given: "Oliver",
    family: "Test",
    gender: "male",
    birthDate: "1988-07-01",
    postalCode: "M14 5TR",
  },
  {
    idKind: "chi",
    nationalId: "0101011237",
    given: "Eilidh",
    family: "Fraser",
    gender: "female",
    birthDate: "2001-01-01",
    postalCode: "EH3 9DR",
  },
  {
    idKind: "hc",
    nationalId: "3200000015",
    given: "Ciaran",
    family: "Quinn",
    gender: "male",
    birthDate: "1969-11-30",
    postalCode: "BT7 1NN",
  },
];

const POSTCODE_INWARD_LETTERS = [...POSTCODE_LETTERS];
const two = (n: number): string => String(n).padStart(2, "0");
const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function generateOrganisations(seed: number): { organisations: Organisation[]; teams: Team[] } {
  const specs = [
    { name: "Riverside University Hospitals NHS Foundation Trust", odsCode: "ZZR" },
    { name: "Northgate Community Health NHS Trust", odsCode: "ZZN" },
    { name: "Lochside Health Board", odsCode: "ZZL" },
  ];
  const organisations: Organisation[] = [];
  const teams: Team[] = [];
  specs.forEach((spec, orgIndex) => {
    const nominated: Team = {
      index: teams.length,
      publicId: deterministicUuid(seed, "team", teams.length),
      name: "Appointments team",
      orgIndex,
    };
    teams.push(nominated);
    teams.push({
      index: teams.length,
      publicId: deterministicUuid(seed, "team", teams.length),
      name: "Patient enquiries",
      orgIndex,
    });
    organisations.push({
      index: orgIndex,
      publicId: deterministicUuid(seed, "organisation", orgIndex),
      name: spec.name,
      odsCode: spec.odsCode,
      nominatedTeamIndex: nominated.index,
    });
  });
  return { organisations, teams };
}

function generateClinicians(
  seed: number,
  random: Random,
  organisations: Organisation[],
): Clinician[] {
  const clinicians: Clinician[] = [];
  const add = (
    orgIndex: number,
    login?: Clinician["login"],
    given?: string,
    family?: string,
  ): void => {
    const index = clinicians.length;
    const female = random.chance(0.5);
    clinicians.push({
      index,
      publicId: deterministicUuid(seed, "clinician", index),
      pkbId: 2_000_000 + index,
      title: random.pick(CLINICIAN_TITLES),
      given: given ?? random.pick(female ? GIVEN_NAMES_FEMALE : GIVEN_NAMES_MALE),
      family: family ?? random.pick(FAMILY_NAMES),
      orgIndex,
      teamIndexes: login ? [organisations[orgIndex]?.nominatedTeamIndex ?? 0] : [],
      ...(login ? { login } : {}),
    });
  };
  add(0, { ...DEMO_CLINICIAN, scopes: ["CLINICIAN", "TEAMCOORD"] }, "Priya", "Demo");
  add(1, { ...OTHER_ORG_CLINICIAN, scopes: ["CLINICIAN"] }, "Sean", "Northgate");
  for (const org of organisations) for (let i = 0; i < 12; i++) add(org.index);
  return clinicians;
}

function nationalNumber(
  random: Random,
  kind: NationalIdKind,
  birthDate: string | null,
  used: Set<string>,
): string {
  for (;;) {
    let firstNine: string;
    switch (kind) {
      case "nhs":
        // 9xx xxx xxxx is never issued in England or Wales, so no real person can be hit.
        firstNine = "9" + String(random.int(0, 99_999_999)).padStart(8, "0");
        break;
      case "chi": {
        const dob =
          birthDate ??
          `19${two(random.int(30, 99))}-${two(random.int(1, 12))}-${two(random.int(1, 28))}`;
        firstNine =
          dob.slice(8, 10) +
          dob.slice(5, 7) +
          dob.slice(2, 4) +
          String(random.int(0, 999)).padStart(3, "0");
        break;
      }
      case "hc":
        firstNine = String(random.int(320_000_001, 399_999_999));
        break;
    }
    const complete = completeWithCheckDigit(firstNine);
    if (complete === undefined || used.has(complete)) continue;
    used.add(complete);
    return complete;
  }
}

function generatePatients(seed: number, random: Random, count: number, anchor: number): Patient[] {
  const used = new Set<string>([
    ...NEVER_ASSIGNED_NHS_NUMBERS,
    ...FIXTURE_PATIENTS.map((f) => f.nationalId),
  ]);
  const patients: Patient[] = new Array<Patient>(count);
  for (let index = 0; index < count; index++) {
    const fixture = FIXTURE_PATIENTS[index];
    const gender: "male" | "female" = fixture?.gender ?? (random.chance(0.52) ? "female" : "male");
    const given =
      fixture?.given ?? random.pick(gender === "female" ? GIVEN_NAMES_FEMALE : GIVEN_NAMES_MALE);
    const family = fixture?.family ?? random.pick(FAMILY_NAMES);
    const under16 = !fixture && random.chance(0.15);
    const ageYears = under16 ? random.int(0, 15) : random.int(16, 95);
    const bornMs = anchor - ageYears * 365.25 * DAY - random.int(1, 360) * DAY;
    const missingDob = !fixture && random.chance(0.02);
    const birthDate = fixture?.birthDate ?? (missingDob ? null : isoDate(bornMs));
    const kindRoll = random.next();
    const idKind: NationalIdKind =
      fixture?.idKind ?? (kindRoll < 0.9 ? "nhs" : kindRoll < 0.96 ? "chi" : "hc");
    const nationalId = fixture?.nationalId ?? nationalNumber(random, idKind, birthDate, used);
    const deceased = !fixture && random.chance(0.01);
    const registered = !fixture && random.chance(0.25);
    const noAccess = !fixture && random.chance(0.04);
    const sharedWithLochside = !noAccess && random.chance(0.1);
    const hasMobile = fixture ? true : random.chance(0.8);
    const hasEmail = fixture ? true : random.chance(0.7);
    const emailNumber = random.int(1, 999);
    const inward = `${random.int(1, 9)}${random.pick(POSTCODE_INWARD_LETTERS)}${random.pick(POSTCODE_INWARD_LETTERS)}`;
    const postalCode = fixture?.postalCode ?? `${random.pick(POSTCODE_AREAS)} ${inward}`;
    const deceasedDate = deceased
      ? isoDate(Math.max(anchor - random.int(5, 1000) * DAY, bornMs + DAY))
      : null;
    const mobileDigits = String(random.int(0, 999)).padStart(3, "0");
    const registeredAt = registered ? anchor - random.int(1, 900) * DAY : null;
    patients[index] = {
      index,
      pkbId: 3_000_000 + index * 7 + random.int(0, 6),
      publicId: deterministicUuid(seed, "patient", index),
      idKind,
      nationalId,
      title:
        gender === "female"
          ? ageYears < 18
            ? "Miss"
            : random.pick(["Mrs", "Ms", "Miss"])
          : ageYears < 18
            ? "Master"
            : "Mr",
      given,
      family,
      gender,
      birthDate,
      deceasedDate,
      registered,
      registeredAt,
      registeredEmail: registered
        ? `${given}.${family}.${emailNumber}@example.com`.toLowerCase().replace(/'/g, "")
        : null,
      postalCode,
      // Ofcom's drama range: 07700 900000–900999 can never reach a real phone.
      mobile: hasMobile ? `07700 900${mobileDigits}` : null,
      email: hasEmail
        ? `${given}.${family}${emailNumber}@example.com`.toLowerCase().replace(/'/g, "")
        : null,
      orgMask: noAccess ? 0b010 : sharedWithLochside ? 0b101 : 0b001,
      appointmentIndexes: [],
    };
  }
  return patients;
}

/** The UK local days next to each clock change within the window, where subjects and FHIR differ by an hour. */
function clockChangeDays(anchor: number, fromDay: number, toDay: number): number[] {
  const days: number[] = [];
  const firstYear = new Date(anchor + fromDay * DAY).getUTCFullYear();
  const lastYear = new Date(anchor + toDay * DAY).getUTCFullYear();
  for (let year = firstYear; year <= lastYear; year++) {
    const { starts, ends } = bstBoundaries(year);
    for (const change of [starts, ends]) {
      for (const offsetDays of [-2, -1, 1, 2]) {
        const dayStart = startOfUkDay(change + offsetDays * DAY);
        const relativeDays = Math.round((dayStart - startOfUkDay(anchor)) / DAY);
        if (relativeDays >= fromDay && relativeDays <= toDay) days.push(relativeDays);
      }
    }
  }
  return days;
}

function localSlot(dayStartUtc: number, slot: number): number {
  // Clinic slots 08:00–17:30 UK local time, every 15 minutes.
  const p = utcToUkLocal(dayStartUtc + 12 * HOUR);
  const minutes = 8 * 60 + slot * 15;
  return ukLocalToUtc(p.year, p.monthIndex, p.day, Math.floor(minutes / 60), minutes % 60);
}

function generateAppointments(
  random: Random,
  count: number,
  anchor: number,
  patients: Patient[],
  clinicians: Clinician[],
): Appointment[] {
  const appointments: Appointment[] = [];
  if (patients.length === 0) return appointments;
  const today = startOfUkDay(anchor);
  const edgeDays = clockChangeDays(anchor, -180, 180);
  const cliniciansByOrg = new Map<number, number[]>();
  for (const c of clinicians) {
    if (c.login) continue;
    const list = cliniciansByOrg.get(c.orgIndex) ?? [];
    list.push(c.index);
    cliniciansByOrg.set(c.orgIndex, list);
  }
  const patientAge = (p: Patient): number =>
    p.birthDate ? (anchor - Date.parse(p.birthDate)) / (365.25 * DAY) : 50;

  const push = (patient: Patient, start: number, specialtyIndex: number): void => {
    const index = appointments.length;
    const orgIndex =
      patient.orgMask & 0b001 ? (patient.orgMask & 0b100 && random.chance(0.2) ? 2 : 0) : 1;
    const past = start < anchor;
    const roll = random.next();
    const status: AppointmentStatus = past
      ? roll < 0.8
        ? "booked"
        : roll < 0.92
          ? "cancelled"
          : "noshow"
      : roll < 0.9
        ? "booked"
        : "cancelled";
    appointments.push({
      index,
      patientIndex: patient.index,
      orgIndex,
      specialtyIndex,
      kindIndex: random.int(0, APPOINTMENT_KINDS.length - 1),
      typeIndex: random.chance(0.85) ? 0 : 1,
      clinicianIndex: random.pick(cliniciansByOrg.get(orgIndex) ?? [0]),
      locationIndex: random.int(0, LOCATIONS.length - 1),
      start,
      minutes: random.pick(APPOINTMENT_MINUTES),
      status,
      requestAt: null,
      lastUpdated: Math.min(start - random.int(1, 60) * DAY, anchor - random.int(0, 30) * DAY),
    });
    patient.appointmentIndexes.push(index);
  };

  while (appointments.length < count) {
    const patient = patients[random.int(0, patients.length - 1)] as Patient;
    const dayOffset =
      edgeDays.length > 0 && random.chance(0.02) ? random.pick(edgeDays) : random.int(-180, 180);
    const dayStart = startOfUkDay(today + dayOffset * DAY + 12 * HOUR);
    const slot = random.int(0, 38);
    const start = localSlot(dayStart, slot);
    const specialtyIndex =
      patientAge(patient) < 16 && random.chance(0.5)
        ? PAEDIATRICS_INDEX
        : random.int(0, SPECIALTIES.length - 1);
    push(patient, start, specialtyIndex);
    if (appointments.length < count && random.chance(0.03)) {
      // Two appointments on one day: a different time, or (rarely) the very same time.
      const sameTime = random.chance(0.2);
      const otherSlot = sameTime ? slot : (slot + random.int(2, 12)) % 39;
      push(patient, localSlot(dayStart, otherSlot), random.int(0, SPECIALTIES.length - 1));
    }
  }
  return appointments;
}

export function appointmentSubject(appointment: Appointment): string {
  const specialty = SPECIALTIES[appointment.specialtyIndex]?.display ?? "Outpatients";
  return `${specialty} ${APPOINTMENT_KINDS[appointment.kindIndex] ?? "clinic"}`;
}

export function appointmentTypeOf(appointment: Appointment): { code: string; display: string } {
  return APPOINTMENT_TYPES[appointment.typeIndex] ?? { code: "OUTPATIENT", display: "Outpatient" };
}

/** The subject PKB gives a patient's cancel/change request (pkb-api.md §5). */
export function requestSubject(kind: "cancel" | "change", appointment: Appointment): string {
  return `Request to ${kind} appointment: ${formatUkDateTime(appointment.start)} ${appointmentSubject(appointment)}`;
}

/** Real traffic varies the wording; the portal must tolerate these. */
function variantRequestSubject(
  random: Random,
  kind: "cancel" | "change",
  quotedStart: number,
  subject: string,
): string {
  const when = formatUkDateTime(quotedStart);
  switch (random.int(0, 4)) {
    case 0:
      return `Re: Request to ${kind} appointment: ${when} ${subject}`;
    case 1:
      return `Request to ${kind[0]?.toUpperCase()}${kind.slice(1)} Appointment: ${when} ${subject}`;
    case 2:
      return `Request to ${kind} appointment:  ${when}  ${subject} `;
    case 3:
      return `request to ${kind} appointment: ${when} ${subject}`;
    default:
      return `Request to ${kind} appointment - ${when} ${subject}`;
  }
}

function generateMessages(
  seed: number,
  random: Random,
  anchor: number,
  population: Pick<
    Population,
    "patients" | "appointments" | "organisations" | "teams" | "clinicians"
  >,
): Message[] {
  const messages: Message[] = [];
  const { patients, appointments, organisations, teams, clinicians } = population;
  const teamOf = (orgIndex: number): Team =>
    teams[organisations[orgIndex]?.nominatedTeamIndex ?? 0] as Team;
  const add = (
    m: Omit<Message, "id" | "conversationId"> & { conversationId?: string },
  ): Message => {
    const n = messages.length;
    const message: Message = {
      ...m,
      id: deterministicUuid(seed, "message", n),
      conversationId: m.conversationId ?? deterministicUuid(seed, "conversation", n),
    };
    messages.push(message);
    return message;
  };
  const earliest = anchor - 90 * DAY;
  const latestScheduled = anchor + 7 * DAY;

  for (const appointment of appointments) {
    if (appointment.status !== "booked" || !random.chance(0.12)) continue;
    const patient = patients[appointment.patientIndex] as Patient;
    // Patients can ask until 72 hours before the start.
    const windowEnd = Math.min(appointment.start - 72 * HOUR, latestScheduled);
    const windowStart = Math.max(appointment.start - 45 * DAY, earliest);
    if (windowEnd <= windowStart) continue;
    const timestamp = windowStart + Math.floor(random.next() * (windowEnd - windowStart));
    const kind: "cancel" | "change" = random.chance(0.6) ? "cancel" : "change";
    const noMatch = random.chance(0.02);
    const quotedStart = noMatch
      ? appointment.start + random.pick([DAY, -DAY, HOUR])
      : appointment.start;
    const subject = random.chance(0.1)
      ? variantRequestSubject(random, kind, quotedStart, appointmentSubject(appointment))
      : `Request to ${kind} appointment: ${formatUkDateTime(quotedStart)} ${appointmentSubject(appointment)}`;
    add({
      timestamp,
      subject,
      content: random.pick(kind === "cancel" ? CANCEL_NOTES : CHANGE_NOTES),
      html: false,
      senderId: patient.publicId,
      patientIndex: patient.index,
      recipientIds: [teamOf(appointment.orgIndex).publicId],
      status: timestamp <= anchor && random.chance(0.3) ? "READ" : "UNREAD",
    });
    if (timestamp < anchor && appointment.start < anchor) {
      // The trust acted on requests for past appointments long ago.
      if (kind === "cancel") appointment.status = "cancelled";
    } else if (!noMatch) {
      appointment.requestAt = timestamp;
    }
  }

  // Ordinary conversation: counted by the portal, never turned into requests.
  const requestCount = messages.length;
  const plainCount = Math.max(3, Math.round(requestCount * 0.35));
  for (let i = 0; i < plainCount && patients.length > 0; i++) {
    const patient = patients[random.int(0, patients.length - 1)] as Patient;
    const orgIndex = patient.orgMask & 0b001 ? 0 : 1;
    const timestamp = earliest + Math.floor(random.next() * (latestScheduled - earliest));
    const sent = add({
      timestamp,
      subject: random.pick(PLAIN_MESSAGE_SUBJECTS),
      content: random.pick(PLAIN_MESSAGE_BODIES),
      html: false,
      senderId: patient.publicId,
      patientIndex: patient.index,
      recipientIds: [teamOf(orgIndex).publicId],
      status: random.chance(0.5) ? "READ" : "UNREAD",
    });
    if (random.chance(0.15)) {
      const clinician = clinicians.find((c) => c.orgIndex === orgIndex && c.login) ?? clinicians[0];
      add({
        conversationId: sent.conversationId,
        timestamp: timestamp + random.int(1, 48) * HOUR,
        subject: `Re: ${sent.subject}`,
        content: "Thank you for your message. We will be in touch.",
        html: random.chance(0.3),
        senderId: clinician?.publicId ?? "",
        patientIndex: patient.index,
        recipientIds: [patient.publicId],
        status: "SENT",
      });
    }
  }

  // Ties: several messages in the same millisecond, so paging by timestamp must dedupe by id.
  for (let i = requestCount + 1; i < messages.length; i += 7) {
    const previous = messages[i - 1] as Message;
    (messages[i] as Message).timestamp = previous.timestamp;
  }
  messages.sort(compareMessages);
  return messages;
}

export function compareMessages(a: Message, b: Message): number {
  return a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function generateDocuments(
  seed: number,
  random: Random,
  anchor: number,
  patients: Patient[],
): FiledDocument[] {
  const documents: FiledDocument[] = [];
  for (const patient of patients) {
    // Most letters come from the trust; some from the other organisations, so that read receipts
    // can be seen to be scoped to the organisation that sent the document.
    const orgIndex =
      patient.orgMask & 0b001 ? (patient.orgMask & 0b100 && random.chance(0.3) ? 2 : 0) : 1;
    if (!random.chance(orgIndex === 0 ? 0.05 : 0.3)) continue;
    const createdAt = anchor - random.int(1, 60) * DAY - random.int(0, 23) * HOUR;
    const read = patient.registered && random.chance(0.6);
    documents.push({
      identifier: deterministicUuid(seed, "document", documents.length),
      orgIndex,
      patientIndex: patient.index,
      title: random.pick([
        "Clinic letter",
        "Discharge summary",
        "Appointment letter",
        "Results letter",
      ]),
      createdAt,
      readAt: read ? createdAt + random.int(1, 96) * HOUR : null,
    });
  }
  return documents;
}

export function generatePopulation(options: PopulationOptions): Population {
  const { seed, anchor } = options;
  const root = createRandom(seed);
  const { organisations, teams } = generateOrganisations(seed);
  const clinicians = generateClinicians(seed, root.fork("clinicians"), organisations);
  const patients = generatePatients(
    seed,
    root.fork("patients"),
    Math.max(0, options.patients),
    anchor,
  );
  const appointments = generateAppointments(
    root.fork("appointments"),
    Math.max(0, options.appointments ?? options.patients * 5),
    anchor,
    patients,
    clinicians,
  );
  const messages = generateMessages(seed, root.fork("messages"), anchor, {
    patients,
    appointments,
    organisations,
    teams,
    clinicians,
  });
  const documents = generateDocuments(seed, root.fork("documents"), anchor, patients);
  return {
    seed,
    anchor,
    organisations,
    teams,
    clinicians,
    patients,
    appointments,
    messages,
    documents,
    invitations: [],
  };
}

export { DAY, HOUR };
