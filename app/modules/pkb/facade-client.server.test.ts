import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { facadeClient, identifierKey, type PatientIdentifier } from "./facade-client.server.ts";
import { createPkbHttp } from "./http.server.ts";
import { IDENTIFIER_SYSTEMS } from "./identifiers.ts";
import { systemTokenSource } from "./system-tokens.server.ts";
import {
  fixedToken,
  sendJson,
  startStandIn,
  startTestSandbox,
  SYSTEM_CLIENT,
  type TestSandbox,
} from "./testing/pkb-sandbox.ts";

let sb: TestSandbox;
const http = createPkbHttp({ sleep: () => Promise.resolve() });

beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(() => sb.close());

const nhs = (value: string): PatientIdentifier => ({ system: IDENTIFIER_SYSTEMS.nhs, value });
const nhsOnly = (ids: PatientIdentifier[]) =>
  ids.filter((id) => id.system === IDENTIFIER_SYSTEMS.nhs);

function sandboxFacade() {
  return facadeClient({
    endpoints: sb.endpoints,
    organisationPublicId: sb.trustPublicId,
    token: systemTokenSource(sb.endpoints, SYSTEM_CLIENT, { http }),
    http,
  });
}

describe("against the sandbox", () => {
  it("reads each status by identifier: found, deceased, registered, not found, no access", async () => {
    const samples = sb.sandbox.summary().samples;
    const [eligible] = nhsOnly(samples.eligible);
    const [deceased] = nhsOnly(samples.deceased);
    const [registered] = nhsOnly(samples.registered);
    const [noAccess] = nhsOnly(samples["no-access"]);
    const notFound = nhs("4000000004");
    const asked = [eligible, deceased, registered, noAccess, notFound].filter(
      (id): id is PatientIdentifier => id !== undefined,
    );
    expect(asked).toHaveLength(5);
    const result = await sandboxFacade().statusQuery(asked);
    expect(result.missing).toEqual([]);
    expect(result.extraIgnored).toBe(0);
    const get = (id: PatientIdentifier | undefined) => result.statuses.get(identifierKey(id!));
    expect(get(eligible)).toMatchObject({ found: true, deceased: false, registered: false });
    expect(get(eligible)?.dateOfBirth).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(get(deceased)).toMatchObject({ found: true, deceased: true });
    expect(get(registered)).toMatchObject({ found: true, registered: true });
    expect(get(noAccess)).toMatchObject({ found: false, diagnostics: "No access" });
    expect(get(noAccess)?.dateOfBirth).toBeUndefined();
    expect(get(notFound)).toEqual({ identifier: notFound, found: false, diagnostics: "Not found" });
  });

  it("issues tokens only for eligible patients and reports the rest as not issued", async () => {
    const samples = sb.sandbox.summary().samples;
    const eligible = nhsOnly(samples.eligible).slice(0, 2);
    const [deceased] = nhsOnly(samples.deceased);
    const result = await sandboxFacade().generateInvitationTokens([...eligible, deceased!]);
    expect(result.issued.size).toBe(2);
    expect(result.notIssued).toEqual([deceased]);
    const tokens = result.issued.get(identifierKey(eligible[0]!));
    expect(tokens?.invitationCode).toMatch(/^[A-Z2-9]{10}$/);
    expect(tokens?.accessToken).toMatch(/^[A-Z2-9]{10}$/);
    // 30 days after the sandbox's frozen "now".
    expect(tokens?.expiry.toISOString()).toBe("2026-12-21T10:00:00.000Z");
  });

  it("reads read receipts by document id; other organisations' and unknown documents are missing", async () => {
    const documents = (await sb.admin("GET", "/documents?limit=1000")).documents as {
      identifier: string;
      organisationPublicId: string;
      readAt: string | null;
    }[];
    const ours = documents.filter((d) => d.organisationPublicId === sb.trustPublicId);
    const read = ours.filter((d) => d.readAt !== null).slice(0, 3);
    const unread = ours.filter((d) => d.readAt === null).slice(0, 3);
    const theirs = documents.filter((d) => d.organisationPublicId !== sb.trustPublicId).slice(0, 2);
    expect(read.length * unread.length * theirs.length).toBeGreaterThan(0);
    const unknown = "7f1c1d1e-0000-4000-8000-000000000000";
    const asked = [...read, ...unread, ...theirs].map((d) => d.identifier);
    const result = await sandboxFacade().readReceiptQuery([...asked, unknown]);
    for (const d of read) {
      expect(result.receipts.get(d.identifier)).toEqual({
        documentId: d.identifier,
        read: true,
        readAt: new Date(d.readAt!),
      });
    }
    for (const d of unread) {
      expect(result.receipts.get(d.identifier)).toEqual({ documentId: d.identifier, read: false });
    }
    expect(result.missing.sort()).toEqual([...theirs.map((d) => d.identifier), unknown].sort());
  });
});

