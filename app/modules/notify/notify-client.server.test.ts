import { createServer } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger, getLogger, setLogger } from "~/platform/logger.server.ts";
import {
  DEFAULT_NOTIFY_API_KEY,
  DEFAULT_NOTIFY_SERVICE_ID,
  DEFAULT_NOTIFY_TEMPLATES,
} from "../../../sandbox/src/notify/config.ts";
import { startSandbox, type RunningSandbox } from "../../../sandbox/src/server.ts";
import { apiKeyParts, createNotifySender, type NotifySettings } from "./notify-client.server.ts";

/**
 * The Notify client against the sandbox's Notify over real HTTP: every answer and every way a call
 * can break, each classified as the delivery layer needs (ADR 0015), checked against the
 * sandbox's own record of what it sent.
 */

const SMS = DEFAULT_NOTIFY_TEMPLATES[0]!.id;
const EMAIL = DEFAULT_NOTIFY_TEMPLATES[1]!.id;
const CODES = DEFAULT_NOTIFY_TEMPLATES[2]!.id;
const PHONE = "07700 900321";
const ADDRESS = "ada.lovelace.notify@example.com";
const SECRET_WORDS = "Quartz-Meridian-Personalised";

let sb: RunningSandbox;
let settings: NotifySettings;
const captured: string[] = [];
const previousLogger = getLogger();

async function admin(
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${sb.url}/_sandbox${path}`, {
    method,
    headers: { "x-sandbox-admin-key": sb.adminKey, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as Record<string, unknown>;
}
const sendsTo = async (recipient: string) =>
  (await admin("GET", `/notify/sends?recipient=${encodeURIComponent(recipient)}`)).total as number;

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
  sb = await startSandbox({
    port: 0,
    patients: 20,
    frozenClock: true,
    now: "2026-11-21T10:00:00Z",
  });
  settings = {
    baseUrl: sb.url,
    apiKey: DEFAULT_NOTIFY_API_KEY,
    smsTemplateId: SMS,
    emailTemplateId: EMAIL,
  };
});
afterAll(async () => {
  setLogger(previousLogger);
  await sb.close();
});
beforeEach(async () => {
  await admin("DELETE", "/faults");
  await admin("DELETE", "/notify/sends");
});

describe("sendSms / sendEmail outcomes", () => {
  it("sent: Notify's id and our reference, and the sandbox holds exactly one send", async () => {
    const notify = createNotifySender(settings);
    const outcome = await notify.sendSms({
      phoneNumber: PHONE,
      personalisation: { body: `Your code ${SECRET_WORDS}` },
      reference: "dispatch-1",
    });
    expect(outcome).toMatchObject({ kind: "sent", reference: "dispatch-1" });
    expect(outcome.kind === "sent" && outcome.notifyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await sendsTo(PHONE)).toBe(1);
    const email = await notify.sendEmail({
      emailAddress: ADDRESS,
      personalisation: { subject: "Join PKB", body: SECRET_WORDS },
      reference: "dispatch-2",
    });
    expect(email.kind).toBe("sent");
  });

  it("permanent-failure: Notify refused the message (400), with its reason and no number in it", async () => {
    const notify = createNotifySender(settings);
    const badNumber = await notify.sendSms({
      phoneNumber: "01632 960123",
      personalisation: { body: "x" },
      reference: "d-3",
    });
    expect(badNumber).toEqual({
      kind: "permanent-failure",
      httpStatus: 400,
      reason: "ValidationError: phone_number Not a UK mobile number",
    });
    const missing = await notify.sendSms({
      phoneNumber: PHONE,
      templateId: CODES,
      personalisation: { invitation_code: "ABC" },
      reference: "d-4",
    });
    expect(missing).toMatchObject({
      kind: "permanent-failure",
      reason: "BadRequestError: Missing personalisation: access_code, expiry",
    });
    expect(await sendsTo(PHONE)).toBe(0);
  });

  it("temporary-failure: 429 rate-limited (with Retry-After) and Notify's 500, nothing sent", async () => {
    const notify = createNotifySender(settings);
    await admin("PUT", "/faults", {
      "notify.send-sms": { rate429: 1, retryAfterSeconds: 4, remaining: 1 },
    });
    expect(
      await notify.sendSms({
        phoneNumber: PHONE,
        personalisation: { body: "x" },
        reference: "d-5",
      }),
    ).toMatchObject({
      kind: "temporary-failure",
      cause: "rate-limited",
      httpStatus: 429,
      retryAfterSeconds: 4,
    });
    await admin("PUT", "/faults", { "notify.send-sms": { rate500: 1, remaining: 1 } });
    expect(
      await notify.sendSms({
        phoneNumber: PHONE,
        personalisation: { body: "x" },
        reference: "d-6",
      }),
    ).toMatchObject({
      kind: "temporary-failure",
      cause: "notify-error",
      httpStatus: 500,
    });
    await admin("PUT", "/faults", { "notify.send-sms": { rate503: 1, remaining: 1 } });
    expect(
      (
        await notify.sendSms({
          phoneNumber: PHONE,
          personalisation: { body: "x" },
          reference: "d-7",
        })
      ).kind,
    ).toBe("temporary-failure");
    expect(await sendsTo(PHONE)).toBe(0);
  });

  it("temporary-failure (configuration): a key Notify does not know", async () => {
    const wrongKey = `${apiKeyParts(DEFAULT_NOTIFY_API_KEY)!.keyName}-${DEFAULT_NOTIFY_SERVICE_ID}-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee`;
    const notify = createNotifySender({ ...settings, apiKey: wrongKey });
    expect(
      await notify.sendSms({
        phoneNumber: PHONE,
        personalisation: { body: "x" },
        reference: "d-8",
      }),
    ).toMatchObject({
      kind: "temporary-failure",
      cause: "configuration",
      httpStatus: 403,
    });
  });

  it("temporary-failure (unreachable): nothing listens there, so nothing can have been sent", async () => {
    const port = await freePort();
    const notify = createNotifySender({ ...settings, baseUrl: `http://127.0.0.1:${port}` });
    expect(
      await notify.sendSms({
        phoneNumber: PHONE,
        personalisation: { body: "x" },
        reference: "d-9",
      }),
    ).toMatchObject({
      kind: "temporary-failure",
      cause: "unreachable",
      httpStatus: null,
    });
  });

  it("outcome-unknown: the connection drops after Notify sent it (reset after commit)", async () => {
    const notify = createNotifySender(settings);
    await admin("PUT", "/faults", { "notify.send-sms": { resetAfterCommitRate: 1, remaining: 1 } });
    const outcome = await notify.sendSms({
      phoneNumber: PHONE,
      personalisation: { body: "x" },
      reference: "d-10",
    });
    expect(outcome).toMatchObject({ kind: "outcome-unknown", httpStatus: null });
    // The sandbox did send it: exactly why this outcome must never be retried automatically.
    expect(await sendsTo(PHONE)).toBe(1);
  });

  it("outcome-unknown: Notify does not answer in time", async () => {
    const notify = createNotifySender(settings, { timeoutMs: 300 });
    await admin("PUT", "/faults", { "notify.send-sms": { hangRate: 1, remaining: 1 } });
    const started = performance.now();
    const outcome = await notify.sendSms({
      phoneNumber: PHONE,
      personalisation: { body: "x" },
      reference: "d-11",
    });
    expect(outcome).toMatchObject({ kind: "outcome-unknown" });
    expect(outcome.kind === "outcome-unknown" && outcome.reason).toContain(
      "did not answer in time",
    );
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("outcome-unknown: slow Notify still sends after the caller gave up", async () => {
    const notify = createNotifySender(settings, { timeoutMs: 150 });
    await admin("PUT", "/faults", { "notify.send-sms": { latencyMs: 400 } });
    const outcome = await notify.sendSms({
      phoneNumber: PHONE,
      personalisation: { body: "x" },
      reference: "d-12",
    });
    expect(outcome.kind).toBe("outcome-unknown");
    await expect.poll(() => sendsTo(PHONE), { timeout: 2_000 }).toBe(1);
  });

  it("outcome-unknown: a gateway's 502 in front of Notify", async () => {
    const notify = createNotifySender(settings);
    await admin("PUT", "/faults", { "notify.send-sms": { rate502: 1, remaining: 1 } });
    expect(
      await notify.sendSms({
        phoneNumber: PHONE,
        personalisation: { body: "x" },
        reference: "d-13",
      }),
    ).toMatchObject({
      kind: "outcome-unknown",
      httpStatus: 502,
    });
  });
});

