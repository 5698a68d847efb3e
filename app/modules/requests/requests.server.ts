import { z } from "zod";
import type { Prisma } from "~/generated/prisma/client.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { kindOfSystem, NATIONAL_ID_LABELS } from "~/modules/pkb/identifiers.ts";
import { prisma } from "~/platform/db.server.ts";
import { applyRequestAction, candidatesOf, RequestActionError } from "./lifecycle.server.ts";
import { canPickAppointment, MATCH_STATES, type MatchState } from "./match-state.ts";
import { requestScope, type RequestViewer } from "./scope.server.ts";

/**
 * What staff see of appointment requests, and picking the appointment for a request the portal
 * could not place. Scope is the one rule in scope.server.ts; changes go through the lifecycle
 * (lifecycle.server.ts).
 */
export type { RequestViewer };

const scopeFor = requestScope;

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
      include: {
        team: { select: { name: true } },
        assignee: { select: { displayName: true } },
        routedByRule: { select: { name: true } },
        notes: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
        events: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      },
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
    // Who an assign may name: members of the request's team who work requests; for an unrouted
    // request, members of the viewer's own teams (assigning it sends it to that team).
    const assignTeams = request.teamId ? [request.teamId] : [...viewer.teamIds];
    const assignable = await tx.teamMembership.findMany({
      where: {
        teamId: { in: assignTeams },
        user: { disabledAt: null, role: { in: ["TEAM_LEAD", "REQUEST_HANDLER"] } },
      },
      select: {
        teamId: true,
        team: { select: { name: true } },
        user: { select: { id: true, displayName: true } },
      },
      orderBy: [{ team: { name: "asc" } }, { user: { displayName: "asc" } }],
    });
    const closedBy = request.closedById
      ? await tx.user.findUnique({
          where: { id: request.closedById },
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
      closedByName: closedBy?.displayName ?? null,
      assignable: assignable.map((m) => ({
        teamId: m.teamId,
        teamName: m.team.name,
        userId: m.user.id,
        displayName: m.user.displayName,
      })),
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
 * A member of staff says which appointment a request that needs a person is about. It is the
 * lifecycle's "rematch" (lifecycle.server.ts), which re-checks whatever the form said: the
 * request must be in the viewer's scope and open, and the appointment must be one of the
 * candidates the sync found for THIS patient — an id from anywhere else is refused. The version
 * read here makes two people picking at once fail for the second. Audited with the change.
 */
export async function pickAppointment(
  viewer: RequestViewer,
  requestId: string,
  appointmentId: string,
  audit: { actor: AuditActor; clientAddress: string | null },
): Promise<void> {
  const db = await prisma();
  const request = await db.appointmentRequest.findFirst({
    where: { AND: [scopeFor(viewer), { id: requestId }] },
    select: { id: true, matchState: true, version: true },
  });
  if (!request) throw new PickAppointmentError("That request does not exist.");
  if (!canPickAppointment(request.matchState)) {
    throw new PickAppointmentError("This request already has its appointment.");
  }
  try {
    await applyRequestAction(
      db,
      { ...viewer, label: audit.actor.label, clientAddress: audit.clientAddress },
      {
        requestIds: [request.id],
        action: { intent: "rematch", appointmentId },
        versions: { [request.id]: request.version },
      },
    );
  } catch (error) {
    if (error instanceof RequestActionError) {
      throw new PickAppointmentError(
        error.code === "conflict" ? "Someone else has just matched this request." : error.message,
      );
    }
    throw error;
  }
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
