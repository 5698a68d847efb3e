import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { dueAtFor, refreshDueAt, refreshOpenDueAt } from "./sla.server.ts";

const db = withTestDatabase();

async function team(name: string) {
  return db.current().prisma.team.create({ data: { name: `${name}-${randomUUID()}` } });
}

async function request(teamId: string | null, receivedAt: Date) {
  return db.current().prisma.appointmentRequest.create({
    data: {
      grantId: randomUUID(),
      pkbMessageId: randomUUID(),
      patientPublicId: randomUUID(),
      action: "CANCEL",
      rawSubject: "Request to cancel appointment",
      patientNote: "",
      receivedAt,
      matchState: "MATCHED",
      matchReason: "test",
      teamId,
    },
  });
}

describe("SLA deadlines from the database", () => {
  it("uses the default service level for a team without one and for the unrouted queue", async () => {
    const prisma = db.current().prisma;
    const cardiology = await team("Cardiology");
    const friday = new Date("2026-11-20T16:00:00Z");
    expect(await dueAtFor(prisma, cardiology.id, friday)).toEqual(new Date("2026-11-24T12:00:00Z"));
    expect(await dueAtFor(prisma, null, friday)).toEqual(new Date("2026-11-24T12:00:00Z"));
  });

  it("follows the team's target, working day and closures, and the trust's closures", async () => {
    const prisma = db.current().prisma;
    const eyes = await team("Ophthalmology");
    const other = await team("Other");
    await prisma.teamServiceLevel.create({
      data: { teamId: eyes.id, targetWorkingHours: 8, dayStartMinute: 540, dayEndMinute: 1020 },
    });
    // Fri 20 Nov 16:00 GMT, 09:00–17:00: 1 h Friday, 7 h Monday → Mon 16:00.
    expect(await dueAtFor(prisma, eyes.id, new Date("2026-11-20T16:00:00Z"))).toEqual(
      new Date("2026-11-23T16:00:00Z"),
    );
    await prisma.workingClosure.create({
      data: { day: new Date("2026-11-23"), teamId: eyes.id, reason: "Team away day" },
    });
    await prisma.workingClosure.create({
      data: { day: new Date("2026-11-24"), teamId: other.id, reason: "Not ours" },
    });
    expect(await dueAtFor(prisma, eyes.id, new Date("2026-11-20T16:00:00Z"))).toEqual(
      new Date("2026-11-24T16:00:00Z"),
    );
    await prisma.workingClosure.create({
      data: { day: new Date("2026-11-24"), teamId: null, reason: "Trust closure" },
    });
    expect(await dueAtFor(prisma, eyes.id, new Date("2026-11-20T16:00:00Z"))).toEqual(
      new Date("2026-11-25T16:00:00Z"),
    );
    await prisma.teamServiceLevel.update({
      where: { teamId: eyes.id },
      data: { targetWorkingHours: null },
    });
    expect(await dueAtFor(prisma, eyes.id, new Date("2026-11-20T16:00:00Z"))).toBeNull();
  });

  it("refreshes the deadline of the requests named, and of a team's open requests", async () => {
    const prisma = db.current().prisma;
    const renal = await team("Renal");
    const first = await request(renal.id, new Date("2026-12-01T09:00:00Z"));
    const second = await request(null, new Date("2026-12-01T09:00:00Z"));
    const closed = await request(renal.id, new Date("2026-12-01T09:00:00Z"));
    await prisma.appointmentRequest.update({
      where: { id: closed.id },
      data: { status: "ACTIONED", dueAt: new Date("2026-12-02T15:00:00Z") },
    });
    expect(await refreshDueAt(prisma, [first.id, second.id])).toBe(2);
    const read = async (id: string) =>
      (await prisma.appointmentRequest.findUniqueOrThrow({ where: { id } })).dueAt;
    // Tue 1 Dec 09:00: 9 h Tuesday + 7 h Wednesday → Wed 15:00.
    expect(await read(first.id)).toEqual(new Date("2026-12-02T15:00:00Z"));
    expect(await read(second.id)).toEqual(new Date("2026-12-02T15:00:00Z"));
    expect(await refreshDueAt(prisma, [first.id])).toBe(0); // unchanged → not rewritten

    await prisma.teamServiceLevel.create({ data: { teamId: renal.id, targetWorkingHours: 4 } });
    expect(await refreshOpenDueAt(prisma, renal.id)).toBe(1);
    expect(await read(first.id)).toEqual(new Date("2026-12-01T13:00:00Z"));
    expect(await read(closed.id)).toEqual(new Date("2026-12-02T15:00:00Z")); // closed: kept
    expect(await read(second.id)).toEqual(new Date("2026-12-02T15:00:00Z")); // other queue
  });
});
