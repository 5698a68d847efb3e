import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkbApiError } from "./errors.ts";
import { createPkbHttp } from "./http.server.ts";
import {
  restClient,
  type MessageCursor,
  type PkbMessage,
  type RestClient,
} from "./rest-client.server.ts";
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
let rest: RestClient;
const http = createPkbHttp({ sleep: () => Promise.resolve() });

beforeAll(async () => {
  // Enough patients for a few hundred messages, several pages and same-millisecond ties.
  sb = await startTestSandbox({ patients: 1500 });
  rest = restClient({
    endpoints: sb.endpoints,
    token: systemTokenSource(sb.endpoints, SYSTEM_CLIENT, { http }),
    organisationPublicId: sb.trustPublicId,
    http,
  });
});
afterAll(() => sb.close());

async function walk(client: RestClient, from: MessageCursor, overlapMs: 0 | 1 = 1) {
  const messages: PkbMessage[] = [];
  let pages = 0;
  let cursor = from;
  for await (const page of client.messagePages(from, { overlapMs })) {
    messages.push(...page.messages);
    cursor = page.cursor;
    pages++;
  }
  return { messages, pages, cursor };
}

describe("messages against the sandbox", () => {
  it("reads every message of the trust's teams once, across same-millisecond ties", async () => {
    const { state } = sb.sandbox.app;
    const trustTeams = new Set(
      state.population.teams.filter((t) => t.orgIndex === 0).map((t) => t.publicId),
    );
    const now = sb.sandbox.clock.now();
    const expected = state.population.messages.filter(
      (m) => m.timestamp <= now && m.recipientIds.some((r) => trustTeams.has(r)),
    );
    const perMillisecond = new Map<number, number>();
    for (const m of expected) {
      perMillisecond.set(m.timestamp, (perMillisecond.get(m.timestamp) ?? 0) + 1);
    }
    expect([...perMillisecond.values()].some((n) => n > 1)).toBe(true);
    expect(expected.length).toBeGreaterThan(100);

    await sb.clearCalls();
    const { messages, pages, cursor } = await walk(rest, { afterMs: 0, idsAtCursor: [] });
    expect(messages.map((m) => m.id)).toEqual(expected.map((m) => m.id));
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
    // One call per page, then one re-read of the last millisecond and one strict call that find nothing new.
    expect(await sb.calls("rest.messages-after")).toBe(pages + 2);
    expect(cursor.afterMs).toBe(expected.at(-1)?.timestamp);

    // Resuming from the saved cursor finds nothing twice.
    const again = await walk(rest, cursor);
    expect(again.messages).toEqual([]);

    // A message arriving later is found from the cursor.
    const first = messages[0]!;
    sb.sandbox.clock.advance(60_000);
    await sb.admin("POST", "/messages", {
      patient: { publicId: first.patientId },
      subject: "A question about parking",
    });
    sb.sandbox.clock.advance(1_000);
    const later = await walk(rest, cursor);
    expect(later.messages.map((m) => m.subject)).toEqual(["A question about parking"]);
  });

  it("parses each message", async () => {
    const { messages } = await rest.messagesAfter(0);
    const message = messages[0]!;
    expect(message).toMatchObject({
      id: expect.any(String),
      subject: expect.any(String),
      status: expect.stringMatching(/^(UNREAD|READ|SENT|DRAFT)$/),
    });
    expect(message.timestampMs).toBeGreaterThan(0);
    expect(messages.length).toBeLessThanOrEqual(100);
  });
});

