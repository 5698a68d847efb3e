import { z } from "zod";
import { Prisma, type PrismaClient } from "~/generated/prisma/client.ts";
import type { RequestStatus } from "~/generated/prisma/enums.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { hasPermission } from "~/modules/auth/permissions.ts";
import { now } from "~/platform/clock.ts";
import {
  decideIntent,
  decideSystemEvent,
  INTENT_PAST_TENSE,
  NOTE_MAX,
  PAS_REFERENCE_MAX,
  REJECTION_REASON_MAX,
  type RequestIntent,
  type SystemEvent,
} from "./lifecycle.ts";
import { requestScope, type RequestViewer } from "./scope.server.ts";
import type { CandidateSnapshot } from "./sync/prepare.ts";

/**
 * The ONE way a person changes an appointment request's work state (single or bulk), and the one
 * way the system does (`applySystemEvent`). For a person's action, in one transaction:
 *
 * 1. every named request is loaded through the viewer's scope; if ANY is outside it the whole
 *    action is refused as "not found" (the caller answers 404, so ids of other teams' requests
 *    are not confirmed to exist);
 * 2. every request's move is decided by the pure lifecycle (lifecycle.ts); if ANY is refused the
 *    whole action is refused, with each refusal's reason — a bulk action is all or nothing;
 * 3. each row is written only if its `version` is still the one read (or the one the page showed,
 *    when given), bumping it — a concurrent change makes the whole action fail as a conflict;
 * 4. a RequestEvent (the request's history) and an audit row per request, in the same transaction.
 */

export const MAX_BULK = 500;

export type RequestAction =
  | {
      intent: "assign";
      assigneeId: string;
      /** for an unrouted request: the team it joins */ teamId?: string | null;
    }
  | { intent: "claim" }
  | { intent: "release" }
  | { intent: "action"; pasReference: string }
  | { intent: "reject"; reason: string }
  | { intent: "reopen" }
  | { intent: "rematch"; appointmentId: string };

export interface RequestActor extends RequestViewer {
  /** as written in the audit log (the session user's email) */
  label: string;
  /** as the request's history and notes show the person (display name); defaults to `label` */
  name?: string;
  clientAddress: string | null;
}

export type RequestActionErrorCode = "not-found" | "refused" | "conflict" | "invalid";

export class RequestActionError extends Error {
  override name = "RequestActionError";
  constructor(
    readonly code: RequestActionErrorCode,
    message: string,
    /** per request, why it was refused (code "refused") */
    readonly refusals: Array<{ requestId: string; reason: string }> = [],
  ) {
    super(message);
  }
}

export interface ApplyRequestActionInput {
  requestIds: readonly string[];
  action: RequestAction;
  /** the version each request had when the page showed it; a later change is a conflict */
  versions?: Readonly<Record<string, number>>;
}

const ROW_SELECT = {
  id: true,
  status: true,
  teamId: true,
  assigneeId: true,
  expiredAt: true,
  version: true,
  candidates: true,
  matchState: true,
  matchedStart: true,
  matchedStatus: true,
  pasChange: true,
} satisfies Prisma.AppointmentRequestSelect;
type Row = Prisma.AppointmentRequestGetPayload<{ select: typeof ROW_SELECT }>;

const CandidatesSchema = z.array(
  z.object({
    id: z.string(),
    start: z.string().nullable(),
    end: z.string().nullable(),
    status: z.string(),
    subject: z.string().nullable(),
    specialtyCode: z.string().nullable(),
    specialtyDisplay: z.string().nullable(),
    serviceType: z.string().nullable(),
    location: z.string().nullable(),
  }),
);

export function candidatesOf(json: unknown): CandidateSnapshot[] {
  const parsed = CandidatesSchema.safeParse(json);
  return parsed.success ? parsed.data : [];
}

