import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import {
  admin,
  getJson,
  startTestSandbox,
  systemToken,
  userTokens,
  type Identifier,
} from "./support.ts";

interface RestMessage {
  id: string;
  conversationId: string;
  timestamp: string;
  subject: string;
  content: string;
  html: boolean;
  senderId: string;
  patientId: string;
  recipientIds: string[];
  status: string;
}

let sb: RunningSandbox;
let clinician: string;

beforeAll(async () => {
  // More patients so the clinician's inbox spans several pages.
  sb = await startTestSandbox({ patients: 1500 });
  clinician = (await userTokens(sb)).access_token;
});
afterAll(() => sb.close());

/** Pages exactly as pkb-api.md §5 says: call again with the last timestamp (strictly greater). */
async function allMessages(
  token: string,
  start = "0",
  base: RunningSandbox = sb,
): Promise<{ messages: RestMessage[]; pages: RestMessage[][] }> {
  const messages: RestMessage[] = [];
  const pages: RestMessage[][] = [];
  let after = start;
  for (;;) {
    const { status, body } = await getJson(
      `${base.url}/json/v1/messages/after/${encodeURIComponent(after)}`,
      token,
    );
    expect(status).toBe(200);
    const page = body as RestMessage[];
    if (page.length === 0) break;
    pages.push(page);
    messages.push(...page);
    after = page[page.length - 1]?.timestamp ?? "";
    if (pages.length > 200) throw new Error("paging does not end");
  }
  return { messages, pages };
}

