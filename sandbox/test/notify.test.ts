import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { NotifyClient } from "notifications-node-client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_NOTIFY_API_KEY,
  DEFAULT_NOTIFY_KEY_SECRET,
  DEFAULT_NOTIFY_SERVICE_ID,
  DEFAULT_NOTIFY_TEMPLATES,
} from "../src/notify/config.ts";
import { signNotifyJwt } from "../src/notify/jwt.ts";
import type { RunningSandbox } from "../src/server.ts";
import { admin, startTestSandbox } from "./support.ts";

/**
 * The Notify stand-in, driven by the official notifications-node-client 8.4.0 over real HTTP, as
 * the portal drives the real GOV.UK Notify.
 */

const [SMS_TEMPLATE, EMAIL_TEMPLATE, SMS_CODES_TEMPLATE] = DEFAULT_NOTIFY_TEMPLATES.map(
  (t) => t.id,
);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOTIFY_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

let sb: RunningSandbox;
let client: NotifyClient;

interface AxiosLikeError {
  code?: string;
  response?: {
    status: number;
    data: { status_code: number; errors: { error: string; message: string }[] };
  };
}

/** The rejection of a client call, as the node client passes it on (an axios error). */
async function failure(promise: Promise<unknown>): Promise<AxiosLikeError> {
  try {
    await promise;
  } catch (error) {
    return error as AxiosLikeError;
  }
  throw new Error("expected the call to fail");
}

async function sends(query = ""): Promise<{
  total: number;
  sentMoreThanOnce: string[];
  sends: Array<Record<string, unknown>>;
}> {
  const res = await admin(sb, "GET", `/notify/sends${query}`);
  return res.body as never;
}

const advance = (seconds: number) => admin(sb, "POST", "/clock", { advanceSeconds: seconds });

beforeAll(async () => {
  sb = await startTestSandbox();
  client = new NotifyClient(sb.url, DEFAULT_NOTIFY_API_KEY);
});
afterAll(() => sb.close());
beforeEach(async () => {
  await admin(sb, "DELETE", "/faults");
  await admin(sb, "DELETE", "/notify/sends");
  await admin(sb, "DELETE", "/notify/outcomes");
  await admin(sb, "DELETE", "/notify/callback");
  await admin(sb, "PUT", "/notify/settings", { rateLimitPerMinute: 0, dailyLimit: 0 });
});

