import { requireRestCaller, type Route, type SandboxApp } from "../app.ts";
import type { RequestContext } from "../http/context.ts";
import { json, restError, type Reply } from "../http/reply.ts";
import {
  IDENTIFIER_SYSTEMS,
  kindForRestType,
  REST_ID_DESCRIPTION,
  UUID_PATTERN,
} from "../identifiers.ts";
import type { Message, Patient } from "../population/model.ts";

/**
 * At most this many messages per response; page by calling again with the last timestamp. [D]
 * A page never ends inside a millisecond's run of messages (see SandboxState.messagesAfter).
 */
export const MESSAGES_PAGE_SIZE = 100;

/** `time` is epoch milliseconds or ISO-8601. */
function parseTime(raw: string): number | undefined {
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw)) return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : ms;
}

function userJson(p: Patient): Record<string, unknown> {
  return {
    id: String(p.pkbId),
    firstName: p.given,
    lastName: p.family,
    dob: p.birthDate,
    dateDeceased: p.deceasedDate,
    postalCode: p.postalCode,
    nationalIds: [{ value: p.nationalId, ...REST_ID_DESCRIPTION[p.idKind] }],
  };
}

function messageJson(m: Message, patientPublicId: string): Record<string, unknown> {
  return {
    id: m.id,
    conversationId: m.conversationId,
    timestamp: new Date(m.timestamp).toISOString(),
    subject: m.subject,
    content: m.content,
    html: m.html,
    senderId: m.senderId,
    patientId: patientPublicId,
    recipientIds: m.recipientIds,
    status: m.status,
  };
}

