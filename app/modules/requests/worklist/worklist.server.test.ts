import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock, setClock, systemClock } from "~/platform/clock.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { WORKLIST_VIEWS, type WorklistFilter } from "./filters.ts";
import { Prisma } from "~/generated/prisma/client.ts";
import { requestScope } from "../scope.server.ts";
import {
  worklistPage,
  worklistRows,
  worklistScopeSql,
  type WorklistViewer,
} from "./worklist.server.ts";

const db = withTestDatabase();
const NOW = new Date("2026-11-23T10:00:00Z"); // Monday
const DAY = 86_400_000;

let teamA: string;
let teamB: string;
let handler: WorklistViewer;
let lead: WorklistViewer;
let otherHandler: WorklistViewer;

async function user(role: "REQUEST_HANDLER" | "TEAM_LEAD", name: string) {
  const row = await db.current().prisma.user.create({
    data: { email: `${randomUUID()}@test.nhs.uk`, displayName: name, role },
  });
  return row.id;
}

interface Seed {
  teamId: string | null;
  appointmentInDays: number | null;
  dueInHours: number | null;
  status?: "NEW" | "ASSIGNED" | "ACTIONED" | "EXPIRED";
  assigneeId?: string | null;
  matchState?: "MATCHED" | "NEEDS_MATCHING" | "NEEDS_TRIAGE";
  name?: string;
  identifier?: string;
  action?: "CANCEL" | "CHANGE";
  specialty?: string;
  receivedDaysAgo?: number;
}

async function seed(rows: Seed[]) {
  await db.current().prisma.appointmentRequest.createMany({
    data: rows.map((row, index) => ({
      grantId: randomUUID(),
      pkbMessageId: randomUUID(),
      patientPublicId: randomUUID(),
      action: row.action ?? "CANCEL",
      rawSubject: "Request to cancel appointment",
      patientNote: "",
      receivedAt: new Date(NOW.getTime() - (row.receivedDaysAgo ?? 1) * DAY - index * 1000),
      matchState: row.matchState ?? "MATCHED",
      matchReason: "test",
      matchedStart:
        row.appointmentInDays === null
          ? null
          : new Date(NOW.getTime() + row.appointmentInDays * DAY),
      matchedSpecialtyCode: row.specialty ?? "320",
      matchedSpecialtyDisplay: row.specialty === "130" ? "Ophthalmology" : "Cardiology",
      teamId: row.teamId,
      status: row.status ?? "NEW",
      assigneeId: row.assigneeId ?? null,
      dueAt: row.dueInHours === null ? null : new Date(NOW.getTime() + row.dueInHours * 3_600_000),
      closedAt: row.status === "ACTIONED" ? new Date(NOW.getTime() - DAY) : null,
      patientDisplayName: row.name ?? `Patient ${index}`,
      identifierValue: row.identifier ?? String(9_000_000_000 + index),
    })),
  });
}

async function walk(viewer: WorklistViewer, filter: WorklistFilter) {
  const rows = [];
  let after: string | undefined;
  for (let pages = 0; pages < 20; pages += 1) {
    const page = await worklistPage(viewer, { ...filter, after });
    rows.push(...page.rows);
    if (!page.nextCursor) return { rows, counts: page.counts };
    after = page.nextCursor;
  }
  throw new Error("too many pages");
}