describe("POST /v2/notifications/sms and /email", () => {
  it("sends a text message and answers 201 in Notify's shape", async () => {
    const response = await client.sendSms(SMS_TEMPLATE!, "07700 900123", {
      personalisation: { body: "Your invitation code is ABCDE23456" },
      reference: "campaign-1:recipient-1:codes",
    });
    expect(response.status).toBe(201);
    const data = response.data;
    expect(data.id).toMatch(UUID);
    expect(data).toMatchObject({
      reference: "campaign-1:recipient-1:codes",
      content: { body: "Your invitation code is ABCDE23456", from_number: expect.any(String) },
      uri: `${sb.url}/v2/notifications/${data.id}`,
      template: { id: SMS_TEMPLATE, version: 1, uri: expect.stringContaining(SMS_TEMPLATE!) },
    });
    const record = await sends();
    expect(record.total).toBe(1);
    expect(record.sends[0]).toMatchObject({ to: "07700 900123", normalisedTo: "447700900123" });
  });

  it("sends an e-mail with the subject and body filled in", async () => {
    const response = await client.sendEmail(EMAIL_TEMPLATE!, "read.richards@example.com", {
      personalisation: { subject: "Join PKB", body: "Open https://example.com/join?t1=A&t2=B" },
    });
    expect(response.status).toBe(201);
    expect(response.data.content).toMatchObject({
      subject: "Join PKB",
      body: "Open https://example.com/join?t1=A&t2=B",
      from_email: expect.stringContaining("@"),
    });
    expect(response.data.reference).toBeNull();
  });

  it("fills named placeholders ignoring case, spaces and underscores, as Notify does", async () => {
    const response = await client.sendSms(SMS_CODES_TEMPLATE!, "+447700900124", {
      personalisation: {
        "Invitation Code": "ABCDE23456",
        access_code: "FGHJK78923",
        EXPIRY: "21 December 2026",
      },
    });
    expect(response.data.content.body).toBe(
      "Your Patients Know Best invitation code is ABCDE23456 and your access code is FGHJK78923. They expire on 21 December 2026.",
    );
  });

  it.each([
    ["07700 90012", "phone_number Not enough digits"],
    ["07700 9001234", "phone_number Too many digits"],
    ["01632 960123", "phone_number Not a UK mobile number"],
    ["+33 6 12 34 56 78", "phone_number Not a UK mobile number"],
    ["07700 9OO123", "phone_number Must not contain letters or symbols"],
  ])("refuses %s with 400 ValidationError '%s' and records nothing", async (number, message) => {
    const error = await failure(
      client.sendSms(SMS_TEMPLATE!, number, { personalisation: { body: "x" } }),
    );
    expect(error.response?.status).toBe(400);
    expect(error.response?.data).toEqual({
      status_code: 400,
      errors: [{ error: "ValidationError", message }],
    });
    expect((await sends()).total).toBe(0);
  });

  it("refuses a bad e-mail address with 400 ValidationError", async () => {
    const error = await failure(
      client.sendEmail(EMAIL_TEMPLATE!, "not an address", {
        personalisation: { subject: "s", body: "b" },
      }),
    );
    expect(error.response?.data.errors).toEqual([
      { error: "ValidationError", message: "email_address Not a valid email address" },
    ]);
  });

  it("refuses missing personalisation, an unknown template and a template of the other type", async () => {
    const missing = await failure(
      client.sendSms(SMS_CODES_TEMPLATE!, "07700900125", {
        personalisation: { invitation_code: "A" },
      }),
    );
    expect(missing.response?.status).toBe(400);
    expect(missing.response?.data.errors).toEqual([
      { error: "BadRequestError", message: "Missing personalisation: access_code, expiry" },
    ]);
    const unknown = await failure(
      client.sendSms("11111111-2222-4333-8444-555555555555", "07700900125", {
        personalisation: { body: "x" },
      }),
    );
    expect(unknown.response?.data.errors).toEqual([
      { error: "BadRequestError", message: "Template not found" },
    ]);
    const wrongType = await failure(
      client.sendSms(EMAIL_TEMPLATE!, "07700900125", {
        personalisation: { subject: "s", body: "b" },
      }),
    );
    expect(wrongType.response?.data.errors[0]?.message).toBe(
      "email template is not suitable for sms notification",
    );
    const notUuid = await failure(client.sendSms("template-1", "07700900125"));
    expect(notUuid.response?.data.errors).toEqual([
      { error: "ValidationError", message: "template_id is not a valid UUID" },
    ]);
    expect((await sends()).total).toBe(0);
  });
});

