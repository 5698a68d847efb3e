import type { Appointment as FhirAppointment } from "@medplum/fhirtypes";
import { z } from "zod";
import { joinUrl, type PkbEndpoints } from "./endpoints.ts";
import { PkbApiError } from "./errors.ts";
import { sharedPkbHttp, type CallMeta, type PkbHttp } from "./http.server.ts";
import { followNextLinks } from "./pagination.ts";
import type { AccessTokenSource } from "./token-source.ts";

/**
 * PKB's Aggregated FHIR R4 API (pkb-api.md §6), read-only, with the Aggregated (Keycloak) token.
 * Appointment searches page by `next` links followed exactly as returned, on the configured origin.
 */

/** PKB's documented maximum page size [C]. */
export const AGGREGATED_MAX_COUNT = 10;

export interface AggregatedAppointment {
  id: string;
  /** `booked | cancelled | noshow`, and `pending` while a patient's request is unactioned. */
  status: string;
  /** ISO-8601 instants (UTC). */
  start?: string;
  end?: string;
  /** NHS main specialty, e.g. `{code: "320", display: "Cardiology"}`. */
  specialty?: { code?: string; display?: string };
  serviceType?: { code?: string; display?: string };
  /** The appointment's subject as the patient's message quotes it. */
  appointmentType?: string;
  /** Clinic or location: a Location participant's display when PKB sends one. */
  location?: string;
  comment?: string;
  /** The patient as asked for in the search. */
  patientIdentifier: { system: string; value: string };
  /** The patient participant's reference (`Patient/{publicId}`), when present. */
  patientReference?: string;
}

export interface AppointmentSearchOptions {
  /** e.g. `["pending"]`, or several (sent as a comma list). */
  status?: readonly string[];
  /** FHIR date criteria, e.g. `["ge2026-05-14", "lt2026-05-15"]`. */
  date?: readonly string[];
  /** Page size, at most 10. */
  count?: number;
  /** Most pages to read. Default 100 (1 000 appointments). */
  maxPages?: number;
}

export interface AppointmentSearchResult {
  appointments: AggregatedAppointment[];
  /** `Bundle.total` of the first page, when PKB sends it. */
  total?: number;
  pages: number;
  /** Entries that were not readable Appointments, counted and left out. */
  unreadable: number;
  meta: CallMeta;
}

export interface AggregatedClientConfig {
  endpoints: Pick<PkbEndpoints, "aggregatedBaseUrl">;
  /** The Aggregated client's token (see `aggregatedTokenSource`); Facade tokens do not work here. */
  token: AccessTokenSource;
  http?: PkbHttp;
}

export interface AggregatedClient {
  searchAppointments(
    patient: { system: string; value: string },
    options?: AppointmentSearchOptions,
  ): Promise<AppointmentSearchResult>;
}

const codingSchema = z.object({ code: z.string().optional(), display: z.string().optional() });
const conceptSchema = z.object({
  coding: z.array(codingSchema).optional(),
  text: z.string().optional(),
});
const instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not a date-time");
const appointmentSchema = z.object({
  resourceType: z.literal("Appointment"),
  id: z.string().min(1),
  status: z.string(),
  start: instant.optional(),
  end: instant.optional(),
  specialty: z.array(conceptSchema).optional(),
  serviceType: z.array(conceptSchema).optional(),
  appointmentType: conceptSchema.optional(),
  comment: z.string().optional(),
  participant: z
    .array(
      z.object({
        actor: z
          .object({ reference: z.string().optional(), display: z.string().optional() })
          .optional(),
      }),
    )
    .optional(),
});
const bundleSchema = z.object({
  resourceType: z.literal("Bundle"),
  total: z.number().int().nonnegative().optional(),
  link: z.array(z.object({ relation: z.string(), url: z.string() })).optional(),
  entry: z.array(z.object({ resource: z.unknown().optional() })).optional(),
});

function firstCoding(concept: z.infer<typeof conceptSchema> | undefined) {
  const coding = concept?.coding?.[0];
  if (!coding) return undefined;
  return {
    ...(coding.code !== undefined ? { code: coding.code } : {}),
    ...(coding.display !== undefined ? { display: coding.display } : {}),
  };
}

