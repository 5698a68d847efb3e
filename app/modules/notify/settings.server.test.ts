import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as settingsRoute from "~/routes/_shell.admin.notify/route.tsx";
import * as callbackRoute from "~/routes/notify.callback.ts";
import { prisma } from "~/platform/db.server.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import {
  DEFAULT_NOTIFY_API_KEY,
  DEFAULT_NOTIFY_SERVICE_ID,
  DEFAULT_NOTIFY_TEMPLATES,
} from "../../../sandbox/src/notify/config.ts";
import { startSandbox, type RunningSandbox } from "../../../sandbox/src/server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { get, post, signedInAs, type Identity } from "../../../tests/support/requests.ts";
import { loadNotifySender } from "./settings.server.ts";
import type { NotifyCheck } from "./settings.server.ts";
import { registerNotifyStatusHandler } from "./status-callback.server.ts";
import type { NotifyStatusUpdate } from "./status.ts";

/**
 * The Notify settings page and the delivery-receipt route, against the sandbox's Notify over real
 * HTTP: secrets sealed and never sent back, changes and tests audited, and receipts the sandbox
 * POSTs accepted only with the right bearer token.
 */
withTestDatabase();

const SMS = DEFAULT_NOTIFY_TEMPLATES[0]!.id;
const EMAIL = DEFAULT_NOTIFY_TEMPLATES[1]!.id;
const CALLBACK_TOKEN = "callback-token-0123456789";

let sb: RunningSandbox;
let admin: Identity;
let receiver: Server;
let receiverUrl: string;