describe("authentication (JWT: HS256, iss = service id, iat within 30 s)", () => {
  const post = (authorization?: string) =>
    fetch(`${sb.url}/v2/notifications/sms`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify({
        template_id: SMS_TEMPLATE,
        phone_number: "07700900126",
        personalisation: { body: "x" },
      }),
    });
  const now = () => Math.round(Date.now() / 1000);

  it("accepts a token signed as the official client signs it", async () => {
    const res = await post(
      `Bearer ${signNotifyJwt(DEFAULT_NOTIFY_SERVICE_ID, DEFAULT_NOTIFY_KEY_SECRET, now())}`,
    );
    expect(res.status).toBe(201);
  });

  it.each([
    [undefined, 401, "Unauthorized: authentication token must be provided"],
    ["Basic abc", 401, "Unauthorized: authentication bearer scheme must be used"],
    ["Bearer not-a-jwt", 403, "Invalid token: signature, api token is not valid"],
  ])("answers %s with %i AuthError", async (authorization, status, message) => {
    const res = await post(authorization);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({
      status_code: status,
      errors: [{ error: "AuthError", message }],
    });
  });

  it("refuses a wrong secret, an unknown service, an old or future iat, and alg none", async () => {
    const cases: Array<[string, string]> = [
      [
        signNotifyJwt(DEFAULT_NOTIFY_SERVICE_ID, "wrong-secret", now()),
        "Invalid token: API key not found",
      ],
      [
        signNotifyJwt("00000000-0000-4000-8000-000000000000", DEFAULT_NOTIFY_KEY_SECRET, now()),
        "Invalid token: service not found",
      ],
      [
        signNotifyJwt(DEFAULT_NOTIFY_SERVICE_ID, DEFAULT_NOTIFY_KEY_SECRET, now() - 31),
        "Error: Your system clock must be accurate to within 30 seconds",
      ],
      [
        signNotifyJwt(DEFAULT_NOTIFY_SERVICE_ID, DEFAULT_NOTIFY_KEY_SECRET, now() + 31),
        "Error: Your system clock must be accurate to within 30 seconds",
      ],
      [
        signNotifyJwt(DEFAULT_NOTIFY_SERVICE_ID, DEFAULT_NOTIFY_KEY_SECRET, now(), "none"),
        "Invalid token: algorithm used is not HS256",
      ],
    ];
    for (const [token, message] of cases) {
      const res = await post(`Bearer ${token}`);
      expect(res.status, message).toBe(403);
      expect(await res.json()).toEqual({
        status_code: 403,
        errors: [{ error: "AuthError", message }],
      });
    }
    expect((await sends()).total).toBe(0);
  });

  it("refuses the official client with a wrong API key", async () => {
    const wrong = new NotifyClient(
      sb.url,
      `other_key-${DEFAULT_NOTIFY_SERVICE_ID}-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee`,
    );
    const error = await failure(
      wrong.sendSms(SMS_TEMPLATE!, "07700900127", { personalisation: { body: "x" } }),
    );
    expect(error.response?.status).toBe(403);
    expect(error.response?.data.errors[0]?.error).toBe("AuthError");
  });
});

