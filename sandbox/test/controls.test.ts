import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import {
  admin,
  basic,
  facade,
  parametersOf,
  partsByName,
  startTestSandbox,
  systemToken,
  type FhirPart,
  type Identifier,
} from "./support.ts";

let sb: RunningSandbox;
let eligible: Identifier[];

beforeAll(async () => {
  sb = await startTestSandbox();
  eligible = (
    (await admin(sb, "GET", "/patients?category=eligible&limit=30")).body.patients as {
      identifier: Identifier;
    }[]
  ).map((p) => p.identifier);
});
afterAll(() => sb.close());

describe("/_sandbox controls", () => {
  it("require the admin key", async () => {
    for (const key of [undefined, "wrong"]) {
      const res = await fetch(`${sb.url}/_sandbox/clock`, {
        headers: key ? { "x-sandbox-admin-key": key } : {},
      });
      expect(res.status).toBe(401);
    }
  });

  it("summarise the population, organisations and clients (no secrets)", async () => {
    const res = await admin(sb, "GET", "/");
    const population = res.body.population as {
      counts: Record<string, number>;
      organisations: unknown[];
    };
    expect(population.counts.patients).toBe(300);
    expect(population.organisations).toHaveLength(3);
    expect(JSON.stringify(res.body)).not.toContain("pkb-desk-system-secret");
  });

  it("list patients by category, as JSON or CSV", async () => {
    const csv = await fetch(`${sb.url}/_sandbox/patients?category=eligible&limit=5&format=csv`, {
      headers: { "x-sandbox-admin-key": sb.adminKey },
    });
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe(
      "nhs_number,identifier_system,title,given_name,family_name,date_of_birth,postcode,mobile,email",
    );
    expect(lines).toHaveLength(6);
    expect((await admin(sb, "GET", "/patients?category=bogus")).status).toBe(400);
  });

  it("move the clock forward, set it, and report it", async () => {
    const before = Date.parse((await admin(sb, "GET", "/clock")).body.now as string);
    const after = Date.parse(
      (await admin(sb, "POST", "/clock", { advanceSeconds: 3600 })).body.now as string,
    );
    expect(after - before).toBe(3_600_000);
    const set = await admin(sb, "POST", "/clock", { set: "2027-01-01T00:00:00Z" });
    expect(set.body.now).toBe("2027-01-01T00:00:00.000Z");
    await admin(sb, "POST", "/clock", { set: before });
  });

  it("let 30-day invitation tokens expire on the clock", async () => {
    const id = eligible[0] as Identifier;
    const res = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", [id]),
    );
    const parts = partsByName(res.body.parameter?.[0] as FhirPart);
    const join = `${sb.url}/join?t1=${parts.code?.valueString}&t2=${parts.token?.valueString}`;
    expect((await fetch(join)).status).toBe(200);
    await admin(sb, "POST", "/clock", { advanceSeconds: 30 * 86_400 });
    const expired = await fetch(join);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("This invitation has expired");
    await admin(sb, "POST", "/clock", { advanceSeconds: -30 * 86_400 });
  });

  it("reset to the seed: registrations, invitations, added messages and the call log go back", async () => {
    const id = eligible[1] as Identifier;
    await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", [id]),
    );
    await admin(sb, "POST", "/patients/register", { patients: [id] });
    const countBefore = (await admin(sb, "GET", "/")).body.population as {
      counts: Record<string, number>;
    };
    await admin(sb, "POST", "/messages", { patient: id, subject: "Hi", content: "x" });
    const reset = await admin(sb, "POST", "/reset", {});
    expect(reset.status).toBe(200);
    const patient = await admin(sb, "GET", `/patients/${id.value}`);
    expect(patient.body.registered).toBe(false);
    expect(patient.body.invitations).toEqual([]);
    const countAfter = (await admin(sb, "GET", "/")).body.population as {
      counts: Record<string, number>;
    };
    expect(countAfter.counts.messages).toBe(countBefore.counts.messages);
    expect(
      ((await admin(sb, "GET", "/calls")).body.endpoints as Record<string, unknown>)[
        "facade.generate-invitation-tokens"
      ],
    ).toBeUndefined();
  });

  it("keep a call log with per-endpoint counters, statuses and the largest batch", async () => {
    await admin(sb, "DELETE", "/calls");
    await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", eligible.slice(0, 7)),
    );
    await facade(sb, "Patient/$status-query", parametersOf("patientIdentifier", []));
    const calls = (await admin(sb, "GET", "/calls")).body as {
      endpoints: Record<
        string,
        { calls: number; byStatus: Record<string, number>; maxIdentifiers: number }
      >;
      recent: { endpoint: string; clientId?: string }[];
    };
    expect(calls.endpoints["facade.status-query"]).toMatchObject({
      calls: 2,
      byStatus: { "200": 1, "400": 1 },
      maxIdentifiers: 7,
    });
    expect(calls.recent.find((r) => r.endpoint === "facade.status-query")?.clientId).toBe(
      "pkb-desk-system",
    );
    expect(JSON.stringify(calls)).not.toContain(eligible[0]?.value ?? "-");
  });

  it("cancel an appointment the way a PAS update would", async () => {
    const patient = (await admin(sb, "GET", "/patients?category=with-appointments&limit=1")).body
      .patients as { identifier: Identifier }[];
    const detail = await admin(sb, "GET", `/patients/${patient[0]?.identifier.value}`);
    const appointment = (detail.body.appointments as { id: string }[])[0];
    const cancelled = await admin(sb, "POST", `/appointments/${appointment?.id}/cancel`);
    expect(cancelled.body.status).toBe("cancelled");
    expect((await admin(sb, "POST", "/appointments/not-an-id/cancel")).status).toBe(404);
  });
});

