import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Role } from "~/generated/prisma/enums.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { signedInAs } from "../../../../tests/support/requests.ts";
import type { PreparedPage, PreparedRequest } from "../sync/prepare.ts";
import { storePage } from "../sync/store-page.server.ts";
import {
  deleteRule,
  moveRule,
  previewRule,
  rerouteCount,
  rerouteOpenRequests,
  RoutingRuleError,
  RuleInputSchema,
  saveRule,
  setRuleEnabled,
  type RoutingActor,
} from "./routing.server.ts";

const db = withTestDatabase();

async function teamId(name: string): Promise<string> {
  const team = await db
    .current()
    .prisma.team.upsert({ where: { name }, create: { name }, update: {} });
  return team.id;
}

async function actor(role: Role, teams: string[]): Promise<RoutingActor> {
  const identity = await signedInAs(role, teams);
  return {
    id: identity.userId,
    role,
    teamIds: await Promise.all(teams.map(teamId)),
    label: identity.email,
    clientAddress: "127.0.0.1",
  };
}

function prepared(specialtyCode: string | null, location = "Clinic 1"): PreparedRequest {
  const publicId = randomUUID();
  return {
    pkbMessageId: randomUUID(),
    conversationId: null,
    patientPublicId: publicId,
    identifierSystem: null,
    identifierValue: null,
    patientDisplayName: null,
    action: "CANCEL",
    quotedStart: null,
    quotedWallTime: null,
    quotedSubject: null,
    rawSubject: "Request to cancel appointment",
    patientNote: "",
    receivedAt: new Date("2026-05-04T09:00:00Z"),
    matchState: specialtyCode ? "MATCHED" : "NEEDS_TRIAGE",
    matchConfidence: specialtyCode ? 1 : 0,
    matchReason: "test",
    matched: specialtyCode
      ? {
          id: randomUUID(),
          start: "2026-06-01T09:00:00.000Z",
          end: null,
          status: "booked",
          subject: "Follow-up",
          specialtyCode,
          specialtyDisplay: `Specialty ${specialtyCode}`,
          serviceType: "Outpatient",
          location,
        }
      : null,
    candidates: [],
  };
}

async function store(requests: PreparedRequest[]) {
  const grantId = randomUUID();
  const run = await db
    .current()
    .prisma.requestSyncRun.create({ data: { grantId, trigger: "manual" } });
  const page: PreparedPage = { requests, nonRequests: [] };
  await storePage(
    db.current().prisma,
    grantId,
    run.id,
    page,
    { lastTimestamp: null, idsAtLastTimestamp: [] },
    requests.length,
  );
  return db.current().prisma.appointmentRequest.findMany({
    where: { grantId },
    include: { events: true },
    orderBy: { pkbMessageId: "asc" },
  });
}

const input = (fields: Record<string, string>) =>
  RuleInputSchema.parse({ enabled: "on", ...fields });

describe("routing new requests as the sync stores them", () => {
  it("first matching rule wins; no match → unrouted; a 'routed' event and an SLA deadline each", async () => {
    const prisma = db.current().prisma;
    await prisma.routingRule.deleteMany({});
    const lead = await actor("TEAM_LEAD", ["Cardiology R1", "Clinic one R1"]);
    const handler = await actor("REQUEST_HANDLER", ["Cardiology R1"]);
    const [cardiology, clinicOne] = lead.teamIds as [string, string];
    await saveRule(
      prisma,
      lead,
      null,
      input({ name: "Cardiology", specialtyCode: "320", teamId: cardiology }),
    );
    await saveRule(
      prisma,
      lead,
      null,
      input({ name: "Clinic 1", location: "Clinic 1", teamId: clinicOne }),
    );
    // A disabled rule first, which would otherwise take the cardiology request.
    const off = await saveRule(
      prisma,
      lead,
      null,
      input({ name: "Off", specialtyCode: "320", teamId: clinicOne, beforeRuleId: "" }),
    );
    await moveRule(prisma, lead, off.id, "up");
    await moveRule(prisma, lead, off.id, "up");
    await setRuleEnabled(prisma, lead, off.id, false);
    const direct = await saveRule(
      prisma,
      lead,
      null,
      input({
        name: "To a person",
        specialtyCode: "110",
        teamId: cardiology,
        assigneeId: handler.id,
      }),
    );
    const rows = await store([
      prepared("320"),
      prepared("330"),
      prepared("330", "Elsewhere"),
      prepared(null),
      prepared("110", "Elsewhere"),
    ]);
    const by = (code: string | null, location?: string) =>
      rows.find(
        (r) =>
          r.matchedSpecialtyCode === code &&
          (location === undefined || r.matchedLocation === location),
      )!;
    expect(by("320").teamId).toBe(cardiology);
    expect(by("330", "Clinic 1").teamId).toBe(clinicOne);
    expect(by("330", "Elsewhere").teamId).toBeNull();
    expect(by(null).teamId).toBeNull();
    expect(by("110")).toMatchObject({
      teamId: cardiology,
      assigneeId: handler.id,
      status: "ASSIGNED",
      routedByRuleId: direct.id,
    });
    for (const row of rows) {
      expect(row.events).toEqual([
        expect.objectContaining({ kind: "routed", actorLabel: "system", toStatus: row.status }),
      ]);
      expect(row.routedAt).not.toBeNull();
      // Default service level (16 working hours, 08:00–18:00) from Monday 4 May 2026 10:00 UK
      // time — the early May bank holiday: Tuesday's 10 hours, then 6 on Wednesday (14:00 BST).
      expect(row.dueAt?.toISOString()).toBe("2026-05-06T13:00:00.000Z");
    }
  });
});