describe("statuses over sandbox time, and Notify's test recipients", () => {
  it("moves created → sending → delivered as the sandbox clock passes", async () => {
    const { data } = await client.sendSms(SMS_TEMPLATE!, "07700900130", {
      personalisation: { body: "hello" },
    });
    const read = async () => (await client.getNotificationById(data.id)).data;
    const created = await read();
    expect(created).toMatchObject({
      id: data.id,
      type: "sms",
      status: "created",
      phone_number: "07700900130",
      email_address: null,
      body: "hello",
      sent_at: null,
      completed_at: null,
      is_cost_data_ready: false,
    });
    expect(created.created_at).toMatch(NOTIFY_TIME);
    await advance(2);
    expect((await read()).status).toBe("sending");
    await advance(10);
    const delivered = await read();
    expect(delivered).toMatchObject({
      status: "delivered",
      is_cost_data_ready: true,
      cost_details: { billable_sms_fragments: 1, international_rate_multiplier: 1 },
    });
    expect(delivered.completed_at).toMatch(NOTIFY_TIME);
  });

  it("ends Notify's documented test recipients in their failures", async () => {
    const ids = await Promise.all([
      client.sendSms(SMS_TEMPLATE!, "07700900002", { personalisation: { body: "x" } }),
      client.sendSms(SMS_TEMPLATE!, "07700900003", { personalisation: { body: "x" } }),
      client.sendEmail(EMAIL_TEMPLATE!, "perm-fail@simulator.notify", {
        personalisation: { subject: "s", body: "b" },
      }),
      client.sendEmail(EMAIL_TEMPLATE!, "temp-fail@simulator.notify", {
        personalisation: { subject: "s", body: "b" },
      }),
    ]);
    await advance(11);
    const statuses = await Promise.all(
      ids.map(async (r) => (await client.getNotificationById(r.data.id)).data.status),
    );
    expect(statuses).toEqual([
      "permanent-failure",
      "temporary-failure",
      "permanent-failure",
      "temporary-failure",
    ]);
  });

  it("ends a recipient as a control says, whatever format the number is written in", async () => {
    const set = await admin(sb, "POST", "/notify/outcomes", {
      recipients: {
        "+44 7700 900131": "technical-failure",
        "Someone@Example.com": "permanent-failure",
      },
    });
    expect(set.status).toBe(200);
    const sms = await client.sendSms(SMS_TEMPLATE!, "07700900131", {
      personalisation: { body: "x" },
    });
    const email = await client.sendEmail(EMAIL_TEMPLATE!, "someone@example.com", {
      personalisation: { subject: "s", body: "b" },
    });
    await advance(11);
    expect((await client.getNotificationById(sms.data.id)).data.status).toBe("technical-failure");
    expect((await client.getNotificationById(email.data.id)).data.status).toBe("permanent-failure");
    const bad = await admin(sb, "POST", "/notify/outcomes", {
      recipients: { "01632 960123": "delivered" },
    });
    expect(bad.status).toBe(400);
  });

  it("answers an unknown id with 404 NoResultFound and a malformed one with 400", async () => {
    const missing = await failure(
      client.getNotificationById("11111111-2222-4333-8444-555555555555"),
    );
    expect(missing.response?.status).toBe(404);
    expect(missing.response?.data.errors).toEqual([
      { error: "NoResultFound", message: "No result found" },
    ]);
    const malformed = await failure(client.getNotificationById("nope"));
    expect(malformed.response?.status).toBe(400);
  });
});

