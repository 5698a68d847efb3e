import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import type { NationalIdentifier, PkbMessage, SyncSources } from "./ports.ts";
import { RunCache, preparePage } from "./prepare.ts";
import { syncGrantRequests, type SyncHooks } from "./run.server.ts";
import { readCursor, storePage } from "./store-page.server.ts";

/**
 * The sync against an in-memory PKB that pages harder than the sandbox (it cuts pages at exactly
 * 100, even inside a run of same-millisecond messages) and can be told to fail. The database is
 * real. The SIGKILL test against the sandbox is in kill-recovery.test.ts.
 */
const db = withTestDatabase();

const PAGE = 100;
const NHS = "https://fhir.nhs.uk/Id/nhs-number";

class FakePkb implements SyncSources {
  messages: PkbMessage[] = [];
  calls = 0;
  failAppointmentsAfterCalls: number | null = null;
  failWith: Error = new Error("PKB unavailable");
  appointmentStart = new Map<string, Date>();

  addRequest(patientId: string, timestamp: number, wall = "14/05/2026 10:30"): PkbMessage {
    const message: PkbMessage = {
      id: randomUUID(),
      conversationId: null,
      timestamp: new Date(timestamp),
      subject: `Request to cancel appointment: ${wall} Cardiology follow-up`,
      content: "I am better now.",
      senderId: patientId,
      patientId,
    };
    this.messages.push(message);
    return message;
  }
  addConversation(patientId: string, timestamp: number): PkbMessage {
    const message = { ...this.addRequest(patientId, timestamp), subject: "Test results" };
    this.messages[this.messages.length - 1] = message;
    return message;
  }
  sorted(): PkbMessage[] {
    return [...this.messages].sort(
      (a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : 1),
    );
  }
  async messagesAfter(after: Date): Promise<PkbMessage[]> {
    this.calls++;
    return this.sorted()
      .filter((m) => m.timestamp.getTime() > after.getTime())
      .slice(0, PAGE);
  }
  async patientByPublicId(publicId: string) {
    this.calls++;
    return {
      found: true as const,
      identifier: { system: NHS, value: this.numberOf(publicId) },
      displayName: "Test Patient",
    };
  }
  async appointmentsOf(identifier: NationalIdentifier, options: { status?: string }) {
    this.calls++;
    if (this.failAppointmentsAfterCalls !== null && this.calls > this.failAppointmentsAfterCalls) {
      throw this.failWith;
    }
    if (options.status === "pending") return [];
    return [
      {
        id: `appt-${identifier.value}`,
        patientKey: this.patientOf(identifier),
        start: new Date("2026-05-14T09:30:00Z"),
        end: new Date("2026-05-14T10:00:00Z"),
        status: "booked",
        subject: "Cardiology follow-up",
        specialtyCode: "320",
        specialtyDisplay: "Cardiology",
        serviceType: "Outpatient",
        location: "Clinic 1",
      },
    ];
  }
  private readonly numbers = new Map<string, string>();
  private numberOf(publicId: string): string {
    let value = this.numbers.get(publicId);
    if (!value) {
      value = String(9_000_000_000 + this.numbers.size);
      this.numbers.set(publicId, value);
    }
    return value;
  }
  private patientOf(identifier: NationalIdentifier): string {
    return [...this.numbers].find(([, value]) => value === identifier.value)?.[0] ?? "";
  }
  callCount(): number {
    return this.calls;
  }
}

const hooks: SyncHooks = {
  isReauthorisationNeeded: (error) =>
    error instanceof Error && error.name === "GrantNeedsReauthorisationError",
  describe: (error) => (error instanceof Error ? error.message : "unknown"),
};

async function stored(grantId: string) {
  const prisma = db.current().prisma;
  const requests = await prisma.appointmentRequest.findMany({
    where: { grantId },
    select: { pkbMessageId: true, matchState: true, matchedAppointmentId: true },
  });
  const nonRequests = await prisma.nonRequestMessage.findMany({ where: { grantId } });
  return { requests, nonRequests };
}

/** A population with runs of same-millisecond messages straddling page edges. */
function population(pkb: FakePkb, count: number): void {
  let t = Date.parse("2026-04-01T08:00:00Z");
  for (let i = 0; i < count; i++) {
    if (i % 9 !== 0) t += 1000; // every ninth message shares the previous one's millisecond
    const patient = randomUUID();
    if (i % 4 === 0) pkb.addConversation(patient, t);
    else pkb.addRequest(patient, t);
  }
}

