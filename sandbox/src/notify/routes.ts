import type { Route, SandboxApp } from "../app.ts";
import { header, type RequestContext } from "../http/context.ts";
import { json, ReplyError, type Reply } from "../http/reply.ts";
import type { NotifyTemplate } from "./config.ts";
import { checkNotifyJwt } from "./jwt.ts";
import { checkEmail, checkUkMobile } from "./recipients.ts";
import { notifyTime, type NotifySend, type NotifyStatus } from "./store.ts";

/**
 * GOV.UK Notify API v2 as the official clients use it (notifications-node-client 8.4.0): send a
 * text message or an e-mail, read one notification, list notifications, read a template. Errors
 * are Notify's `{status_code, errors: [{error, message}]}`.
 */

export function notifyError(status: number, error: string, message: string): ReplyError {
  return new ReplyError(notifyErrorReply(status, [{ error, message }]));
}

export function notifyErrorReply(
  status: number,
  errors: Array<{ error: string; message: string }>,
  headers: Record<string, string> = {},
): Reply {
  return json(status, { status_code: status, errors }, headers);
}

/** What Notify says when the per-key rate limit is exceeded (its default is 3000 per minute). */
export function rateLimitMessage(limit: number): string {
  return `Exceeded rate limit for key type LIVE of ${limit} requests per 60 seconds`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Text messages longer than this are refused (Notify: 918 characters, six fragments). */
const SMS_MAX_CHARACTERS = 918;
const SMS_RATE_POUNDS = 0.0227;
const FROM_NUMBER = "PKBDesk";
const FROM_EMAIL = "pkb.desk.sandbox@notifications.service.gov.uk";

const STATUSES = [
  "cancelled",
  "created",
  "sending",
  "sent",
  "delivered",
  "pending",
  "failed",
  "technical-failure",
  "temporary-failure",
  "permanent-failure",
  "pending-virus-check",
  "validation-failed",
  "virus-scan-failed",
  "returned-letter",
  "accepted",
  "received",
] as const;
const FAILED: ReadonlySet<string> = new Set([
  "technical-failure",
  "temporary-failure",
  "permanent-failure",
  "validation-failed",
  "virus-scan-failed",
]);
const PAGE_SIZE = 250;

/** Placeholder names in `((name))` and `((name??text))`. */
function placeholders(text: string): string[] {
  return [...text.matchAll(/\(\(([^()]+?)\)\)/g)].map((m) => (m[1] ?? "").split("??")[0]!.trim());
}

/** Notify matches personalisation keys ignoring case, spaces, underscores and hyphens. */
function looseKey(key: string): string {
  return key.replace(/[\s_-]/g, "").toLowerCase();
}

function personalisationValue(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => `* ${String(v)}`).join("\n");
  return String(value);
}

function render(text: string, values: Map<string, unknown>): string {
  return text.replace(/\(\(([^()]+?)\)\)/g, (_all, inner: string) => {
    const [name = "", conditional] = inner.split("??");
    const value = values.get(looseKey(name.trim()));
    if (conditional !== undefined) return value === true || value === "yes" ? conditional : "";
    return value === undefined || value === null ? "" : personalisationValue(value);
  });
}

/** GSM-7 messages: 160 characters, or 153 per fragment; anything else: 70, or 67 per fragment. */
function smsFragments(body: string): number {
  const gsm = /^[\n\r -_a-z£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà{}\\[~\]|€^]*$/.test(body);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return body.length <= single ? 1 : Math.ceil(body.length / multi);
}

