import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restClient } from "~/modules/pkb/rest-client.server.ts";
import { userTokenSource } from "~/modules/pkb/grants.server.ts";
import { unseal } from "~/modules/pkb/secrets.server.ts";
import { endpointsForOrigin } from "~/modules/pkb/endpoints.ts";
import { createLogger, getLogger, setLogger } from "~/platform/logger.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import { startSandbox, type RunningSandbox } from "../../../../sandbox/src/server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { grantOnSandbox } from "../../../../tests/support/requests-sync.ts";
import { sourcesForGrant, syncHooks } from "../jobs.server.ts";
import { syncGrantRequests } from "./run.server.ts";

/**
 * The sync over real HTTP against the sandbox, with the real PKB clients and a real clinician
 * grant: every message PKB lists becomes exactly one request or one counted non-request; matched
 * requests agree with the sandbox's own records; a new request for a known appointment matches
 * it; an ambiguous one waits for a person; and the logs of the whole run hold no patient data
 * or tokens.
 */
withTestDatabase();

const captured: string[] = [];
const previousLogger = getLogger();
let sandbox: RunningSandbox;
let grantId: string;

beforeAll(async () => {
  setLogger(
    createLogger({
      level: "debug",
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          captured.push(chunk.toString());
          done();
        },
      }),
    }),
  );
  sandbox = await startSandbox({
    port: 0,
    patients: 400,
    seed: 11,
    now: "2026-11-21T10:00:00Z",
    frozenClock: true,
  });
  grantId = await grantOnSandbox(sandbox);
});

afterAll(async () => {
  setLogger(previousLogger);
  await sandbox?.close();
  await stopJobRuntime();
});

async function sync() {
  const sources = await sourcesForGrant(grantId);
  if (!sources) throw new Error("no sources");
  return syncGrantRequests({
    prisma: await prisma(),
    grantId,
    trigger: "manual",
    sources,
    hooks: syncHooks,
  });
}