describe("getStatus (polling) and getTemplate", () => {
  it("follows a notification to its final status on the sandbox clock", async () => {
    const notify = createNotifySender(settings);
    const sent = await notify.sendSms({
      phoneNumber: "07700900002",
      personalisation: { body: "x" },
      reference: "d-20",
    });
    if (sent.kind !== "sent") throw new Error("not sent");
    expect(await notify.getStatus(sent.notifyId)).toMatchObject({
      kind: "status",
      update: {
        notifyId: sent.notifyId,
        status: "created",
        terminal: false,
        reference: "d-20",
        channel: "sms",
        source: "poll",
      },
    });
    await admin("POST", "/clock", { advanceSeconds: 11 });
    const final = await notify.getStatus(sent.notifyId);
    expect(final).toMatchObject({
      kind: "status",
      update: { status: "permanent-failure", terminal: true },
    });
    expect(final.kind === "status" && final.update.completedAt).toBeInstanceOf(Date);
    expect(await notify.getStatus("11111111-2222-4333-8444-555555555555")).toEqual({
      kind: "not-found",
    });
  });

  it("reads templates, and says when one does not exist", async () => {
    const notify = createNotifySender(settings);
    expect(await notify.getTemplate(SMS)).toMatchObject({ kind: "template", type: "sms" });
    expect(await notify.getTemplate("11111111-2222-4333-8444-555555555555")).toEqual({
      kind: "not-found",
    });
  });
});

describe("logs", () => {
  it("never hold the number, the address or the personalisation", () => {
    const text = captured.join("");
    expect(text).toContain("notify send");
    for (const value of [PHONE, "7700900321", "900321", ADDRESS, SECRET_WORDS, "01632"]) {
      expect(text).not.toContain(value);
    }
  });
});

describe("apiKeyParts", () => {
  it("takes the key apart as the official client does", () => {
    expect(apiKeyParts(DEFAULT_NOTIFY_API_KEY)).toMatchObject({
      serviceId: DEFAULT_NOTIFY_SERVICE_ID,
      keyName: "pkb_desk_sandbox",
    });
    expect(apiKeyParts("not-a-key")).toBeNull();
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
