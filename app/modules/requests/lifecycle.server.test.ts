import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RequestStatus, Role } from "~/generated/prisma/enums.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { signedInAs } from "../../../tests/support/requests.ts";
import {
  applyRequestAction,
  applySystemEvent,
  RequestActionError,
  type RequestActor,
} from "./lifecycle.server.ts";
import { canSeeRequest, requestScope } from "./scope.server.ts";

const db = withTestDatabase();

async function teamId(name: string): Promise<string> {
  const prisma = db.current().prisma;
  const team = await prisma.team.upsert({ where: { name }, create: { name }, update: {} });
  return team.id;
}

async function actor(role: Role, teams: string[]): Promise<RequestActor> {
  const identity = await signedInAs(role, teams);
  const teamIds = await Promise.all(teams.map(teamId));
  return { id: identity.userId, role, teamIds, label: identity.email, clientAddress: "127.0.0.1" };
}

async function seed(
  team: string | null,
  extra: { status?: RequestStatus; assigneeId?: string | null } = {},
) {
  return db.current().prisma.appointmentRequest.create({
    data: {
      grantId: randomUUID(),
      pkbMessageId: randomUUID(),
      patientPublicId: randomUUID(),
      action: "CANCEL",
      rawSubject: "Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up",
      patientNote: "",
      receivedAt: new Date("2026-05-01T10:00:00Z"),
      matchState: "MATCHED",
      matchReason: "one fits",
      matchedAppointmentId: "appt-a",
      matchedStart: new Date("2026-05-14T09:30:00Z"),
      matchedStatus: "booked",
      candidates: [
        {
          id: "appt-a",
          start: "2026-05-14T09:30:00.000Z",
          end: null,
          status: "booked",
          subject: "Cardiology follow-up",
          specialtyCode: "320",
          specialtyDisplay: "Cardiology",
          serviceType: "Outpatient",
          location: "Clinic 1",
        },
        {
          id: "appt-b",
          start: "2026-06-01T09:30:00.000Z",
          end: null,
          status: "booked",
          subject: "Cardiology review",
          specialtyCode: "320",
          specialtyDisplay: "Cardiology",
          serviceType: "Outpatient",
          location: "Clinic 2",
        },
      ],
      teamId: team ? await teamId(team) : null,
      status: extra.status ?? (extra.assigneeId ? "ASSIGNED" : "NEW"),
      assigneeId: extra.assigneeId ?? null,
    },
  });
}

async function reload(id: string) {
  return db.current().prisma.appointmentRequest.findUniqueOrThrow({ where: { id } });
}

async function expectError(promise: Promise<unknown>, code: RequestActionError["code"]) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RequestActionError);
  expect((error as RequestActionError).code).toBe(code);
  return error as RequestActionError;
}