describe("GET /json/v1/messages/after/{time}", () => {
  it("pages at most 100 oldest-first, with ties in the same millisecond, and loses nothing when deduped by id", async () => {
    const { messages, pages } = await allMessages(clinician);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every((p) => p.length <= 100)).toBe(true);
    // Nothing lost and nothing twice, paging by the last timestamp alone.
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
    const ordered = [...messages].sort(
      (a, b) => a.timestamp.localeCompare(b.timestamp) || a.id.localeCompare(b.id),
    );
    expect(messages.map((m) => m.id)).toEqual(ordered.map((m) => m.id));
    const stamps = messages.map((m) => m.timestamp);
    expect(new Set(stamps).size).toBeLessThan(stamps.length);
    const now = sb.clock.now();
    expect(messages.every((m) => Date.parse(m.timestamp) <= now)).toBe(true);
    const m = messages[0] as RestMessage;
    expect(Object.keys(m).sort()).toEqual(
      [
        "content",
        "conversationId",
        "html",
        "id",
        "patientId",
        "recipientIds",
        "senderId",
        "status",
        "subject",
        "timestamp",
      ].sort(),
    );
    expect(["UNREAD", "READ", "SENT", "DRAFT"]).toContain(m.status);
    expect(
      messages.some((x) =>
        /^Request to (cancel|change) appointment: \d{2}\/\d{2}\/\d{4} \d{2}:\d{2} /.test(x.subject),
      ),
    ).toBe(true);
    expect(messages.some((x) => !/request to/i.test(x.subject))).toBe(true);
  });

  it("never ends a full page inside a millisecond's run, so paging by the last timestamp loses nothing", async () => {
    const small = await startTestSandbox({ patients: 30 });
    try {
      const token = (await userTokens(small)).access_token;
      const t0 = small.clock.now() - 10_000;
      expect((await allMessages(token, String(t0), small)).messages).toHaveLength(0);
      const add = (timestamp: number): Promise<unknown> =>
        admin(small, "POST", "/messages", {
          patient: { system: "https://fhir.nhs.uk/Id/nhs-number", value: "9434765919" },
          subject: `at ${timestamp}`,
          timestamp,
        });
      // 98 distinct, then a run of 5 across position 100, then a run of 130 (> a page), then 1.
      for (let i = 1; i <= 98; i++) await add(t0 + i);
      for (let i = 0; i < 5; i++) await add(t0 + 200);
      for (let i = 0; i < 130; i++) await add(t0 + 300);
      await add(t0 + 400);
      const { messages, pages } = await allMessages(token, String(t0), small);
      expect(pages.map((p) => p.length)).toEqual([98, 5, 130, 1]);
      expect(new Set(messages.map((m) => m.id)).size).toBe(234);
      for (const [i, page] of pages.entries()) {
        const next = pages[i + 1]?.[0];
        if (next) expect(next.timestamp > (page[page.length - 1]?.timestamp ?? "")).toBe(true);
      }
    } finally {
      await small.close();
    }
  });

  it("returns only messages strictly after the time, given as epoch ms or ISO-8601", async () => {
    const first = (await getJson(`${sb.url}/json/v1/messages/after/0`, clinician))
      .body as RestMessage[];
    const pivot = first[10] as RestMessage;
    const byMs = (
      await getJson(`${sb.url}/json/v1/messages/after/${Date.parse(pivot.timestamp)}`, clinician)
    ).body as RestMessage[];
    const byIso = (
      await getJson(
        `${sb.url}/json/v1/messages/after/${encodeURIComponent(pivot.timestamp)}`,
        clinician,
      )
    ).body as RestMessage[];
    expect(byMs.map((m) => m.id)).toEqual(byIso.map((m) => m.id));
    expect(byMs.every((m) => m.timestamp > pivot.timestamp)).toBe(true);
    const bad = await getJson(`${sb.url}/json/v1/messages/after/yesterday`, clinician);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      statusCode: 400,
      errorDetails: [{ errorCode: "invalid.time" }],
    });
  });

  it("delivers seeded messages dated in the future only once the clock reaches them, and added ones at once", async () => {
    const before = (await allMessages(clinician)).messages.length;
    const patient = (await admin(sb, "GET", "/patients?category=with-appointments&limit=1")).body
      .patients as { identifier: Identifier }[];
    const added = await admin(sb, "POST", "/messages", {
      patient: patient[0]?.identifier,
      subject: "Hello",
      content: "A question",
    });
    expect(added.status).toBe(201);
    const afterAdd = (await allMessages(clinician)).messages;
    expect(afterAdd.length).toBe(before + 1);
    sb.clock.advance(7 * 86_400_000);
    // The old access token has expired a week on; sign in again.
    const later = (await allMessages((await userTokens(sb)).access_token)).messages.length;
    expect(later).toBeGreaterThan(before + 1);
    sb.clock.advance(-7 * 86_400_000);
  });

  it("shows another organisation's clinician none of the trust's inbox", async () => {
    const other = (await userTokens(sb, sb.otherOrganisationLogin)).access_token;
    const theirs = (await allMessages(other)).messages;
    const ours = new Set((await allMessages(clinician)).messages.map((m) => m.id));
    expect(theirs.some((m) => ours.has(m.id))).toBe(false);
  });

  it("answers a missing token with the REST error body and BAD_AUTHENTICATION", async () => {
    const res = await fetch(`${sb.url}/json/v1/messages/after/0`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      statusCode: 401,
      errorDetails: [{ errorCode: "BAD_AUTHENTICATION" }],
    });
  });
});

describe("users by national id and by Public ID", () => {
  it("returns the documented shape for NHS, CHI and H&C numbers", async () => {
    const s = sb.summary().samples;
    for (const [id, type, name] of [
      [s.eligible[0], "NHS_NUMBER", "NHS number"],
      [s.chi[0], "CHI_NUMBER", "CHI number"],
      [s.hc[0], "H_AND_C_NUMBER", "Health and Care number"],
    ] as const) {
      const res = await getJson(
        `${sb.url}/json/v2-beta/users/byNationalId/${id?.value}/${type}`,
        clinician,
      );
      if (res.status === 403) continue; // a CHI/H&C sample may belong to another organisation
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual([
        "dateDeceased",
        "dob",
        "firstName",
        "id",
        "lastName",
        "nationalIds",
        "postalCode",
      ]);
      expect(res.body.id).toMatch(/^\d+$/);
      expect(res.body.nationalIds[0]).toMatchObject({ value: id?.value, name });
    }
  });

  it("maps a message's patientId (Public ID) back to the patient's NHS number", async () => {
    const messages = (await getJson(`${sb.url}/json/v1/messages/after/0`, clinician))
      .body as RestMessage[];
    const fromPatient = messages.find((m) => m.senderId === m.patientId) as RestMessage;
    const res = await getJson(`${sb.url}/json/users/${fromPatient.patientId}`, clinician);
    expect(res.status).toBe(200);
    expect(res.body.nationalIds[0].value).toMatch(/^\d{10}$/);
  });

  it("404s an unknown patient, 400s an unknown id type, 403s another organisation's record", async () => {
    expect(
      (await getJson(`${sb.url}/json/v2-beta/users/byNationalId/4000000004/NHS_NUMBER`, clinician))
        .status,
    ).toBe(404);
    expect(
      (await getJson(`${sb.url}/json/v2-beta/users/byNationalId/4000000004/SSN`, clinician)).status,
    ).toBe(400);
    const noAccess = sb.summary().samples["no-access"][0] as Identifier;
    const kind = noAccess.system.includes("nhs")
      ? "NHS_NUMBER"
      : noAccess.system.includes("16.53")
        ? "CHI_NUMBER"
        : "H_AND_C_NUMBER";
    const res = await getJson(
      `${sb.url}/json/v2-beta/users/byNationalId/${noAccess.value}/${kind}`,
      clinician,
    );
    expect(res.status).toBe(403);
  });
});