describe("messages from a PKB that cuts pages inside a millisecond", () => {
  // Nine messages with runs of three at t=1000 and t=1100 that pages of three cut through.
  const all = [
    { id: "a", t: 900 },
    { id: "b", t: 1000 },
    { id: "c", t: 1000 },
    { id: "d", t: 1000 },
    { id: "e", t: 1100 },
    { id: "f", t: 1100 },
    { id: "g", t: 1100 },
    { id: "h", t: 1200 },
    { id: "i", t: 1300 },
  ].map(({ id, t }) => ({
    id,
    conversationId: "c1",
    timestamp: new Date(t).toISOString(),
    subject: `s-${id}`,
    content: "",
    html: false,
    senderId: "p",
    patientId: "0b7f1a52-1111-4111-8111-111111111111",
    recipientIds: ["team"],
    status: "UNREAD",
  }));

  async function naivePkb(inclusive: boolean, pageSize = 3) {
    return startStandIn((req, res) => {
      const after = Number(/after\/(\d+)/.exec(req.url ?? "")?.[1]);
      const page = all
        .filter((m) =>
          inclusive ? Date.parse(m.timestamp) >= after : Date.parse(m.timestamp) > after,
        )
        .slice(0, pageSize);
      sendJson(res, 200, page);
    });
  }

  it("loses nothing with the 1 ms overlap and drops the repeats", async () => {
    const standIn = await naivePkb(false);
    try {
      const client = restClient({
        endpoints: { restBaseUrl: `${standIn.url}/json` },
        token: fixedToken(),
        http,
      });
      const { messages } = await walk(client, { afterMs: 0, idsAtCursor: [] });
      expect(messages.map((m) => m.id)).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i"]);
    } finally {
      await standIn.close();
    }
  });

  it("strictly after the last timestamp (overlap 0) such a PKB would lose the rest of the run", async () => {
    const standIn = await naivePkb(false);
    try {
      const client = restClient({
        endpoints: { restBaseUrl: `${standIn.url}/json` },
        token: fixedToken(),
        http,
      });
      const { messages } = await walk(client, { afterMs: 0, idsAtCursor: [] }, 0);
      expect(messages.map((m) => m.id)).toEqual(["a", "b", "c", "e", "f", "g", "h", "i"]);
    } finally {
      await standIn.close();
    }
  });

  it("dedupes by id when PKB answers timestamp >= after, repeating the last millisecond", async () => {
    const standIn = await naivePkb(true, 4);
    try {
      const client = restClient({
        endpoints: { restBaseUrl: `${standIn.url}/json` },
        token: fixedToken(),
        http,
      });
      const { messages } = await walk(client, { afterMs: 0, idsAtCursor: [] }, 0);
      expect(messages.map((m) => m.id)).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i"]);
    } finally {
      await standIn.close();
    }
  });
});

describe("users and record access tokens", () => {
  it("looks a patient up by Public ID and by national number", async () => {
    const [eligible] = sb.sandbox.summary().samples.eligible;
    const patient = await sb.admin("GET", `/patients/${eligible!.value}`);
    const publicId = (patient.publicId ?? patient.patient?.publicId) as string;
    const byPublicId = await rest.userByPublicId(publicId);
    expect(byPublicId?.nationalIds).toContainEqual(
      expect.objectContaining({ value: eligible!.value }),
    );
    const kind = byPublicId?.nationalIds[0]?.kind;
    expect(kind).toBeDefined();
    const byNational = await rest.userByNationalId(kind!, eligible!.value);
    expect(byNational?.pkbId).toBe(byPublicId?.pkbId);
    expect(await rest.userByNationalId("nhs", "4000000004")).toBeUndefined();
    expect(await rest.userByPublicId("0b7f1a52-1111-4111-8111-111111111111")).toBeUndefined();
  });

  it("issues a record access token and maps PKB's REST errors into PkbApiError", async () => {
    const samples = sb.sandbox.summary().samples;
    const lookUp = async (value: string) => {
      const patient = await sb.admin("GET", `/patients/${value}`);
      const publicId = (patient.publicId ?? patient.patient?.publicId) as string;
      return (await rest.userByPublicId(publicId))!.pkbId;
    };
    const token = await rest.recordAccessToken(await lookUp(samples.eligible[1]!.value));
    expect(token.invitationCode).toMatch(/^[A-Z2-9]{10}$/);
    expect(token.status).toBe("NOT_INVITED_NOT_REGISTERED");

    const error = (await rest
      .recordAccessToken(await lookUp(samples.registered[0]!.value))
      .catch((e: unknown) => e)) as PkbApiError;
    expect(error).toBeInstanceOf(PkbApiError);
    expect(error).toMatchObject({
      status: 400,
      code: "invitation.patient.status",
      retryable: false,
    });
    expect(error.describe()).toBe(
      `PKB's Custom REST API rejected the request (400, invitation.patient.status). PKB said: "Registration already completed".`,
    );
  });

  it("reports a token PKB does not know after one refresh attempt", async () => {
    const client = restClient({ endpoints: sb.endpoints, token: fixedToken("not-a-token"), http });
    await sb.clearCalls();
    const error = (await client.messagesAfter(0).catch((e: unknown) => e)) as PkbApiError;
    expect(error).toMatchObject({ status: 401, code: "BAD_AUTHENTICATION", attempts: 2 });
    expect(await sb.calls("rest.messages-after")).toBe(2);
  });
});