beforeAll(async () => {
  setClock(new FakeClock(NOW));
  const prisma = db.current().prisma;
  teamA = (await prisma.team.create({ data: { name: "Cardiology bookings" } })).id;
  teamB = (await prisma.team.create({ data: { name: "Eye clinic bookings" } })).id;
  await prisma.teamServiceLevel.create({ data: { teamId: teamA, urgentWithinDays: 3 } });
  handler = {
    id: await user("REQUEST_HANDLER", "Hana Handler"),
    role: "REQUEST_HANDLER",
    teamIds: [teamA],
  };
  lead = { id: await user("TEAM_LEAD", "Lee Lead"), role: "TEAM_LEAD", teamIds: [teamA] };
  otherHandler = {
    id: await user("REQUEST_HANDLER", "Omar Other"),
    role: "REQUEST_HANDLER",
    teamIds: [teamB],
  };
  const many: Seed[] = [];
  for (let i = 0; i < 120; i += 1) {
    many.push({
      teamId: teamA,
      appointmentInDays: i % 10, // 0..9 days: within 3 days is urgent for team A
      dueInHours: i % 7 === 0 ? null : (i % 13) - 4, // some overdue, some without target
      status: i % 5 === 0 ? "ASSIGNED" : "NEW",
      assigneeId: i % 5 === 0 ? handler.id : null,
      matchState: i % 11 === 0 ? "NEEDS_MATCHING" : i % 17 === 0 ? "NEEDS_TRIAGE" : "MATCHED",
      action: i % 2 ? "CHANGE" : "CANCEL",
      specialty: i % 3 ? "320" : "130",
    });
  }
  await seed(many);
  await seed([
    { teamId: teamB, appointmentInDays: 1, dueInHours: 1, name: "Bea Otherteam" },
    { teamId: null, appointmentInDays: 1, dueInHours: -2, name: "Una Unrouted" },
    {
      teamId: teamA,
      appointmentInDays: 2,
      dueInHours: 3,
      name: "Zoë O'Brien-Smith",
      identifier: "9434765919",
    },
    { teamId: teamA, appointmentInDays: null, dueInHours: 3, status: "ACTIONED", name: "Dan Done" },
  ]);
});

afterAll(() => setClock(systemClock));

