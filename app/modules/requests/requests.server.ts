import { z } from "zod";
import type { Prisma } from "~/generated/prisma/client.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import type { SessionUser } from "~/modules/auth/session.server.ts";
import { kindOfSystem, NATIONAL_ID_LABELS } from "~/modules/pkb/identifiers.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { canPickAppointment, MATCH_STATES, type MatchState } from "./match-state.ts";
import type { CandidateSnapshot } from "./sync/prepare.ts";

/**
 * What staff see of appointment requests, and the one change they make here (picking the
 * appointment for a request the portal could not place).
 *
 * Scope: requests are not routed to teams yet (that arrives with the worklist in the next issue),
 * so everyone holding `read:request:team` sees every request. When routing lands, `scopeFor`
 * is the one place that narrows it to the viewer's teams (plus the unrouted queue for
 * `read:request:unrouted`); screens never build that `where` themselves.
 */
export type RequestViewer = Pick<SessionUser, "id" | "role" | "teamIds">;

function scopeFor(_viewer: RequestViewer): Prisma.AppointmentRequestWhereInput {
  return {};
}

export const REQUEST_PAGE_SIZE = 50;

export const RequestListFilterSchema = z.object({
  state: z.enum(MATCH_STATES).optional().catch(undefined),
  /** keyset cursor: "<receivedAt ISO>_<id>" of the last row shown */
  after: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z_[0-9a-f-]{36}$/)
    .optional()
    .catch(undefined),
});
export type RequestListFilter = z.infer<typeof RequestListFilterSchema>;

/**
 * One page of requests, newest first, by keyset, with the count in each state. No patient names
 * or identifiers: the list does not show them, so it does not load them.
 */
export async function requestListPage(viewer: RequestViewer, filter: RequestListFilter) {
  const db = await prisma();
  const scope = scopeFor(viewer);
  const where: Prisma.AppointmentRequestWhereInput = {
    ...scope,
    ...(filter.state ? { matchState: filter.state } : {}),
  };
  const cursor = filter.after
    ? {
        receivedAt: new Date(filter.after.slice(0, filter.after.indexOf("_"))),
        id: filter.after.slice(filter.after.indexOf("_") + 1),
      }
    : null;
  const rows = await db.appointmentRequest.findMany({
    where: cursor
      ? {
          AND: [
            where,
            {
              OR: [
                { receivedAt: { lt: cursor.receivedAt } },
                { receivedAt: cursor.receivedAt, id: { lt: cursor.id } },
              ],
            },
          ],
        }
      : where,
    orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
    take: REQUEST_PAGE_SIZE + 1,
    select: {
      id: true,
      receivedAt: true,
      action: true,
      quotedStart: true,
      quotedWallTime: true,
      quotedSubject: true,
      matchState: true,
      matchConfidence: true,
      matchedSpecialtyDisplay: true,
      matchedLocation: true,
    },
  });
  const counts = await db.appointmentRequest.groupBy({
    by: ["matchState"],
    where: scope,
    _count: { _all: true },
  });
  const countByState = Object.fromEntries(MATCH_STATES.map((s) => [s, 0])) as Record<
    MatchState,
    number
  >;
  for (const row of counts) countByState[row.matchState] = row._count._all;
  const page = rows.slice(0, REQUEST_PAGE_SIZE);
  const last = page.at(-1);
  return {
    rows: page,
    counts: countByState,
    total: Object.values(countByState).reduce((a, b) => a + b, 0),
    nextCursor:
      rows.length > REQUEST_PAGE_SIZE && last
        ? `${last.receivedAt.toISOString()}_${last.id}`
        : null,
  };
}

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

function candidatesOf(json: unknown): CandidateSnapshot[] {
  const parsed = CandidatesSchema.safeParse(json);
  return parsed.success ? parsed.data : [];
}

/**
 * One request with its patient, for the detail page. Showing a patient's identity is audited
 * (who viewed which request), in the same transaction as the read.
 */
export async function viewRequest(
  viewer: RequestViewer,
  requestId: string,
  audit: { actor: AuditActor; clientAddress: string | null },
) {
  const db = await prisma();
  return db.$transaction(async (tx) => {
    const request = await tx.appointmentRequest.findFirst({
      where: { AND: [scopeFor(viewer), { id: requestId }] },
    });
    if (!request) return null;
    await recordAudit(tx, {
      actor: audit.actor,
      action: "request.view",
      entityType: "appointment-request",
      entityId: request.id,
      clientAddress: audit.clientAddress,
    });
    const matchedBy = request.matchedById
      ? await tx.user.findUnique({
          where: { id: request.matchedById },
          select: { displayName: true },
        })
      : null;
    return {
      ...request,
      // Staff need the whole number to find the appointment in PAS; the view is audited above.
      identifierLabel: identifierLabel(request.identifierSystem),
      identifierFormatted: request.identifierValue ? spacedNumber(request.identifierValue) : null,
      candidates: candidatesOf(request.candidates),
      matchedByName: matchedBy?.displayName ?? null,
    };
  });
}

function identifierLabel(system: string | null): string {
  const kind = system ? kindOfSystem(system) : undefined;
  return kind ? NATIONAL_ID_LABELS[kind] : "Identifier";
}

/** "943 476 5919", as NHS numbers are printed (3-3-4). */
function spacedNumber(value: string): string {
  return /^\d{10}$/.test(value)
    ? `${value.slice(0, 3)} ${value.slice(3, 6)} ${value.slice(6)}`
    : value;
}

export class PickAppointmentError extends Error {
  override name = "PickAppointmentError";
}

/**
 * A member of staff says which appointment a request is about. Re-checked here, whatever the
 * form said: the request must still need a person, and the appointment must be one of the
 * candidates the sync found for THIS patient (searched by the patient's own identifier and
 * checked against the appointment's patient) — an id from anywhere else is refused. Audited in
 * the same transaction as the change.
 */
export async function pickAppointment(
  viewer: RequestViewer,
  requestId: string,
  appointmentId: string,
  audit: { actor: AuditActor; clientAddress: string | null },
): Promise<void> {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const request = await tx.appointmentRequest.findFirst({
      where: { AND: [scopeFor(viewer), { id: requestId }] },
      select: { id: true, matchState: true, candidates: true },
    });
    if (!request) throw new PickAppointmentError("That request does not exist.");
    if (!canPickAppointment(request.matchState)) {
      throw new PickAppointmentError("This request already has its appointment.");
    }
    const chosen = candidatesOf(request.candidates).find((c) => c.id === appointmentId);
    if (!chosen) {
      throw new PickAppointmentError("Choose one of this patient's appointments listed.");
    }
    const at = now();
    // Conditional on the state read above, so two people picking at once cannot both win.
    const updated = await tx.appointmentRequest.updateMany({
      where: { id: request.id, matchState: request.matchState },
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
        matchedById: viewer.id,
        matchedAt: at,
        matchConfidence: 1,
      },
    });
    if (updated.count !== 1) {
      throw new PickAppointmentError("Someone else has just matched this request.");
    }
    await recordAudit(tx, {
      actor: audit.actor,
      action: "request.match",
      entityType: "appointment-request",
      entityId: request.id,
      clientAddress: audit.clientAddress,
      details: { appointmentId: chosen.id, previousState: request.matchState },
    });
  });
}

export const SYNC_RUNS_SHOWN = 50;

/** The latest sync runs across grants, newest first (counts and words only). */
export async function recentSyncRuns() {
  const db = await prisma();
  return db.requestSyncRun.findMany({
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: SYNC_RUNS_SHOWN,
  });
}