describe("managing rules", () => {
  it("a lead manages only their own teams' rules; another team's rule is not found", async () => {
    const prisma = db.current().prisma;
    const lead = await actor("TEAM_LEAD", ["Cardiology M1"]);
    const otherLead = await actor("TEAM_LEAD", ["Dermatology M1"]);
    await expect(
      saveRule(
        prisma,
        lead,
        null,
        input({ name: "x", specialtyCode: "330", teamId: otherLead.teamIds[0]! }),
      ),
    ).rejects.toThrow(/your own teams/);
    const theirs = await saveRule(
      prisma,
      otherLead,
      null,
      input({ name: "Derm", specialtyCode: "330", teamId: otherLead.teamIds[0]! }),
    );
    const error = await deleteRule(prisma, lead, theirs.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoutingRuleError);
    expect((error as RoutingRuleError).notFound).toBe(true);
    const admin = await actor("ADMIN", []);
    await setRuleEnabled(prisma, admin, theirs.id, false);
    expect((await prisma.routingRule.findUniqueOrThrow({ where: { id: theirs.id } })).enabled).toBe(
      false,
    );
  });

  it("a rule's person must be in its team", async () => {
    const prisma = db.current().prisma;
    const lead = await actor("TEAM_LEAD", ["Cardiology M2"]);
    const outsider = await actor("REQUEST_HANDLER", ["Dermatology M2"]);
    await expect(
      saveRule(
        prisma,
        lead,
        null,
        input({ name: "x", teamId: lead.teamIds[0]!, assigneeId: outsider.id }),
      ),
    ).rejects.toThrow(/person in that team/);
  });

  it("orders rules: place before, move up and down, delete closes the gap; each audited", async () => {
    const prisma = db.current().prisma;
    await prisma.routingRule.deleteMany({});
    const lead = await actor("TEAM_LEAD", ["Cardiology M3"]);
    const team = lead.teamIds[0]!;
    const a = await saveRule(
      prisma,
      lead,
      null,
      input({ name: "A", specialtyCode: "1", teamId: team }),
    );
    const b = await saveRule(
      prisma,
      lead,
      null,
      input({ name: "B", specialtyCode: "2", teamId: team }),
    );
    const c = await saveRule(
      prisma,
      lead,
      null,
      input({ name: "C", specialtyCode: "3", teamId: team, beforeRuleId: a.id }),
    );
    const order = async () =>
      (await prisma.routingRule.findMany({ orderBy: { position: "asc" } })).map((r) => [
        r.name,
        r.position,
      ]);
    expect(await order()).toEqual([
      ["C", 0],
      ["A", 1],
      ["B", 2],
    ]);
    await moveRule(prisma, lead, b.id, "up");
    expect(await order()).toEqual([
      ["C", 0],
      ["B", 1],
      ["A", 2],
    ]);
    await moveRule(prisma, lead, c.id, "up"); // already first: nothing
    await moveRule(prisma, lead, c.id, "down");
    expect(await order()).toEqual([
      ["B", 0],
      ["C", 1],
      ["A", 2],
    ]);
    await deleteRule(prisma, lead, c.id);
    expect(await order()).toEqual([
      ["B", 0],
      ["A", 1],
    ]);
    const actions = (
      await prisma.auditEvent.findMany({
        where: { actorId: lead.id },
        orderBy: { occurredAt: "asc" },
      })
    ).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(["routing-rule.create", "routing-rule.move", "routing-rule.delete"]),
    );
  });
});