describe("the worklist query", () => {
  it("walks the whole view by keyset, urgent first then due soonest, each row once", async () => {
    const { rows, counts } = await walk(handler, { view: "team" });
    expect(rows).toHaveLength(121);
    expect(counts.team).toBe(121);
    expect(new Set(rows.map((row) => row.id)).size).toBe(121);
    const firstNotUrgent = rows.findIndex((row) => !row.urgent);
    expect(rows.slice(firstNotUrgent).every((row) => !row.urgent)).toBe(true);
    for (const section of [rows.slice(0, firstNotUrgent), rows.slice(firstNotUrgent)]) {
      const dues = section.map((row) => (row.dueAt ? Date.parse(row.dueAt) : Infinity));
      expect(dues).toEqual([...dues].sort((a, b) => a - b));
    }
    // urgent = appointment within team A's 3 days
    expect(
      rows
        .filter((row) => row.urgent)
        .every((row) => Date.parse(row.appointmentAt!) < NOW.getTime() + 3 * DAY),
    ).toBe(true);
  });

  it("walks other sorts by keyset without gaps or repeats", async () => {
    for (const sort of ["due", "newest", "oldest", "appointment"] as const) {
      const { rows } = await walk(handler, { view: "team", sort });
      expect(new Set(rows.map((row) => row.id)).size, sort).toBe(121);
    }
    const { rows } = await walk(handler, { view: "team", sort: "newest" });
    const received = rows.map((row) => Date.parse(row.receivedAt));
    expect(received).toEqual([...received].sort((a, b) => b - a));
  });

  it("gives each view exactly the rows its count says", async () => {
    for (const view of WORKLIST_VIEWS) {
      const { rows, counts } = await walk(lead, { view });
      expect(rows.length, view).toBe(counts[view]);
    }
    const { rows } = await walk(lead, { view: "overdue" });
    expect(rows.every((row) => row.sla.text.startsWith("Overdue by"))).toBe(true);
    expect(
      (await walk(handler, { view: "mine" })).rows.every((row) => row.assignee === "Hana Handler"),
    ).toBe(true);
  });

  it("shows a handler their teams' queues only; a lead also the unrouted queue", async () => {
    const handlerRows = (await walk(handler, { view: "team" })).rows;
    expect(
      handlerRows.some((row) => row.patient === "Bea Otherteam" || row.patient === "Una Unrouted"),
    ).toBe(false);
    expect((await walk(handler, { view: "team", queue: teamB })).rows).toHaveLength(0);
    expect((await walk(handler, { view: "team", queue: "unrouted" })).rows).toHaveLength(0);
    const leadRows = (await walk(lead, { view: "team", queue: "unrouted" })).rows;
    expect(leadRows.map((row) => row.patient)).toEqual(["Una Unrouted"]);
    expect(leadRows[0]!.queue).toBe("Unrouted");
    expect((await walk(otherHandler, { view: "team" })).rows.map((row) => row.patient)).toEqual([
      "Bea Otherteam",
    ]);
    const exported = [];
    for await (const row of worklistRows(handler, { view: "team" }, 7)) exported.push(row.id);
    expect(exported).toEqual(handlerRows.map((row) => row.id));
  });

  it("scopes exactly as requestScope does (teams, unrouted for leads, assigned to me)", async () => {
    const prisma = db.current().prisma;
    const stray = await prisma.appointmentRequest.findFirstOrThrow({ where: { teamId: teamB } });
    const unroutedMine = await prisma.appointmentRequest.findFirstOrThrow({
      where: { teamId: null },
    });
    await prisma.appointmentRequest.updateMany({
      where: { id: { in: [stray.id, unroutedMine.id] } },
      data: { assigneeId: handler.id },
    });
    try {
      for (const viewer of [handler, lead, otherHandler]) {
        const viaPrisma = await prisma.appointmentRequest.findMany({
          where: requestScope(viewer),
          select: { id: true },
        });
        const viaSql = await prisma.$queryRaw<Array<{ id: string }>>(
          Prisma.sql`SELECT r."id" FROM "AppointmentRequest" r WHERE ${worklistScopeSql(viewer)}`,
        );
        expect(new Set(viaSql.map((r) => r.id))).toEqual(new Set(viaPrisma.map((r) => r.id)));
      }
      // The page reads the scope queue by queue: the request assigned to the handler in another
      // team's queue, or in the unrouted queue it cannot otherwise see, is walked once in every
      // order and counted.
      for (const sort of ["urgent", "due", "newest"] as const) {
        for (const view of ["team", "mine"] as const) {
          const { rows, counts } = await walk(handler, { view, sort });
          for (const id of [stray.id, unroutedMine.id]) {
            expect(
              rows.filter((row) => row.id === id),
              `${view} ${sort}`,
            ).toHaveLength(1);
          }
          expect(new Set(rows.map((row) => row.id)).size, `${view} ${sort}`).toBe(counts[view]);
        }
      }
    } finally {
      await prisma.appointmentRequest.updateMany({
        where: { id: { in: [stray.id, unroutedMine.id] } },
        data: { assigneeId: null },
      });
    }
  });

  it("filters by patient name or identifier, type, specialty and appointment dates", async () => {
    const byName = await walk(handler, { view: "team", q: "o'brien" });
    expect(byName.rows.map((row) => row.patient)).toEqual(["Zoë O'Brien-Smith"]);
    const byNumber = await walk(handler, { view: "team", q: "943 476 5919" });
    expect(byNumber.rows.map((row) => row.patient)).toEqual(["Zoë O'Brien-Smith"]);
    expect((await walk(handler, { view: "team", q: "%" })).rows).toHaveLength(0);
    const changes = await walk(handler, { view: "team", type: "CHANGE" });
    expect(changes.rows.length).toBe(60);
    expect(changes.rows.every((row) => row.action === "Change")).toBe(true);
    const eyes = await walk(handler, { view: "team", specialty: "130" });
    expect(eyes.rows.every((row) => row.specialtyCode === "130")).toBe(true);
    // 23 Nov 10:00Z + 2 days → 25 Nov; a from/to of 25 Nov holds exactly the 2-day appointments
    const dated = await walk(handler, { view: "team", from: "2026-11-25", to: "2026-11-25" });
    expect(dated.rows.length).toBe(13);
    expect(dated.rows.every((row) => row.appointmentAt?.startsWith("2026-11-25"))).toBe(true);
  });
});