async function sandboxAdmin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sb.url}/_sandbox${path}`, {
    method,
    headers: { "x-sandbox-admin-key": sb.adminKey, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as Record<string, unknown>;
}

async function save(form: Record<string, string>) {
  return settingsRoute.action({
    request: post("/admin/notify", { intent: "save", ...form }, admin),
    params: {},
    context: {},
  });
}

const goodForm = () => ({
  baseUrl: sb.url,
  apiKey: DEFAULT_NOTIFY_API_KEY,
  smsTemplateId: SMS,
  emailTemplateId: EMAIL,
  callbackBearerToken: CALLBACK_TOKEN,
});

beforeAll(async () => {
  sb = await startSandbox({
    port: 0,
    patients: 20,
    frozenClock: true,
    now: "2026-11-21T10:00:00Z",
  });
  admin = await signedInAs("ADMIN");
  // The portal's callback route behind a real HTTP listener, so the sandbox's Notify POSTs to it.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = new Request(`http://127.0.0.1${req.url ?? "/"}`, {
        method: req.method ?? "POST",
        headers: Object.entries(req.headers).flatMap(([k, v]) =>
          typeof v === "string" ? [[k, v] as [string, string]] : [],
        ),
        body: Buffer.concat(chunks),
      });
      void (callbackRoute.action({ request, params: {}, context: {} }) as Promise<Response>).then(
        async (response) => {
          res.writeHead(response.status).end(await response.text());
        },
      );
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify/callback`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await sb?.close();
  await stopJobRuntime();
});

beforeEach(async () => {
  const db = await prisma();
  await db.notifyConnection.deleteMany();
});

describe("settings", () => {
  it("stores the key and token sealed, and never sends them back to the page", async () => {
    const saved = (await save(goodForm())) as Response;
    expect(saved.status).toBe(302);
    const db = await prisma();
    const row = await db.notifyConnection.findFirstOrThrow();
    expect(row.apiKey).not.toContain(DEFAULT_NOTIFY_API_KEY.slice(-36));
    expect(row.callbackBearerToken).not.toContain(CALLBACK_TOKEN);
    expect(row.serviceId).toBe(DEFAULT_NOTIFY_SERVICE_ID);
    const page = await settingsRoute.loader({
      request: get("/admin/notify", admin),
      params: {},
      context: {},
    });
    const shown = JSON.stringify(page);
    expect(shown).not.toContain(DEFAULT_NOTIFY_API_KEY.slice(-36));
    expect(shown).not.toContain(CALLBACK_TOKEN);
    expect(page.settings).toMatchObject({
      serviceId: DEFAULT_NOTIFY_SERVICE_ID,
      apiKeyName: "pkb_desk_sandbox",
      secretsStored: { apiKey: true, callbackBearerToken: true },
    });
    expect(page.callbackUrl).toMatch(/\/notify\/callback$/);
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { action: "notify.connection.create" },
    });
    expect(JSON.stringify(audit.details)).not.toContain(CALLBACK_TOKEN);
    expect(audit.details).toMatchObject({
      changedFields: expect.arrayContaining(["apiKey", "smsTemplateId"]),
    });
  });

  it("names each bad field, and asks for the secrets on first save", async () => {
    const result = (await save({
      baseUrl: "http://notify.example.com",
      apiKey: "",
      smsTemplateId: "not-a-uuid",
      emailTemplateId: EMAIL,
      callbackBearerToken: "short",
    })) as { data: { errors: Array<{ field: string; message: string }> } };
    const fields = result.data.errors.map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(["baseUrl", "smsTemplateId", "callbackBearerToken"]),
    );
    const noSecrets = (await save({ ...goodForm(), apiKey: "", callbackBearerToken: "" })) as {
      data: { errors: Array<{ field: string }> };
    };
    expect(noSecrets.data.errors.map((e) => e.field)).toEqual(["apiKey", "callbackBearerToken"]);
    const badKey = (await save({ ...goodForm(), apiKey: "just-a-password" })) as {
      data: { errors: Array<{ field: string; message: string }> };
    };
    expect(badKey.data.errors[0]).toMatchObject({ field: "apiKey" });
  });

  it("keeps stored secrets when left blank, but not when the address moves to another host", async () => {
    await save(goodForm());
    const kept = (await save({
      ...goodForm(),
      apiKey: "",
      callbackBearerToken: "",
      smsTemplateId: SMS,
    })) as Response;
    expect(kept.status).toBe(302);
    const moved = (await save({
      ...goodForm(),
      baseUrl: "https://api.notifications.service.gov.uk",
      apiKey: "",
      callbackBearerToken: "",
    })) as { data: { errors: Array<{ field: string; message: string }> } };
    expect(moved.data.errors[0]?.field).toBe("apiKey");
    expect(moved.data.errors[0]?.message).toContain("another host");
    const sender = await loadNotifySender();
    expect(
      await sender!.sendSms({
        phoneNumber: "07700900401",
        personalisation: { body: "x" },
        reference: "r",
      }),
    ).toMatchObject({
      kind: "sent",
    });
  });
});

describe("test connection", () => {
  const press = async () =>
    (
      (await settingsRoute.action({
        request: post("/admin/notify", { intent: "test" }, admin),
        params: {},
        context: {},
      })) as { checks: NotifyCheck[] }
    ).checks;

  it("passes with the sandbox's key and templates, sends nothing, and is audited", async () => {
    await sandboxAdmin("DELETE", "/notify/sends");
    await save(goodForm());
    const checks = await press();
    expect(checks.map((c) => [c.check, c.ok])).toEqual([
      ["api-key", true],
      ["sms-template", true],
      ["email-template", true],
    ]);
    expect((await sandboxAdmin("GET", "/notify/sends")).total).toBe(0);
    const db = await prisma();
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { action: "notify.connection.test" },
    });
    expect(audit.details).toMatchObject({ failed: [], skipped: [] });
  });

  it("says which setting is wrong: a swapped template, or a key Notify refuses", async () => {
    await save({ ...goodForm(), smsTemplateId: EMAIL });
    const swapped = await press();
    expect(swapped.find((c) => c.check === "sms-template")).toMatchObject({
      ok: false,
      summary: "The text message template id names an e-mail template.",
    });
    await save({
      ...goodForm(),
      apiKey: `other-${DEFAULT_NOTIFY_SERVICE_ID}-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee`,
    });
    const refused = await press();
    expect(refused.map((c) => [c.check, c.ok, c.skipped])).toEqual([
      ["api-key", false, false],
      ["sms-template", false, true],
      ["email-template", false, true],
    ]);
  });
});

describe("delivery receipts from the sandbox's Notify", () => {
  it("hands a receipt with the right token to the handler, without the recipient", async () => {
    await save(goodForm());
    const updates: NotifyStatusUpdate[] = [];
    const unregister = registerNotifyStatusHandler(async (update) => {
      updates.push(update);
    });
    try {
      await sandboxAdmin("PUT", "/notify/callback", {
        url: receiverUrl,
        bearerToken: CALLBACK_TOKEN,
      });
      const sender = await loadNotifySender();
      const sent = await sender!.sendSms({
        phoneNumber: "07700900002",
        personalisation: { body: "x" },
        reference: "dispatch-9",
      });
      if (sent.kind !== "sent") throw new Error("not sent");
      await sandboxAdmin("POST", "/clock", { advanceSeconds: 11 });
      await sandboxAdmin("POST", "/notify/callbacks/flush");
      // Sends of earlier tests in this file may reach their final status on the same clock jump
      // and be reported too: this send's receipt must arrive exactly once.
      const mine = updates.filter((update) => update.reference === "dispatch-9");
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        notifyId: sent.notifyId,
        reference: "dispatch-9",
        channel: "sms",
        status: "permanent-failure",
        terminal: true,
        source: "callback",
      });
      expect(JSON.stringify(updates)).not.toContain("07700900002");
      const record = (await sandboxAdmin("GET", "/notify/sends?reference=dispatch-9")) as {
        sends: Array<{ callback: { state: string; lastResult: string } }>;
      };
      expect(record.sends[0]!.callback).toMatchObject({ state: "delivered", lastResult: "204" });
    } finally {
      unregister();
    }
  });

  it("refuses a receipt with the wrong token (401), and answers 503 while no handler is set", async () => {
    await save(goodForm());
    await sandboxAdmin("PUT", "/notify/callback", {
      url: receiverUrl,
      bearerToken: "not-the-right-token",
    });
    const sender = await loadNotifySender();
    await sender!.sendSms({
      phoneNumber: "07700900402",
      personalisation: { body: "x" },
      reference: "dispatch-10",
    });
    await sandboxAdmin("POST", "/clock", { advanceSeconds: 11 });
    await sandboxAdmin("POST", "/notify/callbacks/flush");
    const refused = (await sandboxAdmin("GET", "/notify/sends?reference=dispatch-10")) as {
      sends: Array<{ callback: { lastResult: string } }>;
    };
    expect(refused.sends[0]!.callback.lastResult).toBe("401");

    await sandboxAdmin("PUT", "/notify/callback", {
      url: receiverUrl,
      bearerToken: CALLBACK_TOKEN,
    });
    await sender!.sendSms({
      phoneNumber: "07700900403",
      personalisation: { body: "x" },
      reference: "dispatch-11",
    });
    await sandboxAdmin("POST", "/clock", { advanceSeconds: 11 });
    await sandboxAdmin("POST", "/notify/callbacks/flush");
    const unhandled = (await sandboxAdmin("GET", "/notify/sends?reference=dispatch-11")) as {
      sends: Array<{ callback: { lastResult: string; state: string } }>;
    };
    expect(unhandled.sends[0]!.callback).toMatchObject({ lastResult: "503", state: "pending" });
  });

  it("refuses a body that is not a receipt with 400", async () => {
    await save(goodForm());
    const response = (await callbackRoute.action({
      request: new Request("http://127.0.0.1/notify/callback", {
        method: "POST",
        headers: { authorization: `Bearer ${CALLBACK_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ id: "x", status: "lost" }),
      }),
      params: {},
      context: {},
    })) as Response;
    expect(response.status).toBe(400);
  });
});