describe("preview", () => {
  it("shows which of the latest requests the draft would take in its place, without saving it", async () => {
    const prisma = db.current().prisma;
    await prisma.routingRule.deleteMany({});
    await prisma.appointmentRequest.deleteMany({});
    const lead = await actor("TEAM_LEAD", ["Cardiology P1", "Outpatients P1"]);
    const [cardiology, outpatients] = lead.teamIds as [string, string];
    await saveRule(
      prisma,
      lead,
      null,
      input({ name: "All outpatients", serviceType: "Outpatient", teamId: outpatients }),
    );
    await store([prepared("320"), prepared("320"), prepared("330")]);
    const last = await previewRule(prisma, {
      id: null,
      input: input({ name: "Cardiology", specialtyCode: "320", teamId: cardiology }),
    });
    expect(last.rules.map((r) => [r.name, r.takes])).toEqual([
      ["All outpatients", 3],
      ["Cardiology", 0],
    ]);
    const rules = await prisma.routingRule.findMany();
    const first = await previewRule(prisma, {
      id: null,
      input: input({
        name: "Cardiology",
        specialtyCode: "320",
        teamId: cardiology,
        beforeRuleId: rules[0]!.id,
      }),
    });
    expect(first.rules.map((r) => [r.name, r.takes, r.isDraft])).toEqual([
      ["Cardiology", 2, true],
      ["All outpatients", 1, false],
    ]);
    expect(first.draftTakes.map((r) => r.queueNow)).toEqual(["Outpatients P1", "Outpatients P1"]);
    expect(first.unrouted).toBe(0);
    expect(await prisma.routingRule.count()).toBe(1);
  });
});

describe("re-routing open requests", () => {
  it("happens only when asked: a new rule changes nothing stored until then; taken requests stay", async () => {
    const prisma = db.current().prisma;
    await prisma.routingRule.deleteMany({});
    await prisma.appointmentRequest.deleteMany({});
    const lead = await actor("TEAM_LEAD", ["Cardiology Q1"]);
    const cardiology = lead.teamIds[0]!;
    const rows = await store([prepared("320"), prepared("320"), prepared("320")]);
    expect(rows.every((r) => r.teamId === null)).toBe(true);
    // One is already being worked, one is closed.
    await prisma.appointmentRequest.update({
      where: { id: rows[0]!.id },
      data: { status: "ASSIGNED", assigneeId: lead.id },
    });
    await prisma.appointmentRequest.update({
      where: { id: rows[1]!.id },
      data: { status: "REJECTED" },
    });

    await saveRule(
      prisma,
      lead,
      null,
      input({ name: "Cardiology", specialtyCode: "320", teamId: cardiology }),
    );
    expect(await prisma.appointmentRequest.count({ where: { teamId: cardiology } })).toBe(0);
    expect(await rerouteCount(prisma, lead)).toBe(1);

    const result = await rerouteOpenRequests(prisma, lead);
    expect(result).toEqual({ moved: 1 });
    const after = await prisma.appointmentRequest.findUniqueOrThrow({
      where: { id: rows[2]!.id },
      include: { events: { orderBy: { createdAt: "asc" } } },
    });
    expect(after.teamId).toBe(cardiology);
    expect(after.events.map((e) => e.kind)).toEqual(["routed", "rerouted"]);
    expect(after.dueAt).not.toBeNull();
    expect(
      (await prisma.appointmentRequest.findUniqueOrThrow({ where: { id: rows[0]!.id } })).teamId,
    ).toBeNull();
    expect(
      (await prisma.appointmentRequest.findUniqueOrThrow({ where: { id: rows[1]!.id } })).teamId,
    ).toBeNull();
    expect(
      await prisma.auditEvent.count({
        where: { action: "routing.reroute-open", actorId: lead.id },
      }),
    ).toBe(1);
    expect(
      await prisma.auditEvent.count({
        where: { action: "request.rerouted", entityId: rows[2]!.id },
      }),
    ).toBe(1);
    expect(await rerouteCount(prisma, lead)).toBe(0);
  });
});
