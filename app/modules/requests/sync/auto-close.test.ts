import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import { startSandbox, type RunningSandbox } from "../../../../sandbox/src/server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { grantOnSandbox } from "../../../../tests/support/requests-sync.ts";
import { signedInAs } from "../../../../tests/support/requests.ts";
import { sourcesForGrant, syncHooks } from "../jobs.server.ts";
import { applyRequestAction } from "../lifecycle.server.ts";
import { pasChangeOf } from "./auto-close.server.ts";
import { syncGrantRequests } from "./run.server.ts";

/**
 * Auto-close against the sandbox: the sandbox's own controls make the PAS update (reschedule,
 * cancel) as the trust's PAS would, and the next sync must close the request as resolved in PAS
 * with the change recorded; an appointment time that passes with the request open flags it for a
 * person. The app clock stands at the sandbox's clock, so "passed" is decided, not raced.
 */
withTestDatabase();

const START = new Date("2026-11-21T10:00:00Z");
const clock = new FakeClock(START);
let sandbox: RunningSandbox;
let grantId: string;

beforeAll(async () => {
  setClock(clock);
  sandbox = await startSandbox({
    port: 0,
    patients: 300,
    seed: 23,
    now: START.toISOString(),
    frozenClock: true,
  });
  grantId = await grantOnSandbox(sandbox);
  expect((await sync()).status).toBe("SUCCEEDED");
});

afterAll(async () => {
  setClock(systemClock);
  await sandbox?.close();
  await stopJobRuntime();
});