export async function applyRequestAction(
  db: PrismaClient,
  actor: RequestActor,
  input: ApplyRequestActionInput,
): Promise<{ changed: number; statuses: Record<string, RequestStatus> }> {
  const ids = [...new Set(input.requestIds)];
  if (ids.length === 0) throw new RequestActionError("invalid", "Choose at least one request.");
  if (ids.length > MAX_BULK) {
    throw new RequestActionError("invalid", `Choose at most ${MAX_BULK} requests at a time.`);
  }
  const action = normaliseAction(input.action);

  return db.$transaction(async (tx) => {
    const rows = await tx.appointmentRequest.findMany({
      where: { AND: [requestScope(actor), { id: { in: ids } }] },
      select: ROW_SELECT,
    });
    if (rows.length !== ids.length) {
      throw new RequestActionError(
        "not-found",
        ids.length === 1
          ? "That request does not exist."
          : "One or more of those requests does not exist. Nothing was changed.",
      );
    }

    const assignee = action.intent === "assign" ? await loadAssignee(tx, action.assigneeId) : null;
    const refusals: Array<{ requestId: string; reason: string }> = [];
    const plans: Array<{
      row: Row;
      to: RequestStatus;
      data: Prisma.AppointmentRequestUncheckedUpdateManyInput;
      detail: Prisma.InputJsonObject;
    }> = [];
    const at = now();

    for (const row of rows) {
      const decision = decideIntent(row, action.intent, actor, {
        assigneeId: action.intent === "assign" ? action.assigneeId : null,
      });
      if (!decision.allowed) {
        refusals.push({ requestId: row.id, reason: decision.reason });
        continue;
      }
      const expected = input.versions?.[row.id];
      if (expected !== undefined && expected !== row.version) {
        throw new RequestActionError(
          "conflict",
          "Someone else changed this request while you were looking at it. Nothing was changed; look again and retry.",
        );
      }
      const planned = plan(row, decision.to, action, actor, assignee, at);
      if ("reason" in planned) refusals.push({ requestId: row.id, reason: planned.reason });
      else plans.push({ row, to: decision.to, ...planned });
    }
    if (refusals.length > 0) {
      throw new RequestActionError(
        "refused",
        rows.length === 1
          ? refusals[0]!.reason
          : `${refusals.length} of the ${rows.length} requests cannot be ${INTENT_PAST_TENSE[action.intent]}. Nothing was changed.`,
        refusals,
      );
    }

    const statuses: Record<string, RequestStatus> = {};
    for (const { row, to, data, detail } of plans) {
      const updated = await tx.appointmentRequest.updateMany({
        where: { id: row.id, version: row.version },
        data: { ...data, status: to, version: { increment: 1 } },
      });
      if (updated.count !== 1) {
        throw new RequestActionError(
          "conflict",
          "Someone else changed one of these requests at the same moment. Nothing was changed; look again and retry.",
        );
      }
      statuses[row.id] = to;
      await tx.requestEvent.create({
        data: {
          requestId: row.id,
          actorId: actor.id,
          actorLabel: actor.name ?? actor.label,
          kind: action.intent,
          fromStatus: row.status,
          toStatus: to,
          detail,
          createdAt: at,
        },
      });
      await recordAudit(tx, {
        actor: { id: actor.id, label: actor.label },
        action: `request.${action.intent}`,
        entityType: "appointment-request",
        entityId: row.id,
        clientAddress: actor.clientAddress,
        details: {
          from: row.status,
          to,
          ...(rows.length > 1 ? { bulk: rows.length } : {}),
          ...auditDetail(action),
        },
      });
    }
    return { changed: plans.length, statuses };
  });
}

/** Trims the typed text and refuses what the lifecycle requires but the form left empty. */
function normaliseAction(action: RequestAction): RequestAction {
  switch (action.intent) {
    case "action": {
      const pasReference = action.pasReference.trim();
      if (!pasReference) throw new RequestActionError("invalid", "Enter the PAS reference.");
      if (pasReference.length > PAS_REFERENCE_MAX) {
        throw new RequestActionError(
          "invalid",
          `The PAS reference must be ${PAS_REFERENCE_MAX} characters or fewer.`,
        );
      }
      return { intent: "action", pasReference };
    }
    case "reject": {
      const reason = action.reason.trim();
      if (!reason) throw new RequestActionError("invalid", "Enter why the request is rejected.");
      if (reason.length > REJECTION_REASON_MAX) {
        throw new RequestActionError(
          "invalid",
          `The reason must be ${REJECTION_REASON_MAX} characters or fewer.`,
        );
      }
      return { intent: "reject", reason };
    }
    default:
      return action;
  }
}

interface Assignee {
  id: string;
  label: string;
  teamIds: string[];
}

async function loadAssignee(tx: Prisma.TransactionClient, userId: string): Promise<Assignee> {
  const user = await tx.user.findFirst({
    where: { id: userId, disabledAt: null },
    select: { id: true, role: true, displayName: true, memberships: { select: { teamId: true } } },
  });
  if (!user || !hasPermission(user.role, "update:request:team")) {
    throw new RequestActionError("invalid", "Choose a member of the request's team.");
  }
  return { id: user.id, label: user.displayName, teamIds: user.memberships.map((m) => m.teamId) };
}