describe("GET /json/v1/users/{pkbId}/recordAccessToken", () => {
  const pkbIdOf = async (id: Identifier): Promise<number> =>
    (await admin(sb, "GET", `/patients/${id.value}`)).body.pkbId as number;

  it("issues a token pair; earlier token generation does not make the patient 'invited'", async () => {
    const system = await systemToken(sb);
    const id = sb.summary().samples.eligible[0] as Identifier;
    const url = `${sb.url}/json/v1/users/${await pkbIdOf(id)}/recordAccessToken`;
    const first = await getJson(url, system, {
      "x-org-public-id": sb.organisations[0]?.publicId ?? "",
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "NOT_INVITED_NOT_REGISTERED" });
    expect(first.body.invitationCode).toMatch(/^[A-Z0-9]{10}$/);
    expect(first.body.token).toMatch(/^[A-Z0-9]{10}$/);
    // A second pair, and pairs from the Facade, are still "not invited": PKB has e-mailed nobody.
    const second = await getJson(url, system);
    expect(second.body.status).toBe("NOT_INVITED_NOT_REGISTERED");
    expect(second.body.invitationCode).not.toBe(first.body.invitationCode);
  });

  it("says INVITED_NOT_REGISTERED once PKB has e-mailed the patient an invitation", async () => {
    const system = await systemToken(sb);
    const id = sb.summary().samples.eligible[1] as Identifier;
    const url = `${sb.url}/json/v1/users/${await pkbIdOf(id)}/recordAccessToken`;
    const invited = await admin(sb, "POST", "/patients/email-invite", { patients: [id] });
    expect(invited.status).toBe(200);
    const res = await getJson(url, system);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("INVITED_NOT_REGISTERED");
    expect((await admin(sb, "GET", `/patients/${id.value}`)).body.emailInvitedAt).toEqual(
      expect.any(String),
    );
  });

  it("answers registered, deceased, no-DOB patients with 400 and another organisation's record with 401", async () => {
    const s = sb.summary().samples;
    const cases: [Identifier | undefined, number, string][] = [
      [s.registered[0], 400, "invitation.patient.status"],
      [s.deceased[0], 400, "invitation.patient.deceased"],
      [s["no-date-of-birth"][0], 400, "invitation.patient.dob"],
      [s["no-access"][0], 401, "invitation.record.access"],
    ];
    for (const [id, status, code] of cases) {
      const res = await getJson(
        `${sb.url}/json/v1/users/${await pkbIdOf(id as Identifier)}/recordAccessToken`,
        clinician,
      );
      expect(res.status, code).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, errorDetails: [{ errorCode: code }] });
      expect(typeof res.body.errorMessage).toBe("string");
      // As PKB's example for this call shows.
      expect(res.body.developerMessage).toBeNull();
    }
    const registered = await getJson(
      `${sb.url}/json/v1/users/${await pkbIdOf(s.registered[0] as Identifier)}/recordAccessToken`,
      clinician,
    );
    expect(registered.body.errorMessage).toBe("Registration already completed");
  });
});
