import { randomUUID } from "node:crypto";
import type { PrismaClient } from "~/generated/prisma/client.ts";
import { now } from "~/platform/clock.ts";
import { activeRules, decideRoute } from "../routing/routing.server.ts";
import { refreshDueAt } from "../sla/sla.server.ts";
import type { PreparedPage } from "./prepare.ts";

export interface SyncCursor {
  lastTimestamp: Date | null;
  idsAtLastTimestamp: string[];
}

export interface StoredPage {
  requestsInserted: number;
  nonRequestsInserted: number;
}

/** Rows per INSERT statement; a page is ~100 messages, but a same-millisecond run can be larger. */
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Stores one prepared page in ONE transaction: its requests (none twice: ON CONFLICT on
 * grant + PKB message id DO NOTHING), the ids of its non-request messages, the run's counters and
 * the grant's cursor. A worker killed before the commit leaves nothing of the page behind and
 * the next run reads it again; killed after, the cursor has moved past it. Either way every
 * message ends as exactly one request or one counted non-request (quality.md invariants 1 and 2).
 *
 * Rows go in as one JSON document per chunk expanded by jsonb_to_recordset: one round trip per
 * chunk on both backends, and no 25 parallel arrays to keep in step.
 *
 * Routing happens here, in the same transaction: each new request is stored already in the queue
 * the routing rules (read once per page, inside the transaction) give it — a team, a person, or
 * the unrouted queue — with its "routed" history row and its SLA deadline. So no request is ever
 * committed unrouted by accident, a killed sync cannot leave stored-but-unrouted requests behind,
 * and a request stored twice (ON CONFLICT) is not routed twice: only the rows RETURNING says were
 * inserted get history and a deadline.
 */