/** The plain shape the rest of the portal uses; FHIR stays inside this module. */
export function toAggregatedAppointment(
  resource: FhirAppointment | z.infer<typeof appointmentSchema>,
  patientIdentifier: { system: string; value: string },
): AggregatedAppointment {
  const parsed = appointmentSchema.parse(resource);
  const actors = (parsed.participant ?? []).map((p) => p.actor).filter((a) => a !== undefined);
  const location = actors.find((a) => a.reference?.startsWith("Location/"))?.display;
  const patientReference = actors.find((a) => a.reference?.startsWith("Patient/"))?.reference;
  const specialty = firstCoding(parsed.specialty?.[0]);
  const serviceType = firstCoding(parsed.serviceType?.[0]);
  const appointmentType =
    parsed.appointmentType?.coding?.[0]?.display ?? parsed.appointmentType?.text;
  return {
    id: parsed.id,
    status: parsed.status,
    ...(parsed.start !== undefined ? { start: new Date(parsed.start).toISOString() } : {}),
    ...(parsed.end !== undefined ? { end: new Date(parsed.end).toISOString() } : {}),
    ...(specialty ? { specialty } : {}),
    ...(serviceType ? { serviceType } : {}),
    ...(appointmentType !== undefined ? { appointmentType } : {}),
    ...(location !== undefined ? { location } : {}),
    ...(parsed.comment !== undefined ? { comment: parsed.comment } : {}),
    patientIdentifier,
    ...(patientReference !== undefined ? { patientReference } : {}),
  };
}

export function aggregatedClient(config: AggregatedClientConfig): AggregatedClient {
  const http = config.http ?? sharedPkbHttp();
  const baseUrl = config.endpoints.aggregatedBaseUrl;

  return {
    async searchAppointments(patient, options = {}) {
      const count = Math.min(options.count ?? AGGREGATED_MAX_COUNT, AGGREGATED_MAX_COUNT);
      if (count < 1) throw new RangeError("searchAppointments: count must be at least 1");
      const query = new URLSearchParams();
      query.set("actor:Patient.identifier", `${patient.system}|${patient.value}`);
      if (options.status?.length) query.set("status", options.status.join(","));
      for (const criterion of options.date ?? []) query.append("date", criterion);
      query.set("_count", String(count));
      const appointments: AggregatedAppointment[] = [];
      const seenIds = new Set<string>();
      let total: number | undefined;
      let unreadable = 0;
      let attempts = 0;
      let outcomeUnknown = false;
      let pages = 0;
      const endpoint = "appointment-search";
      for await (const bundle of followNextLinks({
        surface: "aggregated",
        endpoint,
        baseUrl,
        firstUrl: `${joinUrl(baseUrl, "Appointment")}?${query.toString()}`,
        maxPages: options.maxPages ?? 100,
        fetchPage: async (url) => {
          const { json, status, meta } = await http.sendJson({
            surface: "aggregated",
            endpoint,
            method: "GET",
            url,
            headers: { accept: "application/fhir+json" },
            token: config.token,
          });
          attempts += meta.attempts;
          outcomeUnknown ||= meta.outcomeUnknown;
          const parsed = bundleSchema.safeParse(json);
          if (!parsed.success) {
            throw new PkbApiError({
              surface: "aggregated",
              endpoint,
              kind: "invalid-response",
              status,
              detail: "the answer is not a FHIR Bundle",
              retryable: false,
            });
          }
          return {
            page: parsed.data,
            next: parsed.data.link?.find((link) => link.relation === "next")?.url,
          };
        },
      })) {
        pages++;
        total ??= bundle.total;
        for (const entry of bundle.entry ?? []) {
          const resource = appointmentSchema.safeParse(entry.resource);
          if (!resource.success) {
            unreadable++;
            continue;
          }
          // Paging over a changing list could repeat an appointment: keep the first.
          if (seenIds.has(resource.data.id)) continue;
          seenIds.add(resource.data.id);
          appointments.push(toAggregatedAppointment(resource.data, patient));
        }
      }
      return {
        appointments,
        ...(total !== undefined ? { total } : {}),
        pages,
        unreadable,
        meta: { attempts, outcomeUnknown },
      };
    },
  };
}