function plan(
  row: Row,
  to: RequestStatus,
  action: RequestAction,
  actor: RequestActor,
  assignee: Assignee | null,
  at: Date,
):
  | { data: Prisma.AppointmentRequestUncheckedUpdateManyInput; detail: Prisma.InputJsonObject }
  | { reason: string } {
  const reopened = { closedAt: null, closedById: null };
  switch (action.intent) {
    case "assign": {
      // The person must be in the request's team; an unrouted request joins the team named,
      // which must be one of the lead's own and the person's.
      const teamId = row.teamId ?? action.teamId ?? null;
      if (!teamId) return { reason: "Choose the team this unrouted request goes to." };
      if (row.teamId === null && !actor.teamIds.includes(teamId)) {
        return { reason: "You can only send requests to your own teams." };
      }
      if (!assignee || !assignee.teamIds.includes(teamId)) {
        return { reason: "That person is not a member of the request's team." };
      }
      if (row.assigneeId === assignee.id) {
        return { reason: `It is already assigned to ${assignee.label}.` };
      }
      return {
        data: { assigneeId: assignee.id, teamId },
        detail: {
          assigneeId: assignee.id,
          assigneeLabel: assignee.label,
          previousAssigneeId: row.assigneeId,
          ...(row.teamId === null ? { teamId } : {}),
        },
      };
    }
    case "claim":
      return { data: { assigneeId: actor.id }, detail: {} };
    case "release":
      return { data: { assigneeId: null }, detail: { previousAssigneeId: row.assigneeId } };
    case "action":
      return {
        data: {
          pasReference: action.pasReference,
          closedAt: at,
          closedById: actor.id,
          assigneeId: row.assigneeId ?? actor.id,
        },
        detail: { pasReference: action.pasReference },
      };
    case "reject":
      return {
        data: {
          rejectionReason: action.reason,
          closedAt: at,
          closedById: actor.id,
          assigneeId: row.assigneeId ?? actor.id,
        },
        detail: { reason: action.reason },
      };
    case "reopen": {
      // A request the sync closed as resolved in PAS is reopened against the appointment as PKB
      // now has it, so the next sync does not close it again for the same change.
      const change = PasChangeSchema.safeParse(row.pasChange);
      const baseline =
        row.status === "RESOLVED_IN_PAS" && change.success
          ? {
              matchedStart: change.data.to.start ? new Date(change.data.to.start) : null,
              matchedStatus: change.data.to.status,
            }
          : {};
      return {
        data: {
          ...reopened,
          ...baseline,
          pasReference: null,
          rejectionReason: null,
          pasChange: Prisma.DbNull,
          expiredAt: null,
        },
        detail: { closedAs: row.status },
      };
    }
    case "rematch": {
      const chosen = candidatesOf(row.candidates).find((c) => c.id === action.appointmentId);
      if (!chosen) return { reason: "Choose one of this patient's appointments listed." };
      return {
        data: {
          matchState: "MATCHED_BY_STAFF",
          matchedAppointmentId: chosen.id,
          matchedStart: chosen.start ? new Date(chosen.start) : null,
          matchedStatus: chosen.status,
          matchedSubject: chosen.subject,
          matchedSpecialtyCode: chosen.specialtyCode,
          matchedSpecialtyDisplay: chosen.specialtyDisplay,
          matchedLocation: chosen.location,
          matchedServiceType: chosen.serviceType,
          matchedById: actor.id,
          matchedAt: at,
          matchConfidence: 1,
          expiredAt: null,
        },
        detail: { appointmentId: chosen.id, previousMatchState: row.matchState },
      };
    }
  }
}

/** Audit details: ids and words the staff typed are not copied (the history holds them). */
function auditDetail(action: RequestAction): Record<string, string | null> {
  switch (action.intent) {
    case "assign":
      return { assigneeId: action.assigneeId };
    case "rematch":
      return { appointmentId: action.appointmentId };
    default:
      return {};
  }
}

/** What the sync saw change at PKB: the appointment as matched, and as it is now. */
export const PasChangeSchema = z.object({
  from: z.object({ start: z.string().nullable(), status: z.string().nullable() }),
  to: z.object({ start: z.string().nullable(), status: z.string().nullable() }),
});
export type PasChange = z.infer<typeof PasChangeSchema>;

export type SystemEventInput =
  | {
      event: "routed";
      teamId: string | null;
      assigneeId: string | null;
      ruleId: string | null;
      dueAt: Date | null;
      /** "rerouted" when a person asked for open requests to be routed again */
      kind?: "routed" | "rerouted";
      /** who asked (a re-route); the sync's own routing is the system */
      actor?: AuditActor;
      /**
       * The sync routes every new request; its history row says so and the sync run is on record,
       * so it writes no audit row per request. A re-route a person asked for is audited.
       */
      audit?: boolean;
    }
  | { event: "resolved-in-pas"; change: PasChange }
  | { event: "expired" };

