import { randomBytes, randomUUID } from "node:crypto";
import { requireAggregatedCaller, type Route, type SandboxApp } from "../app.ts";
import type { RequestContext } from "../http/context.ts";
import { fhir, fhirError, type Reply } from "../http/reply.ts";
import { IDENTIFIER_SYSTEMS, nationalKindForSystem } from "../identifiers.ts";
import type { Appointment, Patient } from "../population/model.ts";
import { appointmentResource, organisationResource, patientResource } from "./resources.ts";
import {
  matchesDate,
  parseDateCriterion,
  R4_APPOINTMENT_STATUSES,
  type DateCriterion,
} from "./search.ts";

/** PKB's documented maximum page size. Larger requests are clamped, not refused. [C max, D clamp] */
export const MAX_PAGE_SIZE = 10;
const CURSOR_LIFETIME_MS = 15 * 60_000;
const MAX_CURSORS = 50_000;

/** Parameters the search accepts; anything else is ignored, as FHIR's lenient handling allows. */
const IGNORED_PARAMETERS = new Set(["_format", "_total", "_pretty", "_summary"]);

interface SearchSnapshot {
  clientId: string;
  /** Matching resources at the time of the first page: later pages never shift under the client. */
  indexes: number[];
  kind: "Appointment" | "Patient";
  count: number;
  expiresAt: number;
}

interface Cursor {
  snapshot: SearchSnapshot;
  offset: number;
}

