import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import {
  admin,
  consent,
  facade,
  parametersOf,
  partsByName,
  startTestSandbox,
  SYSTEMS,
  type FhirPart,
  type Identifier,
} from "./support.ts";

let sb: RunningSandbox;
let samples: ReturnType<RunningSandbox["summary"]>["samples"];
const trust = (): string => sb.organisations[0]?.publicId ?? "";

beforeAll(async () => {
  sb = await startTestSandbox();
  samples = sb.summary().samples;
});
afterAll(() => sb.close());

const first = (list: Identifier[]): Identifier => {
  const id = list[0];
  if (!id) throw new Error("no sample");
  return id;
};

describe("GET /fhir/metadata", () => {
  it("serves an STU3 CapabilityStatement naming the three operations, without auth", async () => {
    const res = await fetch(`${sb.url}/fhir/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/fhir+json");
    const body = (await res.json()) as {
      fhirVersion: string;
      rest: { operation: { name: string; definition: { reference: string } }[] }[];
    };
    expect(body.fhirVersion).toBe("3.0.2");
    expect(body.rest[0]?.operation.map((o) => o.name).sort()).toEqual([
      "generate-invitation-tokens",
      "read-receipt-query",
      "status-query",
    ]);
    for (const op of body.rest[0]?.operation ?? []) {
      const def = await fetch(`${sb.url}/fhir/${op.definition.reference}`);
      expect(def.status).toBe(200);
      expect(await def.json()).toMatchObject({
        resourceType: "OperationDefinition",
        code: op.name,
        type: true,
        instance: false,
      });
    }
  });
});

describe("POST /fhir/Patient/$status-query", () => {
  it("answers every identifier: found (deceased, registered, dateOfBirth), No access, Not found", async () => {
    const ids = [
      first(samples.eligible),
      first(samples["no-access"]),
      first(samples["not-found"]),
      first(samples.deceased),
      first(samples.registered),
      first(samples.chi),
      first(samples.hc),
    ];
    const res = await facade(sb, "Patient/$status-query", parametersOf("patientIdentifier", ids));
    expect(res.status).toBe(200);
    const statuses = res.body.parameter ?? [];
    expect(statuses).toHaveLength(ids.length);
    const byValue = new Map(
      statuses.map((s) => [
        partsByName(s).patientIdentifier?.valueIdentifier?.value,
        partsByName(s),
      ]),
    );

    const eligible = byValue.get(first(samples.eligible).value);
    expect(eligible?.deceased?.valueBoolean).toBe(false);
    expect(eligible?.registered?.valueBoolean).toBe(false);
    expect(eligible?.dateOfBirth?.valueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(eligible?.diagnostics).toBeUndefined();

    const noAccess = byValue.get(first(samples["no-access"]).value);
    expect(noAccess?.diagnostics?.valueString).toBe("No access");
    expect(typeof noAccess?.deceased?.valueBoolean).toBe("boolean");
    expect(typeof noAccess?.registered?.valueBoolean).toBe("boolean");
    expect(noAccess?.dateOfBirth).toBeUndefined();

    const notFound = byValue.get(first(samples["not-found"]).value);
    expect(notFound?.diagnostics?.valueString).toBe("Not found");
    expect(notFound?.deceased).toBeUndefined();
    expect(notFound?.registered).toBeUndefined();

    expect(byValue.get(first(samples.deceased).value)?.deceased?.valueBoolean).toBe(true);
    expect(byValue.get(first(samples.registered).value)?.registered?.valueBoolean).toBe(true);
    expect(byValue.get(first(samples.chi).value)?.diagnostics?.valueString ?? "found").not.toBe(
      "Not found",
    );
  });

  it("never guesses the system: a CHI number sent as an NHS number is Not found", async () => {
    const chi = first(samples.chi);
    const res = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [{ system: SYSTEMS.nhs, value: chi.value }]),
    );
    expect(partsByName(res.body.parameter?.[0] as FhirPart).diagnostics?.valueString).toBe(
      "Not found",
    );
  });

  it("takes 5000 identifiers and refuses 5001 with too-costly", async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      system: SYSTEMS.nhs,
      value: String(9_000_000_000 + i),
    }));
    const ok = await facade(sb, "Patient/$status-query", parametersOf("patientIdentifier", many));
    expect(ok.status).toBe(200);
    expect(ok.body.parameter).toHaveLength(5000);
    const tooMany = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [...many, first(samples.eligible)]),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.issue?.[0]?.code).toBe("too-costly");
  });

  it("answers a body over the size limit with 413 too-costly, even when it is valid JSON", async () => {
    const oversized = {
      ...parametersOf("patientIdentifier", [first(samples.eligible)]),
      // Valid JSON, just too big: 9 MiB against the 8 MiB limit.
      text: "x".repeat(9 * 1024 * 1024),
    };
    const res = await facade(sb, "Patient/$status-query", oversized);
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/fhir+json");
    expect(res.body.resourceType).toBe("OperationOutcome");
    expect(res.body.issue?.[0]?.code).toBe("too-costly");
  });

  it("rejects the whole request when one identifier has an unsupported system", async () => {
    const res = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [
        first(samples.eligible),
        { system: "http://example.org/mrn", value: "123" },
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.code).toBe("not-supported");
    expect(res.body.parameter).toBeUndefined();
  });

  it("refuses no identifiers, a malformed body, a wrong resource and a wrong parameter name with invalid", async () => {
    for (const body of [
      { resourceType: "Parameters" },
      "{not json",
      { resourceType: "Bundle" },
      {
        resourceType: "Parameters",
        parameter: [{ name: "identifier", valueIdentifier: first(samples.eligible) }],
      },
      {
        resourceType: "Parameters",
        parameter: [{ name: "patientIdentifier", valueString: "9434765919" }],
      },
    ]) {
      const res = await facade(sb, "Patient/$status-query", body);
      expect(res.status).toBe(400);
      expect(res.body.issue?.[0]?.code).toBe("invalid");
    }
  });

  it("requires application/fhir+json", async () => {
    const res = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [first(samples.eligible)]),
      { contentType: "text/plain" },
    );
    expect(res.status).toBe(415);
  });

  it("answers an identifier with a bad check digit as Not found, or 400 with --strict-identifiers", async () => {
    const bad = { system: SYSTEMS.nhs, value: "4857773456" };
    const lenient = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [bad]),
    );
    expect(partsByName(lenient.body.parameter?.[0] as FhirPart).diagnostics?.valueString).toBe(
      "Not found",
    );
    const strict = await startTestSandbox({ strictIdentifiers: true });
    try {
      const res = await facade(
        strict,
        "Patient/$status-query",
        parametersOf("patientIdentifier", [bad]),
      );
      expect(res.status).toBe(400);
      expect(res.body.issue?.[0]?.code).toBe("invalid");
    } finally {
      await strict.close();
    }
  });
});

describe("authentication and organisation rules (all three operations)", () => {
  const ops = [
    "Patient/$status-query",
    "Organization/$generate-invitation-tokens",
    "DocumentReference/$read-receipt-query",
  ] as const;
  const bodyFor = (op: (typeof ops)[number]): Record<string, unknown> =>
    parametersOf(op.startsWith("Document") ? "documentIdentifier" : "patientIdentifier", [
      { system: SYSTEMS.nhs, value: "9434765919" },
    ]);

  it.each(ops)("%s: 401 login/BAD_AUTHENTICATION without or with a garbage bearer", async (op) => {
    for (const token of [null, "garbage"]) {
      const res = await facade(sb, op, bodyFor(op), { token });
      expect(res.status).toBe(401);
      expect(res.body.issue?.[0]?.code).toBe("login");
      expect(res.body.issue?.[0]?.details?.coding?.[0]).toEqual({
        system: "http://fhir.patientsknowbest.com/codesystem/response-code",
        code: "BAD_AUTHENTICATION",
      });
    }
  });

  it.each(ops)(
    "%s: 400 required without X-Org-Public-Id, 403 forbidden for an unknown or unauthorised org",
    async (op) => {
      const missing = await facade(sb, op, bodyFor(op), { org: null });
      expect(missing.status).toBe(400);
      expect(missing.body.issue?.[0]?.code).toBe("required");
      const unknown = await facade(sb, op, bodyFor(op), {
        org: "00000000-0000-4000-8000-000000000000",
      });
      expect(unknown.status).toBe(403);
      expect(unknown.body.issue?.[0]?.code).toBe("forbidden");
    },
  );

  it("403 forbidden for an organisation the client is not authorised for", async () => {
    const restricted = await startTestSandbox({
      clients: [{ kind: "system", id: "only-trust", secret: "s", organisations: [] }],
    });
    try {
      const { systemToken } = await import("./support.ts");
      const token = await systemToken(restricted, "only-trust", "s");
      const res = await facade(
        restricted,
        "Patient/$status-query",
        bodyFor("Patient/$status-query"),
        { token },
      );
      expect(res.status).toBe(403);
    } finally {
      await restricted.close();
    }
  });

  it("403 forbidden/USER_TYPE_NOT_PERM for a clinician's user token", async () => {
    const { location } = await consent(
      `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&scope=CLINICIAN&redirect_uri=${encodeURIComponent("http://localhost:3000/pkb/oauth/callback")}`,
    );
    const code = new URL(location ?? "").searchParams.get("code") ?? "";
    const tokenRes = await fetch(`${sb.url}/apiToken.action`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: "http://localhost:3000/pkb/oauth/callback",
        client_id: "pkb-desk",
        client_secret: "pkb-desk-sandbox-secret",
      }),
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const res = await facade(sb, "Patient/$status-query", bodyFor("Patient/$status-query"), {
      token: access_token,
    });
    expect(res.status).toBe(403);
    expect(res.body.issue?.[0]?.code).toBe("forbidden");
    expect(res.body.issue?.[0]?.details?.coding?.[0]?.code).toBe("USER_TYPE_NOT_PERM");
  });

  it("401 expired/ACC_TOKEN_EXPIRED once the access token's lifetime has passed on the sandbox clock", async () => {
    const { systemToken } = await import("./support.ts");
    const token = await systemToken(sb);
    sb.clock.advance(600_000);
    const res = await facade(sb, "Patient/$status-query", bodyFor("Patient/$status-query"), {
      token,
    });
    expect(res.status).toBe(401);
    expect(res.body.issue?.[0]?.code).toBe("expired");
    expect(res.body.issue?.[0]?.details?.coding?.[0]?.code).toBe("ACC_TOKEN_EXPIRED");
  });
});

describe("POST /fhir/Organization/$generate-invitation-tokens", () => {
  it("issues 10-character code and token valid 30 days, only for eligible patients, matched by identifier", async () => {
    const eligible = samples.eligible.slice(0, 3);
    const ineligible = [
      first(samples.deceased),
      first(samples.registered),
      first(samples["no-date-of-birth"]),
      first(samples["under-16"]),
      first(samples["not-found"]),
      first(samples["no-access"]),
    ];
    const res = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", [...ineligible, ...eligible]),
    );
    expect(res.status).toBe(200);
    const tokens = res.body.parameter ?? [];
    expect(tokens).toHaveLength(3);
    const now = sb.clock.now();
    for (const t of tokens) {
      const parts = partsByName(t);
      expect(t.name).toBe("patientTokens");
      expect(eligible.map((e) => e.value)).toContain(
        parts.patientIdentifier?.valueIdentifier?.value,
      );
      expect(parts.code?.valueString).toMatch(/^[A-Z0-9]{10}$/);
      expect(parts.token?.valueString).toMatch(/^[A-Z0-9]{10}$/);
      expect(Date.parse(parts.expiry?.valueDateTime ?? "") - now).toBe(30 * 86_400_000);
    }
  });

  it("returns a bare Parameters when nobody is eligible, and refuses 501 identifiers", async () => {
    const none = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", [first(samples.deceased)]),
    );
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ resourceType: "Parameters" });
    const many = Array.from({ length: 501 }, (_, i) => ({
      system: SYSTEMS.nhs,
      value: String(9_100_000_000 + i),
    }));
    const tooMany = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", many),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.issue?.[0]?.code).toBe("too-costly");
  });

  it("issues a fresh pair on each call, keeps earlier pairs valid, and counts issues per identifier in the call log", async () => {
    await admin(sb, "DELETE", "/calls");
    const id = samples.eligible[3] as Identifier;
    const one = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", [id]),
    );
    const two = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", [id]),
    );
    const codeOne = partsByName(one.body.parameter?.[0] as FhirPart).code?.valueString;
    const codeTwo = partsByName(two.body.parameter?.[0] as FhirPart).code?.valueString;
    expect(codeOne).not.toBe(codeTwo);
    const patient = await admin(sb, "GET", `/patients/${id.value}`);
    const live = (patient.body.invitations as { code: string; revoked: boolean }[])
      .filter((i) => !i.revoked)
      .map((i) => i.code);
    expect(live).toEqual(expect.arrayContaining([codeOne, codeTwo]));
    const calls = await admin(sb, "GET", "/calls?identifiers=true");
    expect(
      (calls.body.tokensIssuedPerIdentifier as Record<string, number>)[`${id.system}|${id.value}`],
    ).toBe(2);
    expect((calls.body.tokens as { issuedMoreThanOnce: number }).issuedMoreThanOnce).toBe(1);
    const endpoints = calls.body.endpoints as Record<
      string,
      { calls: number; maxIdentifiers: number }
    >;
    expect(endpoints["facade.generate-invitation-tokens"]?.calls).toBe(2);
  });

  it("stops issuing tokens once the patient has registered", async () => {
    const id = samples.eligible[4] as Identifier;
    await admin(sb, "POST", "/patients/register", { patients: [id] });
    const res = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", [id]),
    );
    expect(res.body.parameter).toBeUndefined();
    const status = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [id]),
    );
    expect(partsByName(status.body.parameter?.[0] as FhirPart).registered?.valueBoolean).toBe(true);
  });
});

describe("POST /fhir/DocumentReference/$read-receipt-query", () => {
  it("returns receipts only for the calling organisation's known documents, with readTimestamp once read", async () => {
    const docs = (await admin(sb, "GET", "/documents?limit=500")).body.documents as {
      identifier: string;
      organisationPublicId: string;
      readAt: string | null;
    }[];
    const ours = docs.filter((d) => d.organisationPublicId === trust());
    const theirs = docs.find((d) => d.organisationPublicId !== trust());
    const unread = ours.find((d) => d.readAt === null);
    expect(unread && theirs).toBeTruthy();
    const ask = [unread?.identifier ?? "", theirs?.identifier ?? "", "unknown-document-id"].map(
      (value) => ({ system: "urn:ietf:rfc:3986", value }),
    );
    const before = await facade(
      sb,
      "DocumentReference/$read-receipt-query",
      parametersOf("documentIdentifier", ask),
    );
    expect(before.status).toBe(200);
    expect(before.body.parameter).toHaveLength(1);
    const receipt = partsByName(before.body.parameter?.[0] as FhirPart);
    expect(receipt.documentIdentifier?.valueIdentifier?.value).toBe(unread?.identifier);
    expect(receipt.read?.valueBoolean).toBe(false);
    expect(receipt.readTimestamp).toBeUndefined();

    await admin(sb, "POST", "/documents/read", { documentIdentifiers: [unread?.identifier] });
    const after = await facade(
      sb,
      "DocumentReference/$read-receipt-query",
      parametersOf("documentIdentifier", ask),
    );
    const read = partsByName(after.body.parameter?.[0] as FhirPart);
    expect(read.read?.valueBoolean).toBe(true);
    expect(read.readTimestamp?.valueDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("refuses 5001 document identifiers", async () => {
    const many = Array.from({ length: 5001 }, (_, i) => ({ value: `doc-${i}` }));
    const res = await facade(
      sb,
      "DocumentReference/$read-receipt-query",
      parametersOf("documentIdentifier", many),
    );
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.code).toBe("too-costly");
  });
});

describe("the under-16 rule on the 16th birthday (UK local date on the sandbox clock)", () => {
  let clockSb: RunningSandbox;
  beforeAll(async () => {
    clockSb = await startTestSandbox({ patients: 30 });
  });
  afterAll(() => clockSb.close());

  const nhs = { system: SYSTEMS.nhs, value: "9434765919" };
  const tokensAt = async (birthDate: string, instant: string): Promise<number> => {
    const patient = clockSb.app.state.patientByNationalId("nhs", nhs.value);
    if (!patient) throw new Error("fixture missing");
    patient.birthDate = birthDate;
    clockSb.clock.set(Date.parse(instant));
    const res = await facade(
      clockSb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", [nhs]),
    );
    expect(res.status).toBe(200);
    return res.body.parameter?.length ?? 0;
  };

  it("in BST the birthday starts at 23:00 UTC the evening before", async () => {
    expect(await tokensAt("2010-06-15", "2026-06-14T22:59:59Z")).toBe(0);
    expect(await tokensAt("2010-06-15", "2026-06-14T23:00:00Z")).toBe(1);
  });

  it("in GMT the birthday starts at midnight UTC", async () => {
    expect(await tokensAt("2010-12-02", "2026-12-01T23:59:59Z")).toBe(0);
    expect(await tokensAt("2010-12-02", "2026-12-02T00:00:00Z")).toBe(1);
  });

  it("the last second of the day before is still under 16, across a month end", async () => {
    expect(await tokensAt("2011-03-01", "2027-02-28T23:59:59Z")).toBe(0);
    expect(await tokensAt("2011-03-01", "2027-03-01T00:00:00Z")).toBe(1);
  });
});