describe("batch rules are enforced before anything is sent", () => {
  const client = facadeClient({
    endpoints: { facadeBaseUrl: "http://127.0.0.1:9/fhir" },
    organisationPublicId: "org",
    token: fixedToken(),
    http,
  });
  const many = (n: number) => Array.from({ length: n }, (_, i) => nhs(String(9_000_000_000 + i)));

  it("refuses oversized, empty, duplicated and mixed-system batches", async () => {
    await expect(client.statusQuery(many(5001))).rejects.toThrow(RangeError);
    await expect(client.generateInvitationTokens(many(501))).rejects.toThrow(RangeError);
    await expect(client.statusQuery([])).rejects.toThrow(RangeError);
    await expect(client.statusQuery([nhs("9434765919"), nhs("9434765919")])).rejects.toThrow(
      "the same identifier twice",
    );
    await expect(
      client.statusQuery([
        nhs("9434765919"),
        { system: IDENTIFIER_SYSTEMS.chi, value: "0101011237" },
      ]),
    ).rejects.toThrow("more than one system");
    await expect(
      client.statusQuery([{ system: IDENTIFIER_SYSTEMS.publicId, value: "x" }]),
    ).rejects.toThrow(TypeError);
    await expect(client.readReceiptQuery(["a", "a"])).rejects.toThrow(TypeError);
  });
});

describe("answers that do not follow the asking order", () => {
  const part = (name: string, value: Record<string, unknown>) => ({ name, ...value });
  const ident = (value: string) => ({ valueIdentifier: { system: IDENTIFIER_SYSTEMS.nhs, value } });

  it("files results by identifier with reordered, extra and missing entries, reading valueDatetime", async () => {
    const standIn = await startStandIn((_req, res) =>
      sendJson(res, 200, {
        resourceType: "Parameters",
        parameter: [
          // Reordered: the second patient first, PKB's own spelling valueDatetime.
          {
            name: "patientTokens",
            part: [
              part("patientIdentifier", ident("9999999999")),
              part("token", { valueString: "TOKEN22222" }),
              part("code", { valueString: "CODE222222" }),
              part("expiry", { valueDatetime: "2026-12-21T10:00:00+00:00" }),
            ],
          },
          {
            name: "patientTokens",
            part: [
              part("patientIdentifier", ident("9434765919")),
              part("token", { valueString: "TOKEN11111" }),
              part("code", { valueString: "CODE111111" }),
              part("expiry", { valueDateTime: "2026-12-22T10:00:00Z" }),
            ],
          },
          // Extra: a patient we did not ask about, and a second answer for one we did.
          {
            name: "patientTokens",
            part: [
              part("patientIdentifier", ident("5760678914")),
              part("token", { valueString: "TOKEN33333" }),
              part("code", { valueString: "CODE333333" }),
              part("expiry", { valueDateTime: "2026-12-22T10:00:00Z" }),
            ],
          },
          {
            name: "patientTokens",
            part: [
              part("patientIdentifier", ident("9434765919")),
              part("token", { valueString: "TOKEN44444" }),
              part("code", { valueString: "CODE444444" }),
              part("expiry", { valueDateTime: "2026-12-22T10:00:00Z" }),
            ],
          },
          // Unreadable: no expiry.
          {
            name: "patientTokens",
            part: [
              part("patientIdentifier", ident("4000000004")),
              part("token", { valueString: "X" }),
            ],
          },
        ],
      }),
    );
    try {
      const client = facadeClient({
        endpoints: { facadeBaseUrl: `${standIn.url}/fhir` },
        organisationPublicId: "org",
        token: fixedToken(),
        http,
      });
      const asked = [nhs("9434765919"), nhs("9999999999"), nhs("6123456784")];
      const result = await client.generateInvitationTokens(asked);
      expect(result.issued.get(identifierKey(asked[0]!))).toMatchObject({
        invitationCode: "CODE111111",
        accessToken: "TOKEN11111",
        expiry: new Date("2026-12-22T10:00:00Z"),
      });
      expect(result.issued.get(identifierKey(asked[1]!))).toMatchObject({
        invitationCode: "CODE222222",
        accessToken: "TOKEN22222",
        expiry: new Date("2026-12-21T10:00:00Z"),
      });
      expect(result.notIssued).toEqual([asked[2]]);
      expect(result.extraIgnored).toBe(2);
      expect(result.unreadable).toBe(1);
      expect(standIn.requests).toEqual(["POST /fhir/Organization/$generate-invitation-tokens"]);
    } finally {
      await standIn.close();
    }
  });
});