describe("applyRequestAction", () => {
  it("claims, notes the history and audits, bumping the version", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio L1"]);
    const request = await seed("Cardio L1");
    const result = await applyRequestAction(db.current().prisma, me, {
      requestIds: [request.id],
      action: { intent: "claim" },
      versions: { [request.id]: 0 },
    });
    expect(result).toEqual({ changed: 1, statuses: { [request.id]: "ASSIGNED" } });
    const after = await reload(request.id);
    expect(after).toMatchObject({ status: "ASSIGNED", assigneeId: me.id, version: 1 });
    const events = await db.current().prisma.requestEvent.findMany({
      where: { requestId: request.id },
    });
    expect(events).toEqual([
      expect.objectContaining({
        kind: "claim",
        fromStatus: "NEW",
        toStatus: "ASSIGNED",
        actorId: me.id,
      }),
    ]);
    const audits = await db.current().prisma.auditEvent.findMany({
      where: { entityId: request.id, action: "request.claim" },
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]?.details).toEqual({ from: "NEW", to: "ASSIGNED" });
  });

  it("marks actioned with the PAS reference (required) and reopens", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio L2"]);
    const request = await seed("Cardio L2", { assigneeId: me.id });
    await expectError(
      applyRequestAction(db.current().prisma, me, {
        requestIds: [request.id],
        action: { intent: "action", pasReference: "   " },
      }),
      "invalid",
    );
    await applyRequestAction(db.current().prisma, me, {
      requestIds: [request.id],
      action: { intent: "action", pasReference: " PAS-1234 " },
    });
    expect(await reload(request.id)).toMatchObject({
      status: "ACTIONED",
      pasReference: "PAS-1234",
      closedById: me.id,
    });
    await applyRequestAction(db.current().prisma, me, {
      requestIds: [request.id],
      action: { intent: "reopen" },
    });
    expect(await reload(request.id)).toMatchObject({
      status: "ASSIGNED",
      pasReference: null,
      closedAt: null,
    });
  });

  it("rejects only with a reason, and keeps the reason out of the audit log", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio L3"]);
    const request = await seed("Cardio L3");
    await expectError(
      applyRequestAction(db.current().prisma, me, {
        requestIds: [request.id],
        action: { intent: "reject", reason: "" },
      }),
      "invalid",
    );
    await applyRequestAction(db.current().prisma, me, {
      requestIds: [request.id],
      action: { intent: "reject", reason: "Duplicate of an earlier message" },
    });
    expect(await reload(request.id)).toMatchObject({
      status: "REJECTED",
      rejectionReason: "Duplicate of an earlier message",
    });
    const audit = await db.current().prisma.auditEvent.findFirstOrThrow({
      where: { entityId: request.id, action: "request.reject" },
    });
    expect(JSON.stringify(audit.details)).not.toMatch(/Duplicate/);
  });

  it("refuses a move the lifecycle does not allow, changing nothing", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio L4"]);
    const request = await seed("Cardio L4", { status: "ACTIONED" });
    const error = await expectError(
      applyRequestAction(db.current().prisma, me, {
        requestIds: [request.id],
        action: { intent: "claim" },
      }),
      "refused",
    );
    expect(error.message).toMatch(/Actioned.*cannot be claimed/);
    expect((await reload(request.id)).version).toBe(0);
  });

  it("a stale version is a conflict", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio L5"]);
    const request = await seed("Cardio L5");
    await db.current().prisma.appointmentRequest.update({
      where: { id: request.id },
      data: { version: 3 },
    });
    await expectError(
      applyRequestAction(db.current().prisma, me, {
        requestIds: [request.id],
        action: { intent: "claim" },
        versions: { [request.id]: 2 },
      }),
      "conflict",
    );
    expect((await reload(request.id)).assigneeId).toBeNull();
  });

  it("assigns only to a member of the request's team; an unrouted one joins the lead's team", async () => {
    const lead = await actor("TEAM_LEAD", ["Cardio L6"]);
    const member = await actor("REQUEST_HANDLER", ["Cardio L6"]);
    const outsider = await actor("REQUEST_HANDLER", ["Derm L6"]);
    const request = await seed("Cardio L6");
    await expectError(
      applyRequestAction(db.current().prisma, lead, {
        requestIds: [request.id],
        action: { intent: "assign", assigneeId: outsider.id },
      }),
      "refused",
    );
    await applyRequestAction(db.current().prisma, lead, {
      requestIds: [request.id],
      action: { intent: "assign", assigneeId: member.id },
    });
    expect(await reload(request.id)).toMatchObject({ status: "ASSIGNED", assigneeId: member.id });

    const unrouted = await seed(null);
    await expectError(
      applyRequestAction(db.current().prisma, lead, {
        requestIds: [unrouted.id],
        action: { intent: "assign", assigneeId: member.id },
      }),
      "refused",
    );
    await expectError(
      applyRequestAction(db.current().prisma, lead, {
        requestIds: [unrouted.id],
        action: { intent: "assign", assigneeId: outsider.id, teamId: outsider.teamIds[0] },
      }),
      "refused",
    );
    await applyRequestAction(db.current().prisma, lead, {
      requestIds: [unrouted.id],
      action: { intent: "assign", assigneeId: member.id, teamId: lead.teamIds[0] },
    });
    expect(await reload(unrouted.id)).toMatchObject({
      teamId: lead.teamIds[0],
      assigneeId: member.id,
    });
  });

  it("a handler cannot assign; rematch picks only one of the patient's own appointments", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio L7"]);
    const other = await actor("REQUEST_HANDLER", ["Cardio L7"]);
    const request = await seed("Cardio L7");
    await expectError(
      applyRequestAction(db.current().prisma, me, {
        requestIds: [request.id],
        action: { intent: "assign", assigneeId: other.id },
      }),
      "refused",
    );
    await expectError(
      applyRequestAction(db.current().prisma, me, {
        requestIds: [request.id],
        action: { intent: "rematch", appointmentId: "somebody-elses" },
      }),
      "refused",
    );
    await applyRequestAction(db.current().prisma, me, {
      requestIds: [request.id],
      action: { intent: "rematch", appointmentId: "appt-b" },
    });
    expect(await reload(request.id)).toMatchObject({
      matchState: "MATCHED_BY_STAFF",
      matchedAppointmentId: "appt-b",
      matchedLocation: "Clinic 2",
      status: "NEW",
    });
  });
});

