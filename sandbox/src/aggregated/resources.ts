import { IDENTIFIER_SYSTEMS } from "../identifiers.ts";
import { LOCATIONS, SPECIALTIES } from "../population/catalog.ts";
import { appointmentSubject, appointmentTypeOf } from "../population/generate.ts";
import type { Appointment, Organisation, Patient } from "../population/model.ts";
import type { SandboxState } from "../state.ts";

/** FHIR R4 resources as PKB's Aggregated endpoint maps them (profile aggregated-appointment). */

const PRIVACY_LABEL_SYSTEM = "http://fhir.patientsknowbest.com/codesystem/privacy-label";
const SOURCE_ORGANISATION_EXTENSION =
  "http://fhir.patientsknowbest.com/structuredefinition/source-organisation";
const AGGREGATED_APPOINTMENT_PROFILE =
  "http://fhir.patientsknowbest.com/structuredefinition/aggregated-appointment";

function meta(
  lastUpdated: number,
  organisation: Organisation | undefined,
  profile?: string,
): Record<string, unknown> {
  return {
    lastUpdated: new Date(lastUpdated).toISOString(),
    ...(profile ? { profile: [profile] } : {}),
    security: [{ system: PRIVACY_LABEL_SYSTEM, code: "GENERAL_HEALTH" }],
    ...(organisation
      ? {
          extension: [
            {
              url: SOURCE_ORGANISATION_EXTENSION,
              valueReference: { reference: `Organization/${organisation.publicId}` },
            },
          ],
        }
      : {}),
  };
}

export function patientDisplay(p: Patient): string {
  return `${p.title} ${p.given} ${p.family}`;
}

export function appointmentResource(
  state: SandboxState,
  a: Appointment,
  now: number,
): Record<string, unknown> {
  const patient = state.population.patients[a.patientIndex] as Patient;
  const clinician = state.population.clinicians[a.clinicianIndex];
  const specialty = SPECIALTIES[a.specialtyIndex];
  const type = appointmentTypeOf(a);
  return {
    resourceType: "Appointment",
    id: state.appointmentIdOf(a),
    meta: meta(
      a.lastUpdated,
      state.population.organisations[a.orgIndex],
      AGGREGATED_APPOINTMENT_PROFILE,
    ),
    status: state.displayStatus(a, now),
    serviceType: [{ coding: [{ code: type.code, display: type.display }] }],
    specialty: [{ coding: [{ code: specialty?.code, display: specialty?.display }] }],
    appointmentType: { coding: [{ display: appointmentSubject(a) }] },
    start: new Date(a.start).toISOString(),
    end: new Date(a.start + a.minutes * 60_000).toISOString(),
    minutesDuration: a.minutes,
    comment: LOCATIONS[a.locationIndex] ?? "",
    participant: [
      {
        actor: { reference: `Patient/${patient.publicId}`, display: patientDisplay(patient) },
        status: "accepted",
      },
      ...(clinician
        ? [
            {
              actor: {
                reference: `Practitioner/${clinician.publicId}`,
                display: `${clinician.title} ${clinician.given} ${clinician.family}`,
              },
              status: "accepted",
            },
          ]
        : []),
      // The clinic, as a Location participant (R4 allows it); `comment` repeats it for older readers.
      ...(LOCATIONS[a.locationIndex]
        ? [
            {
              actor: {
                reference: `Location/clinic-${a.locationIndex + 1}`,
                display: LOCATIONS[a.locationIndex],
              },
              status: "accepted",
            },
          ]
        : []),
    ],
  };
}

export function patientResource(state: SandboxState, p: Patient): Record<string, unknown> {
  const owner = state.population.organisations.find((o) => state.canOrganisationSee(o.index, p));
  return {
    resourceType: "Patient",
    id: p.publicId,
    meta: meta(p.registeredAt ?? state.population.anchor, owner),
    identifier: [
      { system: IDENTIFIER_SYSTEMS[p.idKind], value: p.nationalId },
      { system: IDENTIFIER_SYSTEMS.publicId, value: p.publicId },
    ],
    active: true,
    name: [{ use: "official", family: p.family, given: [p.given], prefix: [p.title] }],
    gender: p.gender,
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    ...(p.deceasedDate ? { deceasedDateTime: p.deceasedDate } : { deceasedBoolean: false }),
    address: [{ use: "home", postalCode: p.postalCode, country: "GB" }],
  };
}

export function organisationResource(o: Organisation): Record<string, unknown> {
  return {
    resourceType: "Organization",
    id: o.publicId,
    identifier: [{ system: "https://fhir.nhs.uk/Id/ods-organization-code", value: o.odsCode }],
    active: true,
    name: o.name,
  };
}
