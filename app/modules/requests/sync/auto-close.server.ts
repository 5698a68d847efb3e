import type { PrismaClient } from "~/generated/prisma/client.ts";
import type { RequestStatus } from "~/generated/prisma/enums.ts";
import { now } from "~/platform/clock.ts";
import { applySystemEvent, type PasChange } from "../lifecycle.server.ts";
import type { CandidateAppointment } from "../match/matcher.ts";
import type { PatientLookups } from "./prepare.ts";
import type { NationalIdentifier } from "./ports.ts";

/**
 * Auto-close, run by the sync after its pages are stored (hazards H2, H6):
 *
 * 1. **Resolved in PAS.** For each OPEN request (new, assigned, expired) with a matched
 *    appointment, the sync looks at that appointment as PKB shows it now. If it was cancelled, or
 *    its start moved, the PAS update reached PKB: the request closes as RESOLVED_IN_PAS with the
 *    change recorded ({from, to}) and a history row. The appointment must still be the patient's
 *    own (same Public ID), as when it was matched. An appointment PKB no longer lists at all
 *    closes nothing — that is not evidence of a PAS change, so a person decides.
 *    Whose appointments are looked at:
 *    - every patient whose appointments this run already fetched for a new message (no extra
 *      PKB call: the run's cache answers), and
 *    - up to `recheckPatients` other patients with open matched requests, soonest appointment
 *      first (the ones that go wrong soonest), so a patient who never writes again is still
 *      seen; each costs one appointment search.
 * 2. **Expired.** An open request still new or assigned whose appointment time (the matched
 *    start, else the time the patient quoted) has passed is flagged EXPIRED — it stays in the
 *    worklist, visible and actionable, for a person to action or reject. Never dropped.
 *
 * Each change goes through the lifecycle (`applySystemEvent`): a request a person changed since
 * it was read is left alone, and a closed request is never reopened by the sync.
 */

export interface AutoCloseResult {
  checkedPatients: number;
  resolved: number;
  expired: number;
  /** patients whose appointments could not be fetched this time (tried again next run) */
  failedPatients: number;
}

export const RECHECK_PATIENTS_PER_RUN = 100;

const OPEN: RequestStatus[] = ["NEW", "ASSIGNED", "EXPIRED"];

const SELECT = {
  id: true,
  status: true,
  assigneeId: true,
  teamId: true,
  expiredAt: true,
  version: true,
  patientPublicId: true,
  identifierSystem: true,
  identifierValue: true,
  matchedAppointmentId: true,
  matchedStart: true,
  matchedStatus: true,
} as const;

type OpenRequest = {
  id: string;
  status: RequestStatus;
  assigneeId: string | null;
  teamId: string | null;
  expiredAt: Date | null;
  version: number;
  patientPublicId: string;
  identifierSystem: string | null;
  identifierValue: string | null;
  matchedAppointmentId: string | null;
  matchedStart: Date | null;
  matchedStatus: string | null;
};

const key = (identifier: NationalIdentifier) => `${identifier.system}|${identifier.value}`;

/** What changed at PKB for a matched appointment, or null when nothing a PAS update makes. */
export function pasChangeOf(
  request: Pick<OpenRequest, "matchedStart" | "matchedStatus">,
  now: Pick<CandidateAppointment, "start" | "status">,
): PasChange | null {
  const cancelled = now.status === "cancelled" && request.matchedStatus !== "cancelled";
  const moved =
    now.start !== null &&
    request.matchedStart !== null &&
    now.start.getTime() !== request.matchedStart.getTime();
  if (!cancelled && !moved) return null;
  return {
    from: { start: request.matchedStart?.toISOString() ?? null, status: request.matchedStatus },
    to: { start: now.start?.toISOString() ?? null, status: now.status },
  };
}