/**
 * The system's own moves (routing, auto-close, expiry), in the caller's transaction (the sync's
 * page transaction, or a re-route a lead asked for). Checks the lifecycle and the version it read;
 * returns false — changing nothing — when the request is no longer where the move applies (a
 * person closed it meanwhile), so the sync never overwrites a person's work.
 */
export async function applySystemEvent(
  tx: Prisma.TransactionClient,
  request: {
    id: string;
    status: RequestStatus;
    assigneeId: string | null;
    teamId: string | null;
    expiredAt: Date | null;
    version: number;
  },
  input: SystemEventInput,
): Promise<RequestStatus | null> {
  const event: SystemEvent = input.event;
  const to = decideSystemEvent(request, event, {
    assigneeId: input.event === "routed" ? input.assigneeId : null,
  });
  if (!to) return null;
  const at = now();
  let data: Prisma.AppointmentRequestUncheckedUpdateManyInput;
  let detail: Prisma.InputJsonObject;
  switch (input.event) {
    case "routed":
      data = {
        teamId: input.teamId,
        assigneeId: input.assigneeId,
        routedByRuleId: input.ruleId,
        routedAt: at,
        dueAt: input.dueAt,
      };
      detail = { teamId: input.teamId, assigneeId: input.assigneeId, ruleId: input.ruleId };
      break;
    case "resolved-in-pas":
      data = { pasChange: input.change, closedAt: at, closedById: null };
      detail = { change: input.change };
      break;
    case "expired":
      data = { expiredAt: at };
      detail = {};
      break;
  }
  const updated = await tx.appointmentRequest.updateMany({
    where: { id: request.id, version: request.version, status: request.status },
    data: { ...data, status: to, version: { increment: 1 } },
  });
  if (updated.count !== 1) return null;
  const kind = input.event === "routed" ? (input.kind ?? "routed") : input.event;
  const actor = (input.event === "routed" ? input.actor : undefined) ?? {
    id: null,
    label: "system",
  };
  await tx.requestEvent.create({
    data: {
      requestId: request.id,
      actorId: actor.id,
      actorLabel: actor.label,
      kind,
      fromStatus: request.status,
      toStatus: to,
      detail,
      createdAt: at,
    },
  });
  if (input.event === "routed" && !input.audit) return to;
  await recordAudit(tx, {
    actor,
    action: `request.${kind}`,
    entityType: "appointment-request",
    entityId: request.id,
    details: {
      from: request.status,
      to,
      ...(input.event === "routed" ? { teamId: input.teamId, ruleId: input.ruleId } : {}),
    },
  });
  return to;
}

export type { RequestIntent };

/**
 * An internal note on a request (staff only, never sent to the patient). Not a move of the
 * lifecycle, but it follows the same rules: the request must be in the writer's scope (else
 * "not found"), the writer must work requests, and the note, its history row and the audit row
 * are written together. Notes may be added to closed requests too (why it was reopened, say).
 */
export async function addRequestNote(
  db: PrismaClient,
  actor: RequestActor,
  requestId: string,
  body: string,
): Promise<{ id: string }> {
  const text = body.trim();
  if (!text) throw new RequestActionError("invalid", "Write the note.");
  if (text.length > NOTE_MAX) {
    throw new RequestActionError("invalid", `A note must be ${NOTE_MAX} characters or fewer.`);
  }
  if (!hasPermission(actor.role, "update:request:team")) {
    throw new RequestActionError("refused", "You cannot work requests.");
  }
  return db.$transaction(async (tx) => {
    const request = await tx.appointmentRequest.findFirst({
      where: { AND: [requestScope(actor), { id: requestId }] },
      select: { id: true, status: true },
    });
    if (!request) throw new RequestActionError("not-found", "That request does not exist.");
    const at = now();
    const note = await tx.requestNote.create({
      data: {
        requestId: request.id,
        authorId: actor.id,
        authorLabel: actor.name ?? actor.label,
        body: text,
        createdAt: at,
      },
    });
    await tx.requestEvent.create({
      data: {
        requestId: request.id,
        actorId: actor.id,
        actorLabel: actor.name ?? actor.label,
        kind: "note",
        detail: { noteId: note.id },
        createdAt: at,
      },
    });
    await recordAudit(tx, {
      actor: { id: actor.id, label: actor.label },
      action: "request.note",
      entityType: "appointment-request",
      entityId: request.id,
      clientAddress: actor.clientAddress,
      details: { noteId: note.id, length: text.length },
    });
    return { id: note.id };
  });
}

/** The lengths forms check (defined with the pure lifecycle; re-exported for server code). */
export { NOTE_MAX, PAS_REFERENCE_MAX, REJECTION_REASON_MAX };