describe("request sync", () => {
  let grantId: string;
  beforeEach(() => {
    grantId = randomUUID();
  });

  it("stores every message once — as a request or a counted non-request — and a second run adds nothing", async () => {
    const pkb = new FakePkb();
    population(pkb, 437);
    // A run of 30 messages in one millisecond across the first page edge.
    const tie = pkb.messages[85]!.timestamp.getTime();
    for (let i = 0; i < 30; i++) pkb.addRequest(randomUUID(), tie);

    const first = await syncGrantRequests({
      prisma: db.current().prisma,
      grantId,
      trigger: "manual",
      sources: pkb,
      hooks,
    });
    expect(first.status).toBe("SUCCEEDED");
    const after = await stored(grantId);
    const ids = new Set([
      ...after.requests.map((r) => r.pkbMessageId),
      ...after.nonRequests.map((m) => m.pkbMessageId),
    ]);
    expect(after.requests.length + after.nonRequests.length).toBe(pkb.messages.length);
    expect(ids).toEqual(new Set(pkb.messages.map((m) => m.id)));
    expect(after.requests.every((r) => r.matchState === "MATCHED")).toBe(true);

    const second = await syncGrantRequests({
      prisma: db.current().prisma,
      grantId,
      trigger: "schedule",
      sources: pkb,
      hooks,
    });
    expect(second).toMatchObject({ status: "SUCCEEDED", messages: 0, requests: 0 });
    const again = await stored(grantId);
    expect(again.requests.length).toBe(after.requests.length);

    const runs = await db.current().prisma.requestSyncRun.findMany({
      where: { grantId },
      orderBy: { startedAt: "asc" },
    });
    expect(runs.map((r) => r.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(runs[0]).toMatchObject({
      messages: pkb.messages.length,
      requests: after.requests.length,
      nonRequests: after.nonRequests.length,
    });
  });

  it("picks up a message filed later in the same millisecond as the cursor", async () => {
    const pkb = new FakePkb();
    population(pkb, 20);
    const prisma = db.current().prisma;
    await syncGrantRequests({ prisma, grantId, trigger: "manual", sources: pkb, hooks });
    const cursor = await readCursor(prisma, grantId);
    const late = pkb.addRequest(randomUUID(), cursor.lastTimestamp!.getTime());
    const run = await syncGrantRequests({
      prisma,
      grantId,
      trigger: "manual",
      sources: pkb,
      hooks,
    });
    expect(run).toMatchObject({ status: "SUCCEEDED", messages: 1, requests: 1 });
    expect((await stored(grantId)).requests.map((r) => r.pkbMessageId)).toContain(late.id);
  });

  it("storing the same page twice leaves one row per message", async () => {
    const pkb = new FakePkb();
    population(pkb, 50);
    const prisma = db.current().prisma;
    const run = await prisma.requestSyncRun.create({ data: { grantId, trigger: "manual" } });
    const page = await preparePage(pkb.sorted(), new RunCache(pkb));
    const cursor = { lastTimestamp: pkb.sorted().at(-1)!.timestamp, idsAtLastTimestamp: [] };
    const once = await storePage(prisma, grantId, run.id, page, cursor, 50);
    const twice = await storePage(prisma, grantId, run.id, page, cursor, 50);
    expect(once.requestsInserted + once.nonRequestsInserted).toBe(50);
    expect(twice).toEqual({ requestsInserted: 0, nonRequestsInserted: 0 });
    const rows = await stored(grantId);
    expect(rows.requests.length + rows.nonRequests.length).toBe(50);
  });

  it("a failure mid-run keeps the pages already stored, and the next run carries on without repeats", async () => {
    const pkb = new FakePkb();
    population(pkb, 300);
    const prisma = db.current().prisma;
    pkb.failAppointmentsAfterCalls = 450;
    const failed = await syncGrantRequests({
      prisma,
      grantId,
      trigger: "manual",
      sources: pkb,
      hooks,
    });
    expect(failed).toMatchObject({ status: "FAILED", summary: "PKB unavailable" });
    const partial = await stored(grantId);
    expect(partial.requests.length + partial.nonRequests.length).toBeGreaterThan(0);
    expect(partial.requests.length + partial.nonRequests.length).toBeLessThan(300);

    pkb.failAppointmentsAfterCalls = null;
    const resumed = await syncGrantRequests({
      prisma,
      grantId,
      trigger: "schedule",
      sources: pkb,
      hooks,
    });
    expect(resumed.status).toBe("SUCCEEDED");
    const all = await stored(grantId);
    expect(all.requests.length + all.nonRequests.length).toBe(300);
    const runs = await prisma.requestSyncRun.findMany({
      where: { grantId },
      orderBy: { startedAt: "asc" },
    });
    expect(runs.map((r) => [r.status, r.errors])).toEqual([
      ["FAILED", 1],
      ["SUCCEEDED", 0],
    ]);
    expect(runs[0]!.errorSummary).toBe("PKB unavailable");
  });

  it("a grant that needs re-authorisation stops the run without a retry", async () => {
    const pkb = new FakePkb();
    population(pkb, 10);
    pkb.failAppointmentsAfterCalls = 0;
    pkb.failWith = Object.assign(new Error("grant is dead"), {
      name: "GrantNeedsReauthorisationError",
    });
    let failures = 0;
    const outcome = await syncGrantRequests({
      prisma: db.current().prisma,
      grantId,
      trigger: "schedule",
      sources: pkb,
      hooks: { ...hooks, onFailure: async () => void failures++ },
    });
    expect(outcome.status).toBe("STOPPED_NEEDS_REAUTHORISATION");
    expect(failures).toBe(0);
    expect(await stored(grantId)).toEqual({ requests: [], nonRequests: [] });
  });

  it("marks a run left RUNNING by a dead worker as interrupted", async () => {
    const prisma = db.current().prisma;
    await prisma.requestSyncRun.create({ data: { grantId, trigger: "schedule" } });
    await syncGrantRequests({ prisma, grantId, trigger: "manual", sources: new FakePkb(), hooks });
    const runs = await prisma.requestSyncRun.findMany({
      where: { grantId },
      orderBy: { startedAt: "asc" },
    });
    expect(runs.map((r) => r.status)).toEqual(["INTERRUPTED", "SUCCEEDED"]);
  });
});