export function notifyRoutes(app: SandboxApp): Route[] {
  const { notify, clock } = app;

  const authenticate = (ctx: RequestContext): string => {
    const check = checkNotifyJwt(
      header(ctx.req, "authorization"),
      (serviceId) => notify.keysFor(serviceId),
      Date.now() / 1000,
    );
    if (!check.ok) throw notifyError(check.status, "AuthError", check.message);
    ctx.log.clientId = `notify:${check.keyName}`;
    if (!notify.takeRateToken(check.keyName, Date.now())) {
      throw notifyError(
        429,
        "RateLimitError",
        rateLimitMessage(notify.settings.rateLimitPerMinute),
      );
    }
    return check.keyName;
  };

  const notificationJson = (ctx: RequestContext, send: NotifySend): Record<string, unknown> => {
    const now = clock.now();
    const status: NotifyStatus = notify.statusOf(send, now);
    const final = status === send.finalStatus && notify.completedAt(send, now) !== null;
    const fragments = send.type === "sms" ? smsFragments(send.body) : 0;
    return {
      id: send.id,
      reference: send.reference,
      email_address: send.type === "email" ? send.to : null,
      phone_number: send.type === "sms" ? send.to : null,
      line_1: null,
      line_2: null,
      line_3: null,
      line_4: null,
      line_5: null,
      line_6: null,
      postcode: null,
      postage: null,
      type: send.type,
      status,
      template: {
        id: send.templateId,
        version: send.templateVersion,
        uri: `${ctx.baseUrl}/v2/template/${send.templateId}/version/${send.templateVersion}`,
      },
      body: send.body,
      subject: send.subject,
      created_at: notifyTime(send.createdAt),
      created_by_name: null,
      sent_at: notifyTime(notify.sentAt(send, now)),
      completed_at: notifyTime(notify.completedAt(send, now)),
      scheduled_for: null,
      one_click_unsubscribe: null,
      is_cost_data_ready: final,
      cost_in_pounds: final ? Math.round(fragments * SMS_RATE_POUNDS * 10_000) / 10_000 : null,
      cost_details: final
        ? send.type === "sms"
          ? {
              billable_sms_fragments: fragments,
              international_rate_multiplier: 1,
              sms_rate: SMS_RATE_POUNDS,
            }
          : {}
        : {},
    };
  };

  const send =
    (type: "sms" | "email") =>
    async (ctx: RequestContext): Promise<Reply> => {
      const keyName = authenticate(ctx);
      const raw = await ctx.readBody();
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw notifyError(400, "ValidationError", "Invalid JSON supplied in POST data");
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw notifyError(400, "ValidationError", "Invalid JSON supplied in POST data");
      }
      const input = parsed as Record<string, unknown>;
      const recipientField = type === "sms" ? "phone_number" : "email_address";
      const allowed = new Set([
        recipientField,
        "template_id",
        "personalisation",
        "reference",
        ...(type === "sms"
          ? ["sms_sender_id"]
          : ["email_reply_to_id", "one_click_unsubscribe_url", "sanitise_content_for"]),
        "scheduled_for",
      ]);
      // Notify validates the whole body against a JSON schema and reports every problem at once.
      const errors: Array<{ error: string; message: string }> = [];
      const invalid = (message: string): void => {
        errors.push({ error: "ValidationError", message });
      };
      for (const field of [recipientField, "template_id"]) {
        if (input[field] === undefined) invalid(`${field} is a required property`);
      }
      const extra = Object.keys(input).filter((k) => !allowed.has(k));
      if (extra.length > 0) {
        invalid(
          `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`,
        );
      }
      const templateId = input.template_id;
      if (templateId !== undefined && (typeof templateId !== "string" || !UUID.test(templateId))) {
        invalid("template_id is not a valid UUID");
      }
      if (
        input.personalisation !== undefined &&
        (typeof input.personalisation !== "object" ||
          input.personalisation === null ||
          Array.isArray(input.personalisation))
      ) {
        invalid(`personalisation ${JSON.stringify(input.personalisation)} is not of type object`);
      }
      if (input.reference !== undefined && typeof input.reference !== "string") {
        invalid(`reference ${JSON.stringify(input.reference)} is not of type string`);
      }
      let normalisedTo = "";
      const to = input[recipientField];
      if (to !== undefined) {
        if (typeof to !== "string") {
          invalid(`${recipientField} ${JSON.stringify(to)} is not of type string`);
        } else {
          const check = type === "sms" ? checkUkMobile(to) : checkEmail(to);
          if (check.ok) normalisedTo = check.normalised;
          else invalid(`${recipientField} ${check.message}`);
        }
      }
      if (errors.length > 0) throw new ReplyError(notifyErrorReply(400, errors));

      const limit = notify.settings.dailyLimit;
      if (limit > 0 && notify.sentToday() >= limit) {
        throw notifyError(429, "TooManyRequestsError", `Exceeded send limits (${limit}) for today`);
      }
      const template = notify.template(templateId as string);
      if (!template) throw notifyError(400, "BadRequestError", "Template not found");
      if (template.type !== type) {
        throw notifyError(
          400,
          "BadRequestError",
          `${template.type} template is not suitable for ${type} notification`,
        );
      }
      const personalisation = (input.personalisation ?? {}) as Record<string, unknown>;
      const values = new Map(Object.entries(personalisation).map(([k, v]) => [looseKey(k), v]));
      const needed = [
        ...new Set(placeholders(`${template.subject ?? ""} ${template.body}`).map((n) => n)),
      ];
      const missing = needed.filter((name) => {
        const value = values.get(looseKey(name));
        return value === undefined || value === null;
      });
      if (missing.length > 0) {
        throw notifyError(400, "BadRequestError", `Missing personalisation: ${missing.join(", ")}`);
      }
      const body = render(template.body, values);
      const subject = template.subject === undefined ? null : render(template.subject, values);
      if (type === "sms" && body.length > SMS_MAX_CHARACTERS) {
        throw notifyError(
          400,
          "BadRequestError",
          `Text messages cannot be longer than ${SMS_MAX_CHARACTERS} characters. Your message is ${body.length} characters long.`,
        );
      }
      if (body.trim() === "") throw notifyError(400, "BadRequestError", "Your message is empty.");

      const record = notify.record({
        type,
        to: to as string,
        normalisedTo,
        templateId: template.id,
        templateVersion: template.version,
        templateName: template.name,
        personalisation,
        reference: typeof input.reference === "string" ? input.reference : null,
        body,
        subject,
        apiKeyName: keyName,
      });
      ctx.log.identifiers = 1;
      const templateRef = {
        id: template.id,
        version: template.version,
        uri: `${ctx.baseUrl}/services/${notify.serviceId}/templates/${template.id}`,
      };
      return json(201, {
        id: record.id,
        reference: record.reference,
        content:
          type === "sms"
            ? { body, from_number: FROM_NUMBER }
            : { body, subject, from_email: FROM_EMAIL, one_click_unsubscribe_url: null },
        uri: `${ctx.baseUrl}/v2/notifications/${record.id}`,
        template: templateRef,
        scheduled_for: null,
      });
    };

  const getOne = (ctx: RequestContext): Reply => {
    authenticate(ctx);
    const id = ctx.params[0] ?? "";
    if (!UUID.test(id)) {
      throw notifyError(400, "ValidationError", "notification_id is not a valid UUID");
    }
    const found = notify.get(id.toLowerCase());
    if (!found) throw notifyError(404, "NoResultFound", "No result found");
    return json(200, notificationJson(ctx, found));
  };

  const list = (ctx: RequestContext): Reply => {
    authenticate(ctx);
    const params = ctx.url.searchParams;
    const errors: Array<{ error: string; message: string }> = [];
    const known = new Set(["template_type", "status", "reference", "older_than", "include_jobs"]);
    const extra = [...new Set(params.keys())].filter((k) => !known.has(k));
    if (extra.length > 0) {
      errors.push({
        error: "ValidationError",
        message: `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`,
      });
    }
    const types = params.getAll("template_type");
    for (const t of types) {
      if (!["sms", "email", "letter"].includes(t)) {
        errors.push({
          error: "ValidationError",
          message: `template_type ${t} is not one of [sms, email, letter]`,
        });
      }
    }
    const statuses = params.getAll("status");
    for (const s of statuses) {
      if (!(STATUSES as readonly string[]).includes(s)) {
        errors.push({
          error: "ValidationError",
          message: `status ${s} is not one of [${STATUSES.join(", ")}]`,
        });
      }
    }
    const olderThan = params.get("older_than");
    if (olderThan !== null && !UUID.test(olderThan)) {
      errors.push({ error: "ValidationError", message: "older_than is not a valid UUID" });
    }
    if (errors.length > 0) throw new ReplyError(notifyErrorReply(400, errors));

    const wanted = new Set(statuses.flatMap((s) => (s === "failed" ? [...FAILED] : [s])));
    const reference = params.get("reference");
    const now = clock.now();
    const all = notify.all();
    // Newest first; `older_than` starts after that notification (unknown id: nothing older).
    let end = all.length;
    if (olderThan !== null) {
      const index = all.findIndex((s) => s.id === olderThan.toLowerCase());
      end = index === -1 ? 0 : index;
    }
    const page: NotifySend[] = [];
    for (let i = end - 1; i >= 0 && page.length < PAGE_SIZE; i--) {
      const s = all[i]!;
      if (types.length > 0 && !types.includes(s.type)) continue;
      if (reference !== null && s.reference !== reference) continue;
      if (wanted.size > 0 && !wanted.has(notify.statusOf(s, now))) continue;
      page.push(s);
    }
    const query = (extraParams: Record<string, string>): string => {
      const q = new URLSearchParams();
      for (const [k, v] of params) if (k !== "older_than") q.append(k, v);
      for (const [k, v] of Object.entries(extraParams)) q.set(k, v);
      const text = q.toString();
      return `${ctx.baseUrl}/v2/notifications${text ? `?${text}` : ""}`;
    };
    const last = page[page.length - 1];
    return json(200, {
      notifications: page.map((s) => notificationJson(ctx, s)),
      links: {
        current: query(olderThan ? { older_than: olderThan } : {}),
        ...(page.length === PAGE_SIZE && last ? { next: query({ older_than: last.id }) } : {}),
      },
    });
  };

  const templateJson = (t: NotifyTemplate): Record<string, unknown> => ({
    id: t.id,
    name: t.name,
    type: t.type,
    created_at: notifyTime(Date.parse("2026-01-05T09:00:00Z")),
    updated_at: null,
    created_by: "sandbox@notifications.service.gov.uk",
    version: t.version,
    body: t.body,
    subject: t.type === "email" ? (t.subject ?? null) : null,
    letter_contact_block: null,
  });

  const getTemplate = (ctx: RequestContext): Reply => {
    authenticate(ctx);
    const id = ctx.params[0] ?? "";
    if (!UUID.test(id)) throw notifyError(400, "ValidationError", "id is not a valid UUID");
    const template = notify.template(id.toLowerCase());
    if (!template) throw notifyError(404, "NoResultFound", "No result found");
    return json(200, templateJson(template));
  };

  return [
    {
      method: "POST",
      pattern: /^\/v2\/notifications\/sms$/,
      endpoint: "notify.send-sms",
      handle: send("sms"),
    },
    {
      method: "POST",
      pattern: /^\/v2\/notifications\/email$/,
      endpoint: "notify.send-email",
      handle: send("email"),
    },
    {
      method: "GET",
      pattern: /^\/v2\/notifications\/?$/,
      endpoint: "notify.get-notifications",
      handle: list,
    },
    {
      method: "GET",
      pattern: /^\/v2\/notifications\/([^/]+)$/,
      endpoint: "notify.get-notification",
      handle: getOne,
    },
    {
      method: "GET",
      pattern: /^\/v2\/template\/([^/]+)$/,
      endpoint: "notify.get-template",
      handle: getTemplate,
    },
  ];
}