async function sync(recheckPatients?: number) {
  const sources = await sourcesForGrant(grantId);
  if (!sources) throw new Error("no sources");
  return syncGrantRequests({
    prisma: await prisma(),
    grantId,
    trigger: "manual",
    sources,
    hooks: syncHooks,
    recheckPatients,
  });
}

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${sandbox.url}/_sandbox${path}`, {
    method,
    headers: {
      "x-sandbox-admin-key": sandbox.adminKey,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

/** Open matched requests with an appointment still ahead, one per patient, soonest last. */
async function openFutureRequests() {
  const db = await prisma();
  const rows = await db.appointmentRequest.findMany({
    where: {
      grantId,
      status: "NEW",
      matchState: "MATCHED",
      matchedStart: { gt: new Date(START.getTime() + 3 * 86_400_000) },
      matchedStatus: { not: "cancelled" },
    },
    orderBy: { matchedStart: "desc" },
  });
  const seen = new Set<string>();
  return rows.filter((r) => {
    if (seen.has(r.patientPublicId)) return false;
    seen.add(r.patientPublicId);
    return true;
  });
}

async function reload(id: string) {
  const db = await prisma();
  return db.appointmentRequest.findUniqueOrThrow({
    where: { id },
    include: { events: { orderBy: { createdAt: "asc" } } },
  });
}

describe("what counts as a PAS change", () => {
  const was = { matchedStart: new Date("2026-12-01T09:00:00Z"), matchedStatus: "pending" };
  it("a moved start or a cancellation; a request settling to booked is not one", () => {
    expect(pasChangeOf(was, { start: new Date("2026-12-01T09:00:00Z"), status: "booked" })).toBe(
      null,
    );
    expect(pasChangeOf(was, { start: new Date("2026-12-08T09:00:00Z"), status: "booked" })).toEqual(
      {
        from: { start: "2026-12-01T09:00:00.000Z", status: "pending" },
        to: { start: "2026-12-08T09:00:00.000Z", status: "booked" },
      },
    );
    expect(
      pasChangeOf(was, { start: new Date("2026-12-01T09:00:00Z"), status: "cancelled" }),
    ).toMatchObject({ to: { status: "cancelled" } });
    expect(
      pasChangeOf(
        { ...was, matchedStatus: "cancelled" },
        { start: new Date("2026-12-01T09:00:00Z"), status: "cancelled" },
      ),
    ).toBeNull();
  });
});

describe("auto-close against the sandbox", () => {
  it("a rescheduled and a cancelled appointment close their requests as resolved in PAS; a closed request is left alone", async () => {
    const candidates = await openFutureRequests();
    expect(candidates.length).toBeGreaterThanOrEqual(3);
    const [moved, cancelled, alreadyDone] = candidates as [
      (typeof candidates)[0],
      (typeof candidates)[0],
      (typeof candidates)[0],
    ];
    const newStart = new Date(moved.matchedStart!.getTime() + 7 * 86_400_000);
    await control("POST", `/appointments/${moved.matchedAppointmentId}/reschedule`, {
      start: newStart.toISOString(),
    });
    await control("POST", `/appointments/${cancelled.matchedAppointmentId}/cancel`);
    await control("POST", `/appointments/${alreadyDone.matchedAppointmentId}/cancel`);
    // A handler actioned this one before the sync saw the change: the sync must not touch it.
    const handler = await signedInAs("TEAM_LEAD");
    await applyRequestAction(
      await prisma(),
      {
        id: handler.userId,
        role: "TEAM_LEAD",
        teamIds: [],
        label: handler.email,
        clientAddress: null,
      },
      { requestIds: [alreadyDone.id], action: { intent: "action", pasReference: "PAS-77" } },
    );

    // No new message from these patients: the bounded re-check finds them.
    expect((await sync(1_000)).status).toBe("SUCCEEDED");

    const afterMove = await reload(moved.id);
    expect(afterMove.status).toBe("RESOLVED_IN_PAS");
    expect(afterMove.pasChange).toEqual({
      from: { start: moved.matchedStart!.toISOString(), status: moved.matchedStatus },
      to: { start: newStart.toISOString(), status: "booked" },
    });
    expect(afterMove.closedAt).not.toBeNull();
    expect(afterMove.events.at(-1)).toMatchObject({
      kind: "resolved-in-pas",
      actorId: null,
      fromStatus: "NEW",
      toStatus: "RESOLVED_IN_PAS",
    });
    const afterCancel = await reload(cancelled.id);
    expect(afterCancel.status).toBe("RESOLVED_IN_PAS");
    expect(afterCancel.pasChange).toMatchObject({ to: { status: "cancelled" } });
    const done = await reload(alreadyDone.id);
    expect(done).toMatchObject({ status: "ACTIONED", pasReference: "PAS-77", pasChange: null });

    // Seen once: the next sync changes nothing more.
    const events = (await reload(moved.id)).events.length;
    await sync(1_000);
    expect((await reload(moved.id)).events.length).toBe(events);
  });

  it("reuses the appointments the run fetched for a patient's new message (no re-check needed)", async () => {
    const [request] = await openFutureRequests();
    expect(request).toBeDefined();
    const newStart = new Date(request!.matchedStart!.getTime() + 2 * 86_400_000);
    await control("POST", `/appointments/${request!.matchedAppointmentId}/reschedule`, {
      start: newStart.toISOString(),
    });
    // The patient writes again about the moved appointment; this run fetches their appointments.
    await control("POST", "/messages", {
      appointmentId: request!.matchedAppointmentId,
      kind: "change",
    });
    expect((await sync(0)).status).toBe("SUCCEEDED");
    const after = await reload(request!.id);
    expect(after.status).toBe("RESOLVED_IN_PAS");
    expect(after.pasChange).toMatchObject({ to: { start: newStart.toISOString() } });
  });

  it("an appointment time that passes with the request open flags it EXPIRED, still open and actionable", async () => {
    const db = await prisma();
    const [request] = await openFutureRequests();
    expect(request).toBeDefined();
    const closedBefore = await db.appointmentRequest.count({
      where: { grantId, status: { in: ["ACTIONED", "REJECTED", "RESOLVED_IN_PAS"] } },
    });
    clock.set(new Date(request!.matchedStart!.getTime() + 60_000));
    expect((await sync(0)).status).toBe("SUCCEEDED");
    const after = await reload(request!.id);
    expect(after.status).toBe("EXPIRED");
    expect(after.expiredAt).not.toBeNull();
    expect(after.events.at(-1)).toMatchObject({ kind: "expired", toStatus: "EXPIRED" });
    // Nothing closed by the passing of time.
    expect(
      await db.appointmentRequest.count({
        where: { grantId, status: { in: ["ACTIONED", "REJECTED", "RESOLVED_IN_PAS"] } },
      }),
    ).toBe(closedBefore);
    // Not flagged twice.
    const events = after.events.length;
    await sync(0);
    expect((await reload(request!.id)).events.length).toBe(events);
    // A person can still work it.
    const lead = await signedInAs("TEAM_LEAD");
    await applyRequestAction(
      db,
      { id: lead.userId, role: "TEAM_LEAD", teamIds: [], label: lead.email, clientAddress: null },
      {
        requestIds: [request!.id],
        action: { intent: "reject", reason: "Appointment already held" },
      },
    );
    expect((await reload(request!.id)).status).toBe("REJECTED");
  });
});
