import { IDENTIFIER_SYSTEMS } from "../identifiers.ts";
import type { SandboxState } from "../state.ts";
import { NEVER_ASSIGNED_NHS_NUMBERS } from "./generate.ts";
import type { Patient } from "./model.ts";

/** Categories tests and demos ask for ("give me 10 eligible patients"), judged from the trust's view. */
export const PATIENT_CATEGORIES = [
  "eligible",
  "deceased",
  "registered",
  "under-16",
  "no-date-of-birth",
  "no-access",
  "chi",
  "hc",
  "with-appointments",
  "any",
] as const;

export type PatientCategory = (typeof PATIENT_CATEGORIES)[number];

/** The categories counted and sampled for every patient. */
const COUNTED_CATEGORIES = [
  "eligible",
  "deceased",
  "registered",
  "under-16",
  "no-date-of-birth",
  "no-access",
  "chi",
  "hc",
] as const;

export function patientIdentifier(p: Patient): { system: string; value: string } {
  return { system: IDENTIFIER_SYSTEMS[p.idKind], value: p.nationalId };
}

export function matchesCategory(
  state: SandboxState,
  p: Patient,
  category: PatientCategory,
  now: number,
): boolean {
  const trust = 0;
  switch (category) {
    case "eligible":
      return state.ineligibility(p, trust, now) === undefined;
    case "deceased":
      return p.deceasedDate !== null && state.canOrganisationSee(trust, p);
    case "registered":
      return p.registered && p.deceasedDate === null && state.canOrganisationSee(trust, p);
    case "under-16":
      return (
        state.canOrganisationSee(trust, p) &&
        p.deceasedDate === null &&
        !p.registered &&
        state.isUnder16(p, now)
      );
    case "no-date-of-birth":
      return (
        p.birthDate === null &&
        state.canOrganisationSee(trust, p) &&
        p.deceasedDate === null &&
        !p.registered
      );
    case "no-access":
      return !state.canOrganisationSee(trust, p);
    case "chi":
      return p.idKind === "chi";
    case "hc":
      return p.idKind === "hc";
    case "with-appointments":
      return p.appointmentIndexes.length > 0 && state.canOrganisationSee(trust, p);
    case "any":
      return true;
  }
}

export function samplePatients(
  state: SandboxState,
  category: PatientCategory,
  limit: number,
  now: number,
  offset = 0,
): Patient[] {
  const out: Patient[] = [];
  let skipped = 0;
  for (const p of state.population.patients) {
    if (!matchesCategory(state, p, category, now)) continue;
    if (skipped++ < offset) continue;
    out.push(p);
    if (out.length >= limit) break;
  }
  return out;
}

export interface PopulationSummary {
  seed: number;
  anchor: string;
  organisations: {
    publicId: string;
    name: string;
    odsCode: string;
    nominatedTeamPublicId: string;
  }[];
  counts: Record<string, number>;
  /** A few identifiers per category (trust's view), for tests and demos. */
  samples: Record<PatientCategory, { system: string; value: string }[]> & {
    "not-found": { system: string; value: string }[];
  };
}

export function summarise(
  state: SandboxState,
  now: number,
  samplesPerCategory = 5,
): PopulationSummary {
  const pop = state.population;
  const counts: Record<string, number> = {
    patients: pop.patients.length,
    appointments: pop.appointments.length,
    messages: pop.messages.length,
    documents: pop.documents.length,
    invitations: pop.invitations.length,
  };
  const samples = {} as PopulationSummary["samples"];
  for (const category of COUNTED_CATEGORIES) {
    counts[category] = 0;
    samples[category] = [];
  }
  samples["with-appointments"] = [];
  samples.any = [];
  for (const p of pop.patients) {
    for (const category of COUNTED_CATEGORIES) {
      if (!matchesCategory(state, p, category, now)) continue;
      counts[category] = (counts[category] ?? 0) + 1;
      if (samples[category].length < samplesPerCategory) {
        samples[category].push(patientIdentifier(p));
      }
    }
  }
  samples["not-found"] = NEVER_ASSIGNED_NHS_NUMBERS.map((value) => ({
    system: IDENTIFIER_SYSTEMS.nhs,
    value,
  }));
  return {
    seed: pop.seed,
    anchor: new Date(pop.anchor).toISOString(),
    organisations: pop.organisations.map((o) => ({
      publicId: o.publicId,
      name: o.name,
      odsCode: o.odsCode,
      nominatedTeamPublicId: pop.teams[o.nominatedTeamIndex]?.publicId ?? "",
    })),
    counts,
    samples,
  };
}
