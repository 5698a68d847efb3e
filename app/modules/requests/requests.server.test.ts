import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { signedInAs } from "../../../tests/support/requests.ts";
import {
  pickAppointment,
  PickAppointmentError,
  requestListPage,
  REQUEST_PAGE_SIZE,
  viewRequest,
} from "./requests.server.ts";
import { RunCache, preparePage, type CandidateSnapshot } from "./sync/prepare.ts";
import { storePage } from "./sync/store-page.server.ts";
import type { SyncSources } from "./sync/ports.ts";

const db = withTestDatabase();

const candidate = (
  id: string,
  start: string,
): CandidateSnapshot & Record<string, string | null> => ({
  id,
  start,
  end: null,
  status: "booked",
  subject: "Cardiology follow-up",
  specialtyCode: "320",
  specialtyDisplay: "Cardiology",
  serviceType: "Outpatient",
  location: "Clinic 1",
});

async function seedRequest(state: "NEEDS_MATCHING" | "MATCHED", receivedAt = new Date()) {
  return db.current().prisma.appointmentRequest.create({
    data: {
      grantId: randomUUID(),
      pkbMessageId: randomUUID(),
      patientPublicId: randomUUID(),
      identifierSystem: "https://fhir.nhs.uk/Id/nhs-number",
      identifierValue: "9434765919",
      patientDisplayName: "Read Richards",
      action: "CANCEL",
      rawSubject: "Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up",
      patientNote: "Better now",
      receivedAt,
      matchState: state,
      matchReason: "two fit",
      candidates: [
        candidate("appt-a", "2026-05-14T09:30:00.000Z"),
        candidate("appt-b", "2026-05-14T09:30:00.000Z"),
      ],
    },
  });
}

const audit = (userId: string) => ({
  actor: { id: userId, label: "handler@test.nhs.uk" },
  clientAddress: "127.0.0.1",
});

describe("picking the appointment for a request that needs a person", () => {
  it("records the pick with its snapshot and an audit entry", async () => {
    const handler = await signedInAs("TEAM_LEAD");
    const request = await seedRequest("NEEDS_MATCHING");
    const viewer = { id: handler.userId, role: "TEAM_LEAD" as const, teamIds: [] };
    await pickAppointment(viewer, request.id, "appt-b", audit(handler.userId));
    const after = await db.current().prisma.appointmentRequest.findUniqueOrThrow({
      where: { id: request.id },
    });
    expect(after).toMatchObject({
      matchState: "MATCHED_BY_STAFF",
      matchedAppointmentId: "appt-b",
      matchedById: handler.userId,
      matchedSpecialtyCode: "320",
    });
    expect(after.matchedStart?.toISOString()).toBe("2026-05-14T09:30:00.000Z");
    const events = await db.current().prisma.auditEvent.findMany({
      where: { entityId: request.id, action: "request.rematch" },
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toEqual({ appointmentId: "appt-b", from: "NEW", to: "NEW" });
  });

  it("refuses an appointment that is not one of this patient's candidates", async () => {
    const handler = await signedInAs("TEAM_LEAD");
    const request = await seedRequest("NEEDS_MATCHING");
    const viewer = { id: handler.userId, role: "TEAM_LEAD" as const, teamIds: [] };
    await expect(
      pickAppointment(viewer, request.id, "someone-elses-appointment", audit(handler.userId)),
    ).rejects.toThrow(PickAppointmentError);
    const after = await db.current().prisma.appointmentRequest.findUniqueOrThrow({
      where: { id: request.id },
    });
    expect(after.matchState).toBe("NEEDS_MATCHING");
  });

  it("refuses to re-match a request that already has its appointment", async () => {
    const handler = await signedInAs("TEAM_LEAD");
    const request = await seedRequest("MATCHED");
    const viewer = { id: handler.userId, role: "TEAM_LEAD" as const, teamIds: [] };
    await expect(
      pickAppointment(viewer, request.id, "appt-a", audit(handler.userId)),
    ).rejects.toThrow(/already has its appointment/);
  });
});

describe("viewing a request", () => {
  it("audits who saw the patient's details", async () => {
    const handler = await signedInAs("TEAM_LEAD");
    const request = await seedRequest("MATCHED");
    const viewer = { id: handler.userId, role: "TEAM_LEAD" as const, teamIds: [] };
    const seen = await viewRequest(viewer, request.id, audit(handler.userId));
    expect(seen).toMatchObject({
      identifierLabel: "NHS number",
      identifierFormatted: "943 476 5919",
    });
    expect(seen?.candidates).toHaveLength(2);
    const events = await db.current().prisma.auditEvent.count({
      where: { entityId: request.id, action: "request.view", actorId: handler.userId },
    });
    expect(events).toBe(1);
  });
});

describe("the request list", () => {
  it("pages newest first by keyset with counts per state", async () => {
    const prisma = db.current().prisma;
    await prisma.appointmentRequest.deleteMany({});
    const base = Date.parse("2026-05-01T10:00:00Z");
    // Two requests in the same millisecond straddle the page edge.
    for (let i = 0; i < REQUEST_PAGE_SIZE + 5; i++) {
      await seedRequest(
        i % 3 === 0 ? "NEEDS_MATCHING" : "MATCHED",
        new Date(base + Math.min(i, 60) * 1000),
      );
    }
    const viewer = { id: randomUUID(), role: "TEAM_LEAD" as const, teamIds: [] };
    const first = await requestListPage(viewer, {});
    expect(first.rows).toHaveLength(REQUEST_PAGE_SIZE);
    expect(first.total).toBe(REQUEST_PAGE_SIZE + 5);
    expect(first.counts.NEEDS_MATCHING).toBe(Math.ceil((REQUEST_PAGE_SIZE + 5) / 3));
    const second = await requestListPage(viewer, { after: first.nextCursor! });
    expect(second.rows).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
    const ids = new Set([...first.rows, ...second.rows].map((r) => r.id));
    expect(ids.size).toBe(REQUEST_PAGE_SIZE + 5);
    const onlyNeeding = await requestListPage(viewer, { state: "NEEDS_MATCHING" });
    expect(onlyNeeding.rows.every((r) => r.matchState === "NEEDS_MATCHING")).toBe(true);
  });
});

describe("a request whose patient PKB will not show", () => {
  it("goes to triage with the reason in words and no identifiers", async () => {
    const sources: SyncSources = {
      messagesAfter: async () => [],
      patientByPublicId: async () => ({ found: false, reason: "not-visible" }),
      appointmentsOf: async () => {
        throw new Error("must not search without an identifier");
      },
      callCount: () => 0,
    };
    const patientId = randomUUID();
    const page = await preparePage(
      [
        {
          id: randomUUID(),
          conversationId: null,
          timestamp: new Date("2026-05-01T10:00:00Z"),
          subject: "Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up",
          content: "",
          senderId: patientId,
          patientId,
        },
      ],
      new RunCache(sources),
    );
    expect(page.requests[0]).toMatchObject({
      matchState: "NEEDS_TRIAGE",
      identifierValue: null,
      matchReason: expect.stringMatching(/does not let the trust see/),
    });
    const grantId = randomUUID();
    const run = await db.current().prisma.requestSyncRun.create({
      data: { grantId, trigger: "manual" },
    });
    await storePage(
      db.current().prisma,
      grantId,
      run.id,
      page,
      { lastTimestamp: null, idsAtLastTimestamp: [] },
      1,
    );
    expect(await db.current().prisma.appointmentRequest.count({ where: { grantId } })).toBe(1);
  });
});