describe("team scoping", () => {
  it("another team's request answers not-found, even for a lead", async () => {
    const lead = await actor("TEAM_LEAD", ["Cardio S1"]);
    const theirs = await seed("Derm S1");
    const error = await expectError(
      applyRequestAction(db.current().prisma, lead, {
        requestIds: [theirs.id],
        action: { intent: "claim" },
      }),
      "not-found",
    );
    expect(error.message).toBe("That request does not exist.");
  });

  it("a bulk action naming one request outside scope is rejected whole", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio S2"]);
    const mine = [await seed("Cardio S2"), await seed("Cardio S2"), await seed("Cardio S2")];
    const theirs = await seed("Derm S2");
    await expectError(
      applyRequestAction(db.current().prisma, me, {
        requestIds: [...mine.map((r) => r.id), theirs.id],
        action: { intent: "claim" },
      }),
      "not-found",
    );
    for (const request of [...mine, theirs]) {
      expect(await reload(request.id)).toMatchObject({ status: "NEW", assigneeId: null });
    }
    expect(
      await db.current().prisma.requestEvent.count({
        where: { requestId: { in: [...mine, theirs].map((r) => r.id) } },
      }),
    ).toBe(0);
  });

  it("a bulk action with one request in the wrong state is rejected whole, with the reason", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio S3"]);
    const open = [await seed("Cardio S3"), await seed("Cardio S3")];
    const done = await seed("Cardio S3", { status: "REJECTED" });
    const error = await expectError(
      applyRequestAction(db.current().prisma, me, {
        requestIds: [...open.map((r) => r.id), done.id],
        action: { intent: "action", pasReference: "PAS-9" },
      }),
      "refused",
    );
    expect(error.refusals).toEqual([{ requestId: done.id, reason: expect.any(String) }]);
    expect(error.message).toMatch(/1 of the 3 requests cannot be marked actioned/);
    for (const request of open) expect((await reload(request.id)).status).toBe("NEW");
  });

  it("a bulk action within scope moves every request", async () => {
    const lead = await actor("TEAM_LEAD", ["Cardio S4"]);
    const member = await actor("REQUEST_HANDLER", ["Cardio S4"]);
    const requests = [await seed("Cardio S4"), await seed("Cardio S4"), await seed(null)];
    // The unrouted one has no team: assign names the lead's team for it.
    const result = await applyRequestAction(db.current().prisma, lead, {
      requestIds: requests.map((r) => r.id),
      action: { intent: "assign", assigneeId: member.id, teamId: lead.teamIds[0] },
    });
    expect(result.changed).toBe(3);
    const audits = await db.current().prisma.auditEvent.findMany({
      where: { action: "request.assign", entityId: { in: requests.map((r) => r.id) } },
    });
    expect(audits.map((a) => (a.details as { bulk?: number }).bulk)).toEqual([3, 3, 3]);
  });

  it("the scope rule: own teams, unrouted for leads, and whatever is assigned to me", async () => {
    const handler = await actor("REQUEST_HANDLER", ["Cardio S5"]);
    const lead = await actor("TEAM_LEAD", ["Cardio S5"]);
    const admin = await actor("ADMIN", []);
    const own = await seed("Cardio S5");
    const unrouted = await seed(null);
    const elsewhereButMine = await seed("Derm S5", { assigneeId: handler.id });
    const elsewhere = await seed("Derm S5");
    const visible = async (viewer: RequestActor) =>
      (
        await db.current().prisma.appointmentRequest.findMany({
          where: {
            AND: [
              requestScope(viewer),
              { id: { in: [own.id, unrouted.id, elsewhereButMine.id, elsewhere.id] } },
            ],
          },
          select: { id: true },
        })
      )
        .map((r) => r.id)
        .sort();
    expect(await visible(handler)).toEqual([own.id, elsewhereButMine.id].sort());
    expect(await visible(lead)).toEqual([own.id, unrouted.id].sort());
    expect(await visible(admin)).toEqual([]);
    expect(canSeeRequest(handler, elsewhereButMine)).toBe(true);
    expect(canSeeRequest(handler, unrouted)).toBe(false);
    expect(canSeeRequest(lead, unrouted)).toBe(true);
    expect(canSeeRequest(admin, own)).toBe(false);
  });
});