describe("GET /v2/notifications (status polling in bulk)", () => {
  it("filters by template type, status and reference, newest first", async () => {
    await client.sendSms(SMS_TEMPLATE!, "07700900140", {
      personalisation: { body: "a" },
      reference: "wave-1",
    });
    await client.sendSms(SMS_TEMPLATE!, "07700900002", {
      personalisation: { body: "b" },
      reference: "wave-1",
    });
    await client.sendEmail(EMAIL_TEMPLATE!, "x@example.com", {
      personalisation: { subject: "s", body: "c" },
      reference: "wave-2",
    });
    await advance(11);
    const all = (await client.getNotifications()).data.notifications;
    expect(all.map((n) => n.body)).toEqual(["c", "b", "a"]);
    const sms = (await client.getNotifications("sms")).data.notifications;
    expect(sms.map((n) => n.type)).toEqual(["sms", "sms"]);
    const failed = (await client.getNotifications(undefined, "failed")).data.notifications;
    expect(failed.map((n) => n.status)).toEqual(["permanent-failure"]);
    const delivered = (await client.getNotifications("sms", "delivered", "wave-1")).data
      .notifications;
    expect(delivered.map((n) => n.body)).toEqual(["a"]);
    const bad = await failure(client.getNotifications(undefined, "lost"));
    expect(bad.response?.status).toBe(400);
    expect(bad.response?.data.errors[0]?.message).toMatch(/^status lost is not one of \[/);
  });

  it("pages by older_than with a next link, 250 at a time", async () => {
    for (let i = 0; i < 251; i++) {
      await client.sendSms(SMS_TEMPLATE!, "07700900141", { personalisation: { body: `n${i}` } });
    }
    const first = (await client.getNotifications()).data;
    expect(first.notifications).toHaveLength(250);
    expect(first.links.next).toContain(`older_than=${first.notifications[249]!.id}`);
    const second = (
      await client.getNotifications(undefined, undefined, undefined, first.notifications[249]!.id)
    ).data;
    expect(second.notifications.map((n) => n.body)).toEqual(["n0"]);
    expect(second.links.next).toBeUndefined();
  });
});

describe("delivery-receipt callbacks", () => {
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];
  let failNext = 0;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
      req.on("end", () => {
        received.push({ headers: req.headers, body: JSON.parse(raw) as Record<string, unknown> });
        if (failNext > 0) {
          failNext -= 1;
          res.writeHead(500).end();
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify/callback`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  beforeEach(() => {
    received.length = 0;
    failNext = 0;
  });

  it("POSTs Notify's receipt with the bearer token once the status is final, and only then", async () => {
    await admin(sb, "PUT", "/notify/callback", {
      url: receiverUrl,
      bearerToken: "callback-token-123",
    });
    const { data } = await client.sendSms(SMS_TEMPLATE!, "07700900002", {
      personalisation: { body: "x" },
      reference: "r-1",
    });
    await admin(sb, "POST", "/notify/callbacks/flush");
    expect(received).toHaveLength(0);
    await advance(11);
    await admin(sb, "POST", "/notify/callbacks/flush");
    expect(received).toHaveLength(1);
    expect(received[0]!.headers.authorization).toBe("Bearer callback-token-123");
    expect(received[0]!.headers["content-type"]).toBe("application/json");
    expect(received[0]!.body).toEqual({
      id: data.id,
      reference: "r-1",
      to: "07700900002",
      status: "permanent-failure",
      created_at: expect.stringMatching(NOTIFY_TIME),
      completed_at: expect.stringMatching(NOTIFY_TIME),
      sent_at: expect.stringMatching(NOTIFY_TIME),
      notification_type: "sms",
      template_id: SMS_TEMPLATE,
      template_version: 1,
    });
    await admin(sb, "POST", "/notify/callbacks/flush");
    expect(received).toHaveLength(1);
  });

  it("retries a receipt the service refused, and records the attempts", async () => {
    await admin(sb, "PUT", "/notify/callback", {
      url: receiverUrl,
      bearerToken: "callback-token-123",
    });
    failNext = 1;
    await client.sendSms(SMS_TEMPLATE!, "07700900150", { personalisation: { body: "x" } });
    await advance(11);
    await admin(sb, "POST", "/notify/callbacks/flush");
    await admin(sb, "POST", "/notify/callbacks/flush");
    expect(received).toHaveLength(2);
    const [send] = (await sends()).sends;
    expect(send?.callback).toMatchObject({ state: "delivered", attempts: 2, lastResult: "204" });
  });

  it("is sent by the sandbox's own timer too, without a flush", async () => {
    await admin(sb, "PUT", "/notify/callback", {
      url: receiverUrl,
      bearerToken: "callback-token-123",
    });
    await client.sendSms(SMS_TEMPLATE!, "07700900151", { personalisation: { body: "x" } });
    await advance(11);
    await expect.poll(() => received.length, { timeout: 2000 }).toBe(1);
  });
});

describe("fault injection on the notify surface", () => {
  it("answers an injected 429 as RateLimitError and 500 as Exception, sending nothing", async () => {
    await admin(sb, "PUT", "/faults", { "notify.send-sms": { rate429: 1, remaining: 1 } });
    const limited = await failure(
      client.sendSms(SMS_TEMPLATE!, "07700900160", { personalisation: { body: "x" } }),
    );
    expect(limited.response?.status).toBe(429);
    expect(limited.response?.data.errors[0]?.error).toBe("RateLimitError");
    await admin(sb, "PUT", "/faults", { notify: { rate500: 1, remaining: 1 } });
    const broken = await failure(
      client.sendSms(SMS_TEMPLATE!, "07700900160", { personalisation: { body: "x" } }),
    );
    expect(broken.response?.status).toBe(500);
    expect(broken.response?.data).toEqual({
      status_code: 500,
      errors: [{ error: "Exception", message: "Internal server error" }],
    });
    expect((await sends()).total).toBe(0);
  });

  it("sends, then drops the connection, on reset-after-commit: the caller cannot know", async () => {
    await admin(sb, "PUT", "/faults", {
      "notify.send-sms": { resetAfterCommitRate: 1, remaining: 1 },
    });
    const error = await failure(
      client.sendSms(SMS_TEMPLATE!, "07700900161", { personalisation: { body: "x" } }),
    );
    expect(error.response).toBeUndefined();
    expect(error.code).toBe("ECONNRESET");
    expect((await sends("?recipient=07700900161")).total).toBe(1);
  });

  it("never answers on a hang, and sends nothing", async () => {
    await admin(sb, "PUT", "/faults", { "notify.send-sms": { hangRate: 1, remaining: 1 } });
    const outcome = await Promise.race([
      client
        .sendSms(SMS_TEMPLATE!, "07700900162", { personalisation: { body: "x" } })
        .then(() => "answered"),
      new Promise((resolve) => setTimeout(() => resolve("no answer"), 300)),
    ]);
    expect(outcome).toBe("no answer");
    expect((await sends()).total).toBe(0);
  });

  it("enforces a per-key rate limit and a daily limit when they are set", async () => {
    await admin(sb, "PUT", "/notify/settings", { rateLimitPerMinute: 2 });
    await client.sendSms(SMS_TEMPLATE!, "07700900163", { personalisation: { body: "x" } });
    await client.getNotifications();
    const limited = await failure(
      client.sendSms(SMS_TEMPLATE!, "07700900163", { personalisation: { body: "x" } }),
    );
    expect(limited.response?.data.errors).toEqual([
      {
        error: "RateLimitError",
        message: "Exceeded rate limit for key type LIVE of 2 requests per 60 seconds",
      },
    ]);
    await admin(sb, "PUT", "/notify/settings", { rateLimitPerMinute: 0, dailyLimit: 1 });
    const daily = await failure(
      client.sendSms(SMS_TEMPLATE!, "07700900163", { personalisation: { body: "x" } }),
    );
    expect(daily.response?.data.errors).toEqual([
      { error: "TooManyRequestsError", message: "Exceeded send limits (1) for today" },
    ]);
  });
});

describe("the record of sends", () => {
  it("counts a recipient written two ways as one recipient sent twice", async () => {
    await client.sendSms(SMS_TEMPLATE!, "07700 900170", { personalisation: { body: "x" } });
    await client.sendSms(SMS_TEMPLATE!, "+447700900170", { personalisation: { body: "y" } });
    await client.sendSms(SMS_TEMPLATE!, "07700900171", { personalisation: { body: "z" } });
    const record = await sends();
    expect(record.total).toBe(3);
    expect(record.sentMoreThanOnce).toEqual(["sms:447700900170"]);
    expect((await sends("?recipient=07700%20900170")).total).toBe(2);
  });

  it("shows the sends on a keyless page of the front door", async () => {
    await client.sendSms(SMS_TEMPLATE!, "07700900172", {
      personalisation: { body: "Visible body" },
    });
    const res = await fetch(`${sb.url}/sandbox/notify`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("07700900172");
    expect(page).toContain("Visible body");
    expect(await (await fetch(`${sb.url}/`)).text()).toContain('href="/sandbox/notify"');
  });

  it("needs the admin key for the JSON record", async () => {
    const res = await fetch(`${sb.url}/_sandbox/notify/sends`);
    expect(res.status).toBe(401);
  });

  it("serves templates for GET /v2/template/{id}", async () => {
    const { data } = await client.getTemplateById(SMS_CODES_TEMPLATE!);
    expect(data).toMatchObject({ id: SMS_CODES_TEMPLATE, type: "sms", version: 1 });
    const error = await failure(client.getTemplateById("11111111-2222-4333-8444-555555555555"));
    expect(error.response?.status).toBe(404);
  });
});