export function restRoutes(app: SandboxApp): Route[] {
  const { state } = app;

  const visiblePatient = (ctx: RequestContext, patient: Patient | undefined): Patient => {
    const { orgIndexes } = requireRestCaller(app, ctx);
    if (!patient) throw restError(404, "user.not.found", "No user was found.");
    if (![...orgIndexes].some((org) => state.canOrganisationSee(org, patient))) {
      throw restError(403, "ACCESS_DENIED", "You do not have access to this record.");
    }
    return patient;
  };

  const messagesAfter = (ctx: RequestContext): Reply => {
    const caller = requireRestCaller(app, ctx);
    const after = parseTime(ctx.params[0] ?? "");
    if (after === undefined) {
      throw restError(
        400,
        "invalid.time",
        "time must be epoch milliseconds or an ISO-8601 date-time.",
      );
    }
    // Which inboxes the caller reads: a clinician's own and their teams'; a system client's
    // authorised organisations' teams.
    const inboxes = new Set<string>();
    if (caller.grant.kind === "user") {
      const clinician = state.population.clinicians[caller.grant.clinicianIndex];
      if (clinician) {
        inboxes.add(clinician.publicId);
        for (const t of clinician.teamIndexes) {
          inboxes.add(state.population.teams[t]?.publicId ?? "");
        }
      }
    } else {
      for (const team of state.population.teams) {
        if (caller.orgIndexes.has(team.orgIndex)) inboxes.add(team.publicId);
      }
    }
    const senders = new Set<string>();
    if (caller.grant.kind === "user") {
      const clinician = state.population.clinicians[caller.grant.clinicianIndex];
      if (clinician) senders.add(clinician.publicId);
    }
    const page = state.messagesAfter(
      after,
      app.clock.now(),
      (m) => m.recipientIds.some((r) => inboxes.has(r)) || senders.has(m.senderId),
      MESSAGES_PAGE_SIZE,
    );
    return json(
      200,
      page.map((m) => messageJson(m, state.population.patients[m.patientIndex]?.publicId ?? "")),
    );
  };

  const byNationalId = (ctx: RequestContext): Reply => {
    const [value = "", type = ""] = ctx.params;
    const kind = kindForRestType(type);
    if (!kind) {
      requireRestCaller(app, ctx);
      throw restError(400, "invalid.national.id.type", `Unknown national id type '${type}'.`);
    }
    return json(200, userJson(visiblePatient(ctx, state.patientByNationalId(kind, value))));
  };

  const byPublicId = (ctx: RequestContext): Reply => {
    const publicId = ctx.params[0] ?? "";
    if (publicId === "self") {
      const caller = requireRestCaller(app, ctx);
      if (caller.grant.kind !== "user") {
        throw restError(403, "USER_TYPE_NOT_PERM", "System users have no 'self'.");
      }
      const c = state.population.clinicians[caller.grant.clinicianIndex];
      return json(200, {
        id: String(c?.pkbId ?? ""),
        publicId: c?.publicId,
        firstName: c?.given,
        lastName: c?.family,
        userType: "PROFESSIONAL",
        organisationPublicId: state.population.organisations[c?.orgIndex ?? 0]?.publicId,
      });
    }
    if (!UUID_PATTERN.test(publicId)) {
      requireRestCaller(app, ctx);
      throw restError(404, "user.not.found", "No user was found.");
    }
    return json(200, userJson(visiblePatient(ctx, state.patientByPublicId(publicId))));
  };

  /**
   * PKB's page for this call shows errors with `developerMessage: null`; the sandbox answers the
   * same. Status: INVITED_NOT_REGISTERED once PKB has e-mailed the patient an invitation
   * (`POST /_sandbox/patients/email-invite`), whatever tokens were generated before; otherwise
   * NOT_INVITED_NOT_REGISTERED, however many pairs this call or the Facade issued.
   */
  const tokenError = (status: number, code: string, message: string) =>
    restError(status, code, message, null);

  const recordAccessToken = (ctx: RequestContext): Reply => {
    const caller = requireRestCaller(app, ctx);
    const patient = /^\d+$/.test(ctx.params[0] ?? "")
      ? state.patientByPkbId(Number(ctx.params[0]))
      : undefined;
    if (!patient) throw tokenError(404, "user.not.found", "No user was found.");
    const orgIndex = [...caller.orgIndexes].find((org) => state.canOrganisationSee(org, patient));
    if (orgIndex === undefined) {
      throw tokenError(
        401,
        "invitation.record.access",
        "The record was created by another organisation.",
      );
    }
    const now = app.clock.now();
    const reason = state.ineligibility(patient, orgIndex, now);
    switch (reason) {
      case undefined:
        break;
      case "registered":
        throw tokenError(400, "invitation.patient.status", "Registration already completed");
      case "deceased":
        throw tokenError(400, "invitation.patient.deceased", "The patient is deceased");
      case "no-date-of-birth":
        throw tokenError(400, "invitation.patient.dob", "The patient has no date of birth");
      case "under-16":
        throw tokenError(400, "invitation.patient.age", "The patient is under 16");
      case "not-found":
      case "no-access":
        throw tokenError(
          401,
          "invitation.record.access",
          "The record was created by another organisation.",
        );
    }
    const [invitation] = state.issueInvitations([patient], orgIndex, now);
    app.calls.countTokenIssued(IDENTIFIER_SYSTEMS[patient.idKind], patient.nationalId);
    return json(200, {
      invitationCode: invitation?.code,
      token: invitation?.token,
      status:
        state.emailInvitedAt(patient) === undefined
          ? "NOT_INVITED_NOT_REGISTERED"
          : "INVITED_NOT_REGISTERED",
    });
  };

  return [
    {
      method: "GET",
      pattern: /^\/json\/v1\/messages\/after\/([^/]+)$/,
      endpoint: "rest.messages-after",
      handle: messagesAfter,
    },
    {
      method: "GET",
      pattern: /^\/json\/v2-beta\/users\/byNationalId\/([^/]+)\/([^/]+)$/,
      endpoint: "rest.users-by-national-id",
      handle: byNationalId,
    },
    {
      method: "GET",
      pattern: /^\/json\/users\/([^/]+)$/,
      endpoint: "rest.users-by-public-id",
      handle: byPublicId,
    },
    {
      method: "GET",
      pattern: /^\/json\/v1\/users\/([^/]+)\/recordAccessToken$/,
      endpoint: "rest.record-access-token",
      handle: recordAccessToken,
    },
  ];
}