const MDM = (
  opts: { nhs?: string; docId?: string; type?: string; facility?: string } = {},
): string =>
  [
    `MSH|^~\\&|MAILPARTNER|${opts.facility ?? "ZZR"}|HL7API|PKB|20261121100000||${opts.type ?? "MDM^T02"}|msg-${Math.random().toString(36).slice(2)}|P|2.4`,
    "EVN|T02|20261121100000",
    `PID|||${opts.nhs ?? "9434765919"}^^^NHS^NH||Hart^Amelia^^Mrs||19750314|F`,
    "PV1||O",
    `TXA|1|CL^Clinic letter|TX|20261121100000||||||||${opts.docId ?? ""}||||||AU`,
    "OBX|1|ED|LETTER^Clinic letter||^APPLICATION^PDF^Base64^JVBERi0=||||||F",
  ].join("\r");

async function hl7(
  body: string,
  auth = basic("pkb-desk-system", "pkb-desk-system-secret"),
): Promise<{ status: number; ack: string }> {
  const res = await fetch(`${sb.url}/services/hl7`, {
    method: "POST",
    headers: { "content-type": "application/hl7-v2", authorization: auth },
    body,
  });
  return { status: res.status, ack: await res.text() };
}

describe("POST /services/hl7 (MDM^T02 → ACK)", () => {
  it("files the document (AA) so read-receipt-query sees it, unread until read", async () => {
    const docId = crypto.randomUUID();
    const { status, ack } = await hl7(MDM({ docId }));
    expect(status).toBe(200);
    expect(ack).toMatch(/^MSH\|\^~\\&\|PKB\|PKB\|MAILPARTNER\|ZZR\|\d{14}\|\|ACK\^T02\^ACK\|/);
    expect(ack).toMatch(/\rMSA\|AA\|msg-/);
    const receipts = await facade(
      sb,
      "DocumentReference/$read-receipt-query",
      parametersOf("documentIdentifier", [{ value: docId }]),
    );
    expect(partsByName(receipts.body.parameter?.[0] as FhirPart).read?.valueBoolean).toBe(false);
    const other = await facade(
      sb,
      "DocumentReference/$read-receipt-query",
      parametersOf("documentIdentifier", [{ value: docId }]),
      {
        org: sb.organisations[2]?.publicId,
        token: await systemToken(sb),
      },
    );
    expect(other.body.parameter).toBeUndefined();
  });

  it("answers AE for an unknown patient, a missing TXA-12.1 and a duplicate document", async () => {
    expect((await hl7(MDM({ nhs: "4000000004", docId: crypto.randomUUID() }))).ack).toMatch(
      /MSA\|AE\|[^|]*\|Patient not found/,
    );
    expect((await hl7(MDM({ docId: "" }))).ack).toMatch(/MSA\|AE\|[^|]*\|TXA-12\.1/);
    const docId = crypto.randomUUID();
    expect((await hl7(MDM({ docId }))).ack).toContain("MSA|AA|");
    const dup = await hl7(MDM({ docId }));
    expect(dup.ack).toMatch(/MSA\|AE\|[^|]*\|Duplicate document/);
    expect(dup.ack).toContain("\rERR|");
  });

  it("answers AR for another message type, garbage and an unknown organisation; 401 without credentials", async () => {
    expect((await hl7(MDM({ type: "ADT^A28", docId: "x" }))).ack).toMatch(/MSA\|AR\|/);
    expect((await hl7("hello")).ack).toMatch(/MSA\|AR\|\|Not an HL7/);
    expect((await hl7(MDM({ facility: "NOPE", docId: crypto.randomUUID() }))).ack).toMatch(
      /MSA\|AR\|/,
    );
    expect((await hl7(MDM({ docId: "y" }), basic("pkb-desk-system", "bad"))).status).toBe(401);
  });
});