/** Every message id the clinician can read, walked independently with the REST client. */
async function sandboxMessageIds(): Promise<string[]> {
  const rest = restClient({
    endpoints: endpointsForOrigin(sandbox.url),
    token: userTokenSource(grantId),
  });
  const ids: string[] = [];
  for await (const page of rest.messagePages({ afterMs: 0, idsAtCursor: [] })) {
    ids.push(...page.messages.map((m) => m.id));
  }
  return ids;
}

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${sandbox.url}/_sandbox${path}`, {
    method,
    headers: {
      "x-sandbox-admin-key": sandbox.adminKey,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

describe("request sync against the sandbox", () => {
  it("stores every message PKB lists exactly once, and matches agree with PKB's records", async () => {
    const outcome = await sync();
    expect(outcome.status).toBe("SUCCEEDED");
    const db = await prisma();
    const requests = await db.appointmentRequest.findMany({ where: { grantId } });
    const others = await db.nonRequestMessage.findMany({ where: { grantId } });
    const listed = await sandboxMessageIds();
    expect(new Set(listed).size).toBe(listed.length);
    expect(
      [...requests.map((r) => r.pkbMessageId), ...others.map((o) => o.pkbMessageId)].sort(),
    ).toEqual([...listed].sort());
    expect(requests.length).toBeGreaterThan(20);
    expect(others.length).toBeGreaterThan(5);

    const state = sandbox.app.state;
    const matched = requests.filter((r) => r.matchState === "MATCHED");
    const byState: Record<string, number> = {};
    for (const r of requests) byState[r.matchState] = (byState[r.matchState] ?? 0) + 1;
    process.stdout.write(
      `sandbox sync: ${listed.length} messages, ${requests.length} requests (${Object.entries(
        byState,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}), ${others.length} other messages\n`,
    );
    // Most requests quote their appointment exactly (the sandbox makes ~2% wrong on purpose).
    expect(matched.length / requests.length).toBeGreaterThan(0.85);
    for (const request of matched) {
      const appointment = state.appointmentById(request.matchedAppointmentId!);
      expect(appointment, request.id).toBeDefined();
      const patient = state.population.patients[appointment!.patientIndex]!;
      expect(patient.publicId).toBe(request.patientPublicId);
      expect(appointment!.start).toBe(request.quotedStart!.getTime());
      expect(request.matchedStart!.getTime()).toBe(appointment!.start);
    }
    const run = await db.requestSyncRun.findUniqueOrThrow({ where: { id: outcome.runId } });
    expect(run).toMatchObject({
      status: "SUCCEEDED",
      messages: listed.length,
      requests: requests.length,
      nonRequests: others.length,
    });
    expect(run.pkbCalls).toBeGreaterThan(0);
  });

  it("matches a new request to its appointment, and leaves an ambiguous one for a person", async () => {
    const state = sandbox.app.state;
    const now = sandbox.clock.now();
    const patients = state.population.patients.filter((p) => state.canOrganisationSee(0, p));
    // A booked future appointment whose patient has no other appointment at that time.
    const single = state.population.appointments.find(
      (a) =>
        a.status === "booked" &&
        a.requestAt === null &&
        a.start > now + 7 * 86_400_000 &&
        patients.includes(state.population.patients[a.patientIndex]!) &&
        state.population.patients[a.patientIndex]!.appointmentIndexes.filter(
          (i) => state.population.appointments[i]!.start === a.start,
        ).length === 1,
    )!;
    const singleId = state.appointmentIdOf(single);
    const created = await admin("POST", "/messages", {
      appointmentId: singleId,
      kind: "change",
      content: "Could we make it later?",
    });

    // Two appointments of one patient at the very same time; the request quotes no subject.
    const pair = state.population.appointments.find((a) => {
      const patient = state.population.patients[a.patientIndex]!;
      return (
        patients.includes(patient) &&
        patient.appointmentIndexes.some(
          (i) => i !== a.index && state.population.appointments[i]!.start === a.start,
        )
      );
    })!;
    const pairPatient = state.population.patients[pair.patientIndex]!;
    const wall = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .format(new Date(pair.start))
      .replace(",", "");
    const ambiguous = await admin("POST", "/messages", {
      patient: { publicId: pairPatient.publicId },
      subject: `Request to cancel appointment: ${wall}`,
    });

    const outcome = await sync();
    expect(outcome).toMatchObject({ status: "SUCCEEDED", messages: 2, requests: 2 });
    const db = await prisma();
    const matched = await db.appointmentRequest.findFirstOrThrow({
      where: { grantId, pkbMessageId: created.id as string },
    });
    expect(matched).toMatchObject({
      matchState: "MATCHED",
      matchedAppointmentId: singleId,
      action: "CHANGE",
      patientNote: "Could we make it later?",
    });
    expect(matched.identifierValue).toBe(
      state.population.patients[single.patientIndex]!.nationalId,
    );
    const waiting = await db.appointmentRequest.findFirstOrThrow({
      where: { grantId, pkbMessageId: ambiguous.id as string },
    });
    expect(waiting.matchState).toBe("NEEDS_MATCHING");
    expect(waiting.matchedAppointmentId).toBeNull();
    const candidateIds = (waiting.candidates as Array<{ id: string }>).map((c) => c.id);
    for (const index of pairPatient.appointmentIndexes) {
      expect(candidateIds).toContain(state.appointmentIdOf(state.population.appointments[index]!));
    }
  });

  it("logs ids and counts only: no token, name, national number or message text", async () => {
    const db = await prisma();
    const requests = await db.appointmentRequest.findMany({ where: { grantId } });
    const grant = await db.pkbGrant.findUniqueOrThrow({ where: { id: grantId } });
    const logs = captured.join("");
    expect(logs).toContain("request sync finished");
    const secrets = new Set<string>();
    for (const r of requests) {
      if (r.identifierValue) secrets.add(r.identifierValue);
      for (const part of (r.patientDisplayName ?? "").split(" ")) {
        if (part.length > 3) secrets.add(part);
      }
      if (r.patientNote.length > 10) secrets.add(r.patientNote);
      if (r.rawSubject) secrets.add(r.rawSubject);
      if (r.quotedSubject) secrets.add(r.quotedSubject);
    }
    // The clinician's tokens, as stored (ciphertext) and in plain text.
    secrets.add(grant.accessToken!);
    secrets.add(unseal(grant.accessToken!, grant.id));
    secrets.add(unseal(grant.refreshToken!, grant.id));
    const leaked = [...secrets].filter((s) => logs.includes(s));
    expect(leaked).toEqual([]);
    expect(secrets.size).toBeGreaterThan(50);
  });
});