export function aggregatedRoutes(app: SandboxApp): Route[] {
  const { state, clock } = app;
  const cursors = new Map<string, Cursor>();

  const newCursor = (snapshot: SearchSnapshot, offset: number): string => {
    const token = randomBytes(18).toString("base64url");
    cursors.set(token, { snapshot, offset });
    if (cursors.size > MAX_CURSORS) {
      const oldest = cursors.keys().next().value;
      if (oldest !== undefined) cursors.delete(oldest);
    }
    return token;
  };

  const resolvePatient = (
    raw: string | null,
    parameter: string,
    orgIndexes: Set<number>,
  ): Patient | null => {
    if (raw === null || raw === "") {
      throw fhirError(400, "required", `The ${parameter} search parameter is mandatory.`);
    }
    const bar = raw.indexOf("|");
    if (bar <= 0) throw fhirError(400, "invalid", `${parameter} must be system|value.`);
    const system = raw.slice(0, bar);
    const value = raw.slice(bar + 1);
    let patient: Patient | undefined;
    if (system === IDENTIFIER_SYSTEMS.publicId) patient = state.patientByPublicId(value);
    else {
      const kind = nationalKindForSystem(system);
      if (!kind) {
        throw fhirError(400, "not-supported", `Unsupported identifier system '${system}'.`);
      }
      patient = state.patientByNationalId(kind, value);
    }
    if (!patient || ![...orgIndexes].some((o) => state.canOrganisationSee(o, patient))) return null;
    return patient;
  };

  const parseCount = (raw: string | null): number => {
    if (raw === null) return MAX_PAGE_SIZE;
    if (!/^\d+$/.test(raw)) {
      throw fhirError(400, "invalid", "_count must be a non-negative integer.");
    }
    return Math.min(Number(raw), MAX_PAGE_SIZE);
  };

  const bundle = (
    ctx: RequestContext,
    snapshot: SearchSnapshot,
    offset: number,
    selfUrl: string,
  ): Reply => {
    const now = clock.now();
    const slice = snapshot.indexes.slice(offset, offset + snapshot.count);
    const base = `${ctx.baseUrl}/aggregated/fhir`;
    const link: { relation: string; url: string }[] = [{ relation: "self", url: selfUrl }];
    if (snapshot.count > 0 && offset + snapshot.count < snapshot.indexes.length) {
      link.push({
        relation: "next",
        url: `${base}/${snapshot.kind}?_page=${newCursor(snapshot, offset + snapshot.count)}`,
      });
    }
    const entry = slice.map((index) => {
      const resource =
        snapshot.kind === "Appointment"
          ? appointmentResource(state, state.population.appointments[index] as Appointment, now)
          : patientResource(state, state.population.patients[index] as Patient);
      return {
        fullUrl: `${base}/${snapshot.kind}/${String(resource.id)}`,
        resource,
        search: { mode: "match" },
      };
    });
    return fhir(200, {
      resourceType: "Bundle",
      id: randomUUID(),
      meta: { lastUpdated: new Date(now).toISOString() },
      type: "searchset",
      total: snapshot.indexes.length,
      link,
      ...(entry.length > 0 ? { entry } : {}),
    });
  };

  /** A `_page` link must be followed exactly as returned: no added or changed parameters. */
  const followCursor = (
    ctx: RequestContext,
    kind: SearchSnapshot["kind"],
    clientId: string,
  ): Reply => {
    const params = [...ctx.url.searchParams.keys()].filter((k) => !IGNORED_PARAMETERS.has(k));
    if (params.some((k) => k !== "_page")) {
      throw fhirError(
        400,
        "invalid",
        "Follow the next link exactly as returned; do not add parameters to it.",
      );
    }
    const token = ctx.url.searchParams.get("_page") ?? "";
    const cursor = cursors.get(token);
    if (!cursor || cursor.snapshot.kind !== kind || cursor.snapshot.clientId !== clientId) {
      throw fhirError(
        410,
        "not-found",
        "The page link is unknown or has expired; run the search again.",
      );
    }
    if (cursor.snapshot.expiresAt <= clock.now()) {
      cursors.delete(token);
      throw fhirError(410, "not-found", "The page link has expired; run the search again.");
    }
    return bundle(
      ctx,
      cursor.snapshot,
      cursor.offset,
      `${ctx.baseUrl}${ctx.url.pathname}${ctx.url.search}`,
    );
  };

  const searchAppointments = (ctx: RequestContext): Reply => {
    const caller = requireAggregatedCaller(app, ctx);
    const q = ctx.url.searchParams;
    if (q.has("_page")) return followCursor(ctx, "Appointment", caller.clientId);
    const patient = resolvePatient(
      q.get("actor:Patient.identifier"),
      "actor:Patient.identifier",
      caller.orgIndexes,
    );
    const dates: DateCriterion[] = q.getAll("date").map((raw) => {
      const c = parseDateCriterion(raw);
      if (!c) throw fhirError(400, "invalid", `Cannot parse date '${raw}'.`);
      return c;
    });
    const statuses = q
      .getAll("status")
      .flatMap((s) => s.split(","))
      .filter(Boolean);
    for (const s of statuses) {
      if (!(R4_APPOINTMENT_STATUSES as readonly string[]).includes(s)) {
        throw fhirError(400, "invalid", `Unknown status '${s}'.`);
      }
    }
    const count = parseCount(q.get("_count"));
    const sort = q.get("_sort") ?? "date";
    const sortKeys = ["date", "-date", "_lastUpdated", "-_lastUpdated"];
    if (!sortKeys.includes(sort)) {
      throw fhirError(400, "invalid", `_sort must be one of ${sortKeys.join(", ")}.`);
    }
    const now = clock.now();
    const matches: Appointment[] = [];
    for (const index of patient?.appointmentIndexes ?? []) {
      const a = state.population.appointments[index] as Appointment;
      if (!caller.orgIndexes.has(a.orgIndex)) continue;
      if (!dates.every((c) => matchesDate(a.start, c))) continue;
      if (statuses.length > 0 && !statuses.includes(state.displayStatus(a, now))) continue;
      matches.push(a);
    }
    const key = sort.endsWith("date")
      ? (a: Appointment) => a.start
      : (a: Appointment) => a.lastUpdated;
    const direction = sort.startsWith("-") ? -1 : 1;
    matches.sort((a, b) => direction * (key(a) - key(b)) || a.index - b.index);
    const snapshot: SearchSnapshot = {
      clientId: caller.clientId,
      indexes: matches.map((a) => a.index),
      kind: "Appointment",
      count,
      expiresAt: now + CURSOR_LIFETIME_MS,
    };
    return bundle(ctx, snapshot, 0, `${ctx.baseUrl}${ctx.url.pathname}${ctx.url.search}`);
  };

  const searchPatients = (ctx: RequestContext): Reply => {
    const caller = requireAggregatedCaller(app, ctx);
    const q = ctx.url.searchParams;
    if (q.has("_page")) return followCursor(ctx, "Patient", caller.clientId);
    const patient = resolvePatient(q.get("identifier"), "identifier", caller.orgIndexes);
    const snapshot: SearchSnapshot = {
      clientId: caller.clientId,
      indexes: patient ? [patient.index] : [],
      kind: "Patient",
      count: parseCount(q.get("_count")),
      expiresAt: clock.now() + CURSOR_LIFETIME_MS,
    };
    return bundle(ctx, snapshot, 0, `${ctx.baseUrl}${ctx.url.pathname}${ctx.url.search}`);
  };

  const readPatient = (ctx: RequestContext): Reply => {
    const caller = requireAggregatedCaller(app, ctx);
    const patient = state.patientByPublicId(ctx.params[0] ?? "");
    if (!patient || ![...caller.orgIndexes].some((o) => state.canOrganisationSee(o, patient))) {
      throw fhirError(404, "not-found", "Patient not found.");
    }
    return fhir(200, patientResource(state, patient));
  };

  const readAppointment = (ctx: RequestContext): Reply => {
    const caller = requireAggregatedCaller(app, ctx);
    const appointment = state.appointmentById(ctx.params[0] ?? "");
    if (!appointment || !caller.orgIndexes.has(appointment.orgIndex)) {
      throw fhirError(404, "not-found", "Appointment not found.");
    }
    return fhir(200, appointmentResource(state, appointment, clock.now()));
  };

  const readOrganisation = (ctx: RequestContext): Reply => {
    requireAggregatedCaller(app, ctx);
    const org = state.population.organisations.find((o) => o.publicId === ctx.params[0]);
    if (!org) throw fhirError(404, "not-found", "Organization not found.");
    return fhir(200, organisationResource(org));
  };

  return [
    {
      method: "GET",
      pattern: /^\/aggregated\/fhir\/Appointment$/,
      endpoint: "aggregated.appointment-search",
      handle: searchAppointments,
    },
    {
      method: "GET",
      pattern: /^\/aggregated\/fhir\/Appointment\/([^/]+)$/,
      endpoint: "aggregated.appointment-read",
      handle: readAppointment,
    },
    {
      method: "GET",
      pattern: /^\/aggregated\/fhir\/Patient$/,
      endpoint: "aggregated.patient-search",
      handle: searchPatients,
    },
    {
      method: "GET",
      pattern: /^\/aggregated\/fhir\/Patient\/([^/]+)$/,
      endpoint: "aggregated.patient-read",
      handle: readPatient,
    },
    {
      method: "GET",
      pattern: /^\/aggregated\/fhir\/Organization\/([^/]+)$/,
      endpoint: "aggregated.organization-read",
      handle: readOrganisation,
    },
  ];
}