export async function storePage(
  prisma: PrismaClient,
  grantId: string,
  runId: string,
  page: PreparedPage,
  cursor: SyncCursor,
  messagesRead: number,
): Promise<StoredPage> {
  return prisma.$transaction(async (tx) => {
    let requestsInserted = 0;
    const rules = page.requests.length > 0 ? await activeRules(tx) : [];
    const routedAt = now();
    const insertedIds: string[] = [];
    for (const chunk of chunks(page.requests)) {
      const rows = chunk.map((r) => ({
        ...routeWith(rules, r),
        id: randomUUID(),
        pkbMessageId: r.pkbMessageId,
        conversationId: r.conversationId,
        patientPublicId: r.patientPublicId,
        identifierSystem: r.identifierSystem,
        identifierValue: r.identifierValue,
        patientDisplayName: r.patientDisplayName,
        action: r.action,
        quotedStart: r.quotedStart?.toISOString() ?? null,
        quotedWallTime: r.quotedWallTime,
        quotedSubject: r.quotedSubject,
        rawSubject: r.rawSubject,
        patientNote: r.patientNote,
        receivedAt: r.receivedAt.toISOString(),
        matchState: r.matchState,
        matchConfidence: r.matchConfidence,
        matchReason: r.matchReason,
        matchedAppointmentId: r.matched?.id ?? null,
        matchedStart: r.matched?.start ?? null,
        matchedStatus: r.matched?.status ?? null,
        matchedSubject: r.matched?.subject ?? null,
        matchedSpecialtyCode: r.matched?.specialtyCode ?? null,
        matchedSpecialtyDisplay: r.matched?.specialtyDisplay ?? null,
        matchedLocation: r.matched?.location ?? null,
        matchedServiceType: r.matched?.serviceType ?? null,
        candidates: r.candidates,
      }));
      const inserted = await tx.$queryRaw<Array<{ id: string }>>`
        INSERT INTO "AppointmentRequest" (
          "id", "grantId", "pkbMessageId", "conversationId", "patientPublicId",
          "identifierSystem", "identifierValue", "patientDisplayName", "action",
          "quotedStart", "quotedWallTime", "quotedSubject", "rawSubject", "patientNote",
          "receivedAt", "matchState", "matchConfidence", "matchReason",
          "matchedAppointmentId", "matchedStart", "matchedStatus", "matchedSubject",
          "matchedSpecialtyCode", "matchedSpecialtyDisplay", "matchedLocation",
          "matchedServiceType", "candidates", "updatedAt",
          "status", "teamId", "assigneeId", "routedByRuleId", "routedAt")
        SELECT r."id"::uuid, ${grantId}::uuid, r."pkbMessageId", r."conversationId", r."patientPublicId",
          r."identifierSystem", r."identifierValue", r."patientDisplayName",
          r."action"::"AppointmentRequestAction",
          (r."quotedStart" AT TIME ZONE 'UTC'), r."quotedWallTime", r."quotedSubject",
          r."rawSubject", r."patientNote", (r."receivedAt" AT TIME ZONE 'UTC'),
          r."matchState"::"RequestMatchState", r."matchConfidence", r."matchReason",
          r."matchedAppointmentId", (r."matchedStart" AT TIME ZONE 'UTC'), r."matchedStatus",
          r."matchedSubject", r."matchedSpecialtyCode", r."matchedSpecialtyDisplay",
          r."matchedLocation", r."matchedServiceType", r."candidates", now(),
          r."status"::"RequestStatus", r."teamId"::uuid, r."assigneeId"::uuid,
          r."routedByRuleId"::uuid, (${routedAt.toISOString()}::timestamptz AT TIME ZONE 'UTC')
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(
          "id" text, "pkbMessageId" text, "conversationId" text, "patientPublicId" text,
          "identifierSystem" text, "identifierValue" text, "patientDisplayName" text,
          "action" text, "quotedStart" timestamptz, "quotedWallTime" text, "quotedSubject" text,
          "rawSubject" text, "patientNote" text, "receivedAt" timestamptz, "matchState" text,
          "matchConfidence" double precision, "matchReason" text, "matchedAppointmentId" text,
          "matchedStart" timestamptz, "matchedStatus" text, "matchedSubject" text,
          "matchedSpecialtyCode" text, "matchedSpecialtyDisplay" text, "matchedLocation" text,
          "matchedServiceType" text, "candidates" jsonb, "status" text, "teamId" text,
          "assigneeId" text, "routedByRuleId" text)
        ON CONFLICT ("grantId", "pkbMessageId") DO NOTHING
        RETURNING "id"::text AS "id"`;
      requestsInserted += inserted.length;
      const byId = new Map<string, (typeof rows)[number]>(rows.map((row) => [row.id, row]));
      const events = inserted.map(({ id }) => {
        const row = byId.get(id)!;
        return {
          requestId: id,
          toStatus: row.status,
          detail: { teamId: row.teamId, assigneeId: row.assigneeId, ruleId: row.routedByRuleId },
        };
      });
      insertedIds.push(...inserted.map((row) => row.id));
      if (events.length > 0) {
        await tx.$executeRaw`
          INSERT INTO "RequestEvent" ("id", "requestId", "actorId", "actorLabel", "kind",
            "fromStatus", "toStatus", "detail", "createdAt")
          SELECT gen_random_uuid(), e."requestId"::uuid, NULL, 'system', 'routed', NULL,
            e."toStatus"::"RequestStatus", e."detail",
            (${routedAt.toISOString()}::timestamptz AT TIME ZONE 'UTC')
          FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb)
            AS e("requestId" text, "toStatus" text, "detail" jsonb)`;
      }
    }
    // The SLA deadline of the queue each landed in (sla/sla.server.ts), same transaction.
    await refreshDueAt(tx, insertedIds);

    let nonRequestsInserted = 0;
    for (const chunk of chunks(page.nonRequests)) {
      const rows = chunk.map((m) => ({
        pkbMessageId: m.pkbMessageId,
        receivedAt: m.receivedAt.toISOString(),
        reason: m.reason,
      }));
      nonRequestsInserted += await tx.$executeRaw`
        INSERT INTO "NonRequestMessage" ("grantId", "pkbMessageId", "receivedAt", "reason")
        SELECT ${grantId}::uuid, r."pkbMessageId", (r."receivedAt" AT TIME ZONE 'UTC'), r."reason"
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS r("pkbMessageId" text, "receivedAt" timestamptz, "reason" text)
        ON CONFLICT ("grantId", "pkbMessageId") DO NOTHING`;
    }

    // The cursor never moves backwards, whatever order two runs commit in.
    await tx.$executeRaw`
      INSERT INTO "RequestSyncCursor" ("grantId", "lastTimestamp", "idsAtLastTimestamp", "updatedAt")
      VALUES (${grantId}::uuid, (${cursor.lastTimestamp?.toISOString() ?? null}::timestamptz AT TIME ZONE 'UTC'),
              ${cursor.idsAtLastTimestamp}::text[], now())
      ON CONFLICT ("grantId") DO UPDATE
        SET "lastTimestamp" = EXCLUDED."lastTimestamp",
            "idsAtLastTimestamp" = EXCLUDED."idsAtLastTimestamp",
            "updatedAt" = now()
        WHERE "RequestSyncCursor"."lastTimestamp" IS NULL
           OR EXCLUDED."lastTimestamp" >= "RequestSyncCursor"."lastTimestamp"`;

    await tx.$executeRaw`
      UPDATE "RequestSyncRun"
         SET "pages" = "pages" + 1,
             "messages" = "messages" + ${messagesRead},
             "requests" = "requests" + ${requestsInserted},
             "nonRequests" = "nonRequests" + ${nonRequestsInserted}
       WHERE "id" = ${runId}::uuid`;

    return { requestsInserted, nonRequestsInserted };
  });
}

/** The queue the routing rules give a request as it is stored (rules/routing.server.ts). */
function routeWith(
  rules: Awaited<ReturnType<typeof activeRules>>,
  request: PreparedPage["requests"][number],
) {
  const route = decideRoute(rules, {
    action: request.action,
    matchedSpecialtyCode: request.matched?.specialtyCode ?? null,
    matchedLocation: request.matched?.location ?? null,
    matchedServiceType: request.matched?.serviceType ?? null,
  });
  return {
    status: route.assigneeId ? "ASSIGNED" : "NEW",
    teamId: route.teamId,
    assigneeId: route.assigneeId,
    routedByRuleId: route.ruleId,
  };
}

export async function readCursor(prisma: PrismaClient, grantId: string): Promise<SyncCursor> {
  const row = await prisma.requestSyncCursor.findUnique({ where: { grantId } });
  return {
    lastTimestamp: row?.lastTimestamp ?? null,
    idsAtLastTimestamp: row?.idsAtLastTimestamp ?? [],
  };
}