describe("applySystemEvent", () => {
  it("resolves an open request in PAS, and leaves a closed one alone", async () => {
    const prisma = db.current().prisma;
    const open = await seed("Cardio Y1");
    const change = {
      from: { start: "2026-05-14T09:30:00.000Z", status: "booked" },
      to: { start: "2026-05-21T09:30:00.000Z", status: "booked" },
    };
    const to = await prisma.$transaction((tx) =>
      applySystemEvent(tx, open, { event: "resolved-in-pas", change }),
    );
    expect(to).toBe("RESOLVED_IN_PAS");
    expect(await reload(open.id)).toMatchObject({ status: "RESOLVED_IN_PAS", pasChange: change });
    const done = await seed("Cardio Y1", { status: "ACTIONED" });
    expect(
      await prisma.$transaction((tx) =>
        applySystemEvent(tx, done, { event: "resolved-in-pas", change }),
      ),
    ).toBeNull();
    expect((await reload(done.id)).status).toBe("ACTIONED");
  });

  it("a reopened resolved request takes the appointment as it now is, so it is not closed again", async () => {
    const me = await actor("REQUEST_HANDLER", ["Cardio Y2"]);
    const open = await seed("Cardio Y2");
    const change = {
      from: { start: "2026-05-14T09:30:00.000Z", status: "booked" },
      to: { start: "2026-05-21T09:30:00.000Z", status: "booked" },
    };
    await db
      .current()
      .prisma.$transaction((tx) =>
        applySystemEvent(tx, open, { event: "resolved-in-pas", change }),
      );
    await applyRequestAction(db.current().prisma, me, {
      requestIds: [open.id],
      action: { intent: "reopen" },
    });
    const after = await reload(open.id);
    expect(after).toMatchObject({ status: "NEW", pasChange: null });
    expect(after.matchedStart?.toISOString()).toBe("2026-05-21T09:30:00.000Z");
  });

  it("loses to a person who changed the request after the sync read it", async () => {
    const open = await seed("Cardio Y3");
    await db.current().prisma.appointmentRequest.update({
      where: { id: open.id },
      data: { version: 1 },
    });
    expect(
      await db
        .current()
        .prisma.$transaction((tx) => applySystemEvent(tx, open, { event: "expired" })),
    ).toBeNull();
  });
});
