import { z } from "zod";
import type { Route, SandboxApp } from "../app.ts";
import { ADMIN_KEY_HEADER } from "../config.ts";
import { faultTableSchema } from "../faults.ts";
import { header, type RequestContext } from "../http/context.ts";
import { json, ReplyError, text, type Reply } from "../http/reply.ts";
import { nationalKindForSystem, IDENTIFIER_SYSTEMS } from "../identifiers.ts";
import { secretsMatch } from "../oauth/clientAuth.ts";
import { appointmentSubject } from "../population/generate.ts";
import type { Appointment, Patient } from "../population/model.ts";
import {
  PATIENT_CATEGORIES,
  patientIdentifier,
  samplePatients,
  summarise,
} from "../population/summary.ts";
import { SPECIALTIES } from "../population/catalog.ts";

const identifierSchema = z.object({ system: z.string(), value: z.string() });
const patientRefSchema = z.union([identifierSchema, z.object({ publicId: z.string() })]);
const instantSchema = z.union([z.string().datetime({ offset: true }), z.number()]);

function toMs(value: string | number): number {
  return typeof value === "number" ? value : Date.parse(value);
}

export async function body<T extends z.ZodType>(
  ctx: RequestContext,
  schema: T,
): Promise<z.infer<T>> {
  const raw = await ctx.readBody();
  let parsed: unknown;
  try {
    parsed = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch {
    throw new ReplyError(json(400, { error: "invalid_json" }));
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new ReplyError(json(400, { error: "invalid_body", issues: result.error.issues }));
  }
  return result.data;
}

/** Every control needs the admin key. */
export function requireAdminKey(app: SandboxApp, ctx: RequestContext): void {
  const key = header(ctx.req, ADMIN_KEY_HEADER) ?? "";
  if (!secretsMatch(key, app.adminKey)) {
    throw new ReplyError(json(401, { error: "admin_key_required", header: "X-Sandbox-Admin-Key" }));
  }
}

/**
 * Simulation controls: what a PAS feed, a patient or time itself would do to PKB, plus the call
 * log and fault table. Every call needs the admin key; none is ever delayed or broken by faults.
 */
export function controlRoutes(app: SandboxApp): Route[] {
  const { state, clock } = app;

  const requireAdmin = (ctx: RequestContext): void => requireAdminKey(app, ctx);

  const findPatient = (ref: z.infer<typeof patientRefSchema>): Patient => {
    let patient: Patient | undefined;
    if ("publicId" in ref) patient = state.patientByPublicId(ref.publicId);
    else {
      const kind = nationalKindForSystem(ref.system);
      patient = kind ? state.patientByNationalId(kind, ref.value) : undefined;
    }
    if (!patient) throw new ReplyError(json(404, { error: "patient_not_found" }));
    return patient;
  };

  const findAppointment = (id: string | undefined): Appointment => {
    const appointment = id ? state.appointmentById(id) : undefined;
    if (!appointment) throw new ReplyError(json(404, { error: "appointment_not_found" }));
    return appointment;
  };

  const describeAppointment = (a: Appointment): Record<string, unknown> => ({
    id: state.appointmentIdOf(a),
    patientPublicId: state.population.patients[a.patientIndex]?.publicId,
    organisationPublicId: state.population.organisations[a.orgIndex]?.publicId,
    specialty: SPECIALTIES[a.specialtyIndex],
    subject: appointmentSubject(a),
    start: new Date(a.start).toISOString(),
    end: new Date(a.start + a.minutes * 60_000).toISOString(),
    status: a.status,
    displayStatus: state.displayStatus(a, clock.now()),
    requestAt: a.requestAt === null ? null : new Date(a.requestAt).toISOString(),
  });

  const describePatient = (p: Patient, detail: boolean): Record<string, unknown> => ({
    publicId: p.publicId,
    pkbId: p.pkbId,
    identifier: patientIdentifier(p),
    title: p.title,
    given: p.given,
    family: p.family,
    birthDate: p.birthDate,
    deceasedDate: p.deceasedDate,
    registered: p.registered,
    postalCode: p.postalCode,
    mobile: p.mobile,
    email: p.email,
    organisations: state.population.organisations
      .filter((o) => state.canOrganisationSee(o.index, p))
      .map((o) => o.publicId),
    ...(detail
      ? {
          appointments: p.appointmentIndexes.map((i) =>
            describeAppointment(state.population.appointments[i] as Appointment),
          ),
          emailInvitedAt: (() => {
            const at = state.emailInvitedAt(p);
            return at === undefined ? null : new Date(at).toISOString();
          })(),
          invitations: state.invitationsFor(p).map((inv) => ({
            code: inv.code,
            token: inv.token,
            issuedAt: new Date(inv.issuedAt).toISOString(),
            expiresAt: new Date(inv.expiresAt).toISOString(),
            revoked: inv.revokedAt !== null,
          })),
        }
      : {}),
  });

  const csvCell = (value: unknown): string => {
    const s = value === null || value === undefined ? "" : String(value);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };

  const guarded =
    (handler: (ctx: RequestContext) => Promise<Reply> | Reply) => (ctx: RequestContext) => {
      requireAdmin(ctx);
      return handler(ctx);
    };

  const routes: Omit<Route, "faultable">[] = [
    {
      method: "GET",
      pattern: /^\/_sandbox\/?$/,
      endpoint: "controls.summary",
      handle: () =>
        json(200, {
          clock: { now: new Date(clock.now()).toISOString(), offsetMs: clock.offset() },
          population: summarise(state, clock.now()),
          clients: [...app.clients.values()].map((c) => ({ id: c.id, kind: c.kind, name: c.name })),
          oauth: app.oauth.stats(),
          faults: app.faults.snapshot(),
        }),
    },
    {
      method: "GET",
      pattern: /^\/_sandbox\/patients$/,
      endpoint: "controls.patients",
      handle: (ctx) => {
        const q = ctx.url.searchParams;
        const category = (q.get("category") ?? "any") as (typeof PATIENT_CATEGORIES)[number];
        if (!PATIENT_CATEGORIES.includes(category)) {
          return json(400, { error: "unknown_category", categories: PATIENT_CATEGORIES });
        }
        const limit = Math.min(Number(q.get("limit") ?? 20) || 20, 1_000_000);
        const offset = Number(q.get("offset") ?? 0) || 0;
        const patients = samplePatients(state, category, limit, clock.now(), offset);
        if (q.get("format") === "csv") {
          const rows = [
            "nhs_number,identifier_system,title,given_name,family_name,date_of_birth,postcode,mobile,email",
            ...patients.map((p) =>
              [
                p.nationalId,
                IDENTIFIER_SYSTEMS[p.idKind],
                p.title,
                p.given,
                p.family,
                p.birthDate,
                p.postalCode,
                p.mobile,
                p.email,
              ]
                .map(csvCell)
                .join(","),
            ),
          ];
          return text(200, rows.join("\r\n") + "\r\n", "text/csv; charset=utf-8");
        }
        return json(200, { category, patients: patients.map((p) => describePatient(p, false)) });
      },
    },
    {
      method: "GET",
      pattern: /^\/_sandbox\/patients\/([^/]+)$/,
      endpoint: "controls.patient",
      handle: (ctx) => {
        const key = ctx.params[0] ?? "";
        const patient =
          state.patientByPublicId(key) ??
          state.patientByNationalId("nhs", key) ??
          state.patientByNationalId("chi", key) ??
          state.patientByNationalId("hc", key);
        if (!patient) return json(404, { error: "patient_not_found" });
        return json(200, describePatient(patient, true));
      },
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/patients\/register$/,
      endpoint: "controls.register",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z.object({ patients: z.array(patientRefSchema).min(1), email: z.string().optional() }),
        );
        const now = clock.now();
        const registered = input.patients.map((ref) => {
          const p = findPatient(ref);
          state.register(p, now, input.email ?? p.email);
          return p.publicId;
        });
        return json(200, { registered });
      },
    },
    {
      // PKB e-mails invitations to these patients (as a clinician's "Invite" in PKB would).
      method: "POST",
      pattern: /^\/_sandbox\/patients\/email-invite$/,
      endpoint: "controls.email-invite",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z.object({ patients: z.array(patientRefSchema).min(1), at: instantSchema.optional() }),
        );
        const at = input.at === undefined ? clock.now() : toMs(input.at);
        const invited = input.patients.map((ref) => {
          const p = findPatient(ref);
          state.recordEmailInvitation(p, at);
          return p.publicId;
        });
        return json(200, { invited });
      },
    },
    {
      method: "GET",
      pattern: /^\/_sandbox\/appointments\/([^/]+)$/,
      endpoint: "controls.appointment",
      handle: (ctx) => json(200, describeAppointment(findAppointment(ctx.params[0]))),
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/appointments\/([^/]+)\/reschedule$/,
      endpoint: "controls.reschedule",
      handle: async (ctx) => {
        const appointment = findAppointment(ctx.params[0]);
        const input = await body(
          ctx,
          z.object({ start: instantSchema, minutes: z.number().int().positive().optional() }),
        );
        state.reschedule(appointment, toMs(input.start), input.minutes, clock.now());
        return json(200, describeAppointment(appointment));
      },
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/appointments\/([^/]+)\/cancel$/,
      endpoint: "controls.cancel",
      handle: (ctx) => {
        const appointment = findAppointment(ctx.params[0]);
        state.cancel(appointment, clock.now());
        return json(200, describeAppointment(appointment));
      },
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/messages$/,
      endpoint: "controls.add-message",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z.union([
            z.object({
              appointmentId: z.string(),
              kind: z.enum(["cancel", "change"]),
              content: z.string().default(""),
              timestamp: instantSchema.optional(),
            }),
            z.object({
              patient: patientRefSchema,
              subject: z.string(),
              content: z.string().default(""),
              timestamp: instantSchema.optional(),
              html: z.boolean().default(false),
            }),
          ]),
        );
        const at = input.timestamp === undefined ? clock.now() : toMs(input.timestamp);
        if ("appointmentId" in input) {
          const message = state.addAppointmentRequest(
            findAppointment(input.appointmentId),
            input.kind,
            input.content,
            at,
          );
          return json(201, {
            id: message.id,
            subject: message.subject,
            timestamp: new Date(message.timestamp).toISOString(),
          });
        }
        const patient = findPatient(input.patient);
        const orgIndex = state.canOrganisationSee(0, patient) ? 0 : 1;
        const team =
          state.population.teams[state.population.organisations[orgIndex]?.nominatedTeamIndex ?? 0];
        const message = state.addMessage({
          timestamp: at,
          subject: input.subject,
          content: input.content,
          html: input.html,
          senderId: patient.publicId,
          patientIndex: patient.index,
          recipientIds: team ? [team.publicId] : [],
          status: "UNREAD",
        });
        return json(201, {
          id: message.id,
          subject: message.subject,
          timestamp: new Date(message.timestamp).toISOString(),
        });
      },
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/documents\/read$/,
      endpoint: "controls.documents-read",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z.object({
            documentIdentifiers: z.array(z.string()).min(1),
            at: instantSchema.optional(),
          }),
        );
        const at = input.at === undefined ? clock.now() : toMs(input.at);
        const read: string[] = [];
        const unknown: string[] = [];
        for (const id of input.documentIdentifiers) {
          const document = state.documentById(id);
          if (!document) unknown.push(id);
          else {
            document.readAt ??= at;
            read.push(id);
          }
        }
        return json(200, { read, unknown });
      },
    },
    {
      method: "GET",
      pattern: /^\/_sandbox\/documents$/,
      endpoint: "controls.documents",
      handle: (ctx) => {
        const limit = Number(ctx.url.searchParams.get("limit") ?? 20) || 20;
        return json(200, {
          documents: state.population.documents.slice(0, limit).map((d) => ({
            identifier: d.identifier,
            organisationPublicId: state.population.organisations[d.orgIndex]?.publicId,
            patientPublicId: state.population.patients[d.patientIndex]?.publicId,
            title: d.title,
            createdAt: new Date(d.createdAt).toISOString(),
            readAt: d.readAt === null ? null : new Date(d.readAt).toISOString(),
          })),
        });
      },
    },
    {
      method: "GET",
      pattern: /^\/_sandbox\/clock$/,
      endpoint: "controls.clock",
      handle: () =>
        json(200, { now: new Date(clock.now()).toISOString(), offsetMs: clock.offset() }),
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/clock$/,
      endpoint: "controls.clock-set",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z.object({
            advanceSeconds: z.number().optional(),
            advanceMs: z.number().optional(),
            set: instantSchema.optional(),
          }),
        );
        if (input.set !== undefined) clock.set(toMs(input.set));
        if (input.advanceSeconds !== undefined) clock.advance(input.advanceSeconds * 1000);
        if (input.advanceMs !== undefined) clock.advance(input.advanceMs);
        return json(200, { now: new Date(clock.now()).toISOString(), offsetMs: clock.offset() });
      },
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/reset$/,
      endpoint: "controls.reset",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z.object({ clock: z.boolean().default(true), sessions: z.boolean().default(false) }),
        );
        state.reset();
        app.calls.clear();
        app.notify.reset();
        if (input.clock) clock.reset();
        if (input.sessions) app.oauth.clear();
        return json(200, { reset: true, now: new Date(clock.now()).toISOString() });
      },
    },
    {
      method: "GET",
      pattern: /^\/_sandbox\/calls$/,
      endpoint: "controls.calls",
      handle: (ctx) =>
        json(
          200,
          app.calls.summary({
            includeIdentifiers: ctx.url.searchParams.get("identifiers") === "true",
          }),
        ),
    },
    {
      method: "DELETE",
      pattern: /^\/_sandbox\/calls$/,
      endpoint: "controls.calls-clear",
      handle: () => {
        app.calls.clear();
        return json(200, { cleared: true });
      },
    },
    {
      method: "GET",
      pattern: /^\/_sandbox\/faults$/,
      endpoint: "controls.faults",
      handle: () => json(200, app.faults.snapshot()),
    },
    {
      method: "PUT",
      pattern: /^\/_sandbox\/faults$/,
      endpoint: "controls.faults-replace",
      handle: async (ctx) => {
        app.faults.replace(await body(ctx, faultTableSchema));
        return json(200, app.faults.snapshot());
      },
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/faults$/,
      endpoint: "controls.faults-merge",
      handle: async (ctx) => {
        app.faults.merge(await body(ctx, faultTableSchema));
        return json(200, app.faults.snapshot());
      },
    },
    {
      method: "DELETE",
      pattern: /^\/_sandbox\/faults$/,
      endpoint: "controls.faults-clear",
      handle: () => {
        app.faults.clear();
        return json(200, {});
      },
    },
  ];
  return routes.map((r) => ({ ...r, faultable: false, handle: guarded(r.handle) }));
}