export async function autoCloseRequests(options: {
  prisma: PrismaClient;
  grantId: string;
  lookups: PatientLookups;
  /** identifiers whose appointments the run has already fetched */
  fetched: readonly NationalIdentifier[];
  recheckPatients?: number;
  /** a failure that must stop the run (the grant needs re-authorisation) */
  isFatal?: (error: unknown) => boolean;
}): Promise<AutoCloseResult> {
  const { prisma, grantId, lookups } = options;
  const result: AutoCloseResult = {
    checkedPatients: 0,
    resolved: 0,
    expired: 0,
    failedPatients: 0,
  };
  const open = { grantId, status: { in: OPEN }, matchedAppointmentId: { not: null } };

  // 1a. Patients this run already fetched (chunked: a large run fetches many).
  const byPatient = new Map<string, { identifier: NationalIdentifier; requests: OpenRequest[] }>();
  const add = (request: OpenRequest) => {
    if (!request.identifierSystem || !request.identifierValue) return;
    const identifier = { system: request.identifierSystem, value: request.identifierValue };
    const entry = byPatient.get(key(identifier)) ?? { identifier, requests: [] };
    entry.requests.push(request);
    byPatient.set(key(identifier), entry);
  };
  const values = [...new Set(options.fetched.map((i) => i.value))];
  for (let i = 0; i < values.length; i += 1_000) {
    const rows = await prisma.appointmentRequest.findMany({
      where: { ...open, identifierValue: { in: values.slice(i, i + 1_000) } },
      select: SELECT,
    });
    const fetchedKeys = new Set(options.fetched.map(key));
    for (const row of rows) {
      if (
        row.identifierSystem &&
        row.identifierValue &&
        fetchedKeys.has(key({ system: row.identifierSystem, value: row.identifierValue }))
      ) {
        add(row);
      }
    }
  }
  // 1b. A bounded number of other patients, soonest appointment first.
  const limit = options.recheckPatients ?? RECHECK_PATIENTS_PER_RUN;
  if (limit > 0) {
    const extra = new Set<string>();
    let skip = 0;
    // Bounded reading too: at most ten pages of rows looked at per run.
    for (let pageNo = 0; pageNo < 10 && extra.size < limit; pageNo++) {
      const rows = await prisma.appointmentRequest.findMany({
        where: { ...open, identifierValue: { not: null } },
        orderBy: [{ matchedStart: "asc" }, { id: "asc" }],
        skip,
        take: limit * 2,
        select: SELECT,
      });
      if (rows.length === 0) break;
      skip += rows.length;
      for (const row of rows) {
        const k = key({ system: row.identifierSystem!, value: row.identifierValue! });
        if (byPatient.has(k) && !extra.has(k)) {
          // Already in (fetched this run, or an earlier row of this patient).
          if (!byPatient.get(k)!.requests.some((r) => r.id === row.id)) add(row);
          continue;
        }
        if (extra.size >= limit) continue;
        extra.add(k);
        add(row);
      }
    }
  }

  for (const { identifier, requests } of byPatient.values()) {
    let appointments: Awaited<ReturnType<PatientLookups["appointmentsOf"]>>;
    try {
      appointments = await lookups.appointmentsOf(identifier, undefined);
    } catch (error) {
      if (options.isFatal?.(error)) throw error;
      result.failedPatients++;
      continue;
    }
    result.checkedPatients++;
    for (const request of requests) {
      const appointment = appointments.find(
        (a) => a.id === request.matchedAppointmentId && a.patientKey === request.patientPublicId,
      );
      if (!appointment) continue;
      const change = pasChangeOf(request, appointment);
      if (!change) continue;
      const to = await prisma.$transaction((tx) =>
        applySystemEvent(tx, request, { event: "resolved-in-pas", change }),
      );
      if (to) result.resolved++;
    }
  }

  // 2. Appointment time passed, request still open: flag for a person.
  const at = now();
  for (;;) {
    const rows = await prisma.appointmentRequest.findMany({
      where: {
        grantId,
        status: { in: ["NEW", "ASSIGNED"] },
        expiredAt: null,
        OR: [{ matchedStart: { lt: at } }, { matchedStart: null, quotedStart: { lt: at } }],
      },
      orderBy: { id: "asc" },
      take: 1_000,
      select: SELECT,
    });
    if (rows.length === 0) break;
    let changed = 0;
    for (const row of rows) {
      const to = await prisma.$transaction((tx) => applySystemEvent(tx, row, { event: "expired" }));
      if (to) changed++;
    }
    result.expired += changed;
    // Rows a person changed meanwhile are skipped, not retried forever.
    if (changed === 0) break;
  }
  return result;
}
