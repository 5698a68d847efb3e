import { NotifyClient } from "notifications-node-client";
import { getLogger } from "~/platform/logger.server.ts";
import {
  classifySendFailure,
  classifySendResponse,
  notifyErrorText,
  type NotifySendOutcome,
} from "./outcome.ts";
import {
  isDeliveryStatus,
  notificationSchema,
  statusUpdateFrom,
  type NotifyStatusUpdate,
} from "./status.ts";
import {
  createNotifyTransport,
  NotifyTransportError,
  type NotifyHttpResponse,
  type NotifyTransport,
} from "./transport.server.ts";

/**
 * The portal's GOV.UK Notify client: the official notifications-node-client (paths, bodies, JWT)
 * over our transport, with every send classified into the four outcomes of ADR 0015. Nothing here
 * retries a send: whether and when to try again is the delivery layer's decision, and an
 * `outcome-unknown` send must wait for a person. Phone numbers, addresses and personalisation are
 * never logged; logs carry the outcome, the HTTP status, Notify's id and our reference.
 */

export interface NotifySettings {
  /** Notify's API origin, e.g. https://api.notifications.service.gov.uk or the sandbox. */
  baseUrl: string;
  /** The whole key: `{key name}-{service id}-{secret}`. */
  apiKey: string;
  smsTemplateId: string;
  emailTemplateId: string;
}

export interface SendSmsRequest {
  phoneNumber: string;
  personalisation?: Record<string, string>;
  /** Our id for this send (the dispatch row's id). Notify forbids personal data here. */
  reference: string;
  /** Default: the configured text-message template. */
  templateId?: string;
}

export interface SendEmailRequest {
  emailAddress: string;
  personalisation?: Record<string, string>;
  reference: string;
  /** Default: the configured e-mail template. */
  templateId?: string;
}

export type NotifyStatusResult =
  | { kind: "status"; update: NotifyStatusUpdate }
  | { kind: "not-found" }
  | { kind: "unavailable"; httpStatus: number | null; reason: string };

export type NotifyTemplateResult =
  | {
      kind: "template";
      id: string;
      type: "sms" | "email" | "letter";
      name: string;
      version: number;
    }
  | { kind: "not-found" }
  | { kind: "refused"; httpStatus: number; reason: string }
  | { kind: "unavailable"; httpStatus: number | null; reason: string };

export interface NotifySender {
  sendSms(request: SendSmsRequest): Promise<NotifySendOutcome>;
  sendEmail(request: SendEmailRequest): Promise<NotifySendOutcome>;
  /** Polls one notification's status (`GET /v2/notifications/{id}`). */
  getStatus(notifyId: string): Promise<NotifyStatusResult>;
  /** Reads a template (`GET /v2/template/{id}`): the harmless call "Test connection" makes. */
  getTemplate(templateId: string): Promise<NotifyTemplateResult>;
}

export interface NotifySenderOptions {
  /** Per call. Default 10 s. */
  timeoutMs?: number;
  transport?: NotifyTransport;
}

/** The key's parts, as notifications-node-client takes them apart (the last 73 characters). */
export function apiKeyParts(
  apiKey: string,
): { keyName: string; serviceId: string; secret: string } | null {
  const key = apiKey.trim();
  const match =
    /^(.+)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(
      key,
    );
  if (!match) return null;
  return { keyName: match[1]!, serviceId: match[2]!.toLowerCase(), secret: match[3]! };
}

type SendResult = Promise<{ data: unknown }>;

export function createNotifySender(
  settings: NotifySettings,
  options: NotifySenderOptions = {},
): NotifySender {
  const client = new NotifyClient(settings.baseUrl.replace(/\/+$/, ""), settings.apiKey.trim());
  const transport =
    options.transport ?? createNotifyTransport({ timeoutMs: options.timeoutMs ?? 10_000 });
  // The client calls its HTTP client as a function with an axios-style request config; ours
  // answers every status (the client passes it straight back) and rejects only without one.
  client.setClient(transport as unknown as Parameters<NotifyClient["setClient"]>[0]);

  const call = async (
    run: () => SendResult,
  ): Promise<NotifyHttpResponse | NotifyTransportError> => {
    try {
      return (await run()) as unknown as NotifyHttpResponse;
    } catch (error) {
      if (error instanceof NotifyTransportError) return error;
      throw error;
    }
  };

  const send = async (
    channel: "sms" | "email",
    reference: string,
    run: () => SendResult,
  ): Promise<NotifySendOutcome> => {
    const started = performance.now();
    const answer = await call(run);
    const outcome =
      answer instanceof NotifyTransportError
        ? classifySendFailure(answer.requestWritten, answer.code)
        : classifySendResponse(answer.status, answer.data, answer.headers);
    getLogger().info(
      {
        notify: {
          channel,
          reference,
          outcome: outcome.kind,
          ...(outcome.kind === "sent" ? { notifyId: outcome.notifyId } : {}),
          ...(outcome.kind !== "sent" ? { httpStatus: outcome.httpStatus } : {}),
          ...(answer instanceof NotifyTransportError ? { transportError: answer.code } : {}),
          ms: Math.round(performance.now() - started),
        },
      },
      "notify send",
    );
    return outcome;
  };

  return {
    sendSms(request) {
      return send("sms", request.reference, () =>
        client.sendSms(request.templateId ?? settings.smsTemplateId, request.phoneNumber, {
          reference: request.reference,
          ...(request.personalisation ? { personalisation: request.personalisation } : {}),
        }),
      );
    },

    sendEmail(request) {
      return send("email", request.reference, () =>
        client.sendEmail(request.templateId ?? settings.emailTemplateId, request.emailAddress, {
          reference: request.reference,
          ...(request.personalisation ? { personalisation: request.personalisation } : {}),
        }),
      );
    },

    async getStatus(notifyId) {
      const answer = await call(() => client.getNotificationById(notifyId));
      if (answer instanceof NotifyTransportError) {
        return {
          kind: "unavailable",
          httpStatus: null,
          reason: `Notify could not be reached (${answer.code}).`,
        };
      }
      if (answer.status === 404) return { kind: "not-found" };
      if (answer.status !== 200) {
        return {
          kind: "unavailable",
          httpStatus: answer.status,
          reason: notifyErrorText(answer.data),
        };
      }
      const parsed = notificationSchema.safeParse(answer.data);
      if (
        !parsed.success ||
        parsed.data.type === "letter" ||
        !isDeliveryStatus(parsed.data.status)
      ) {
        return {
          kind: "unavailable",
          httpStatus: answer.status,
          reason: "Notify's answer about the notification could not be read.",
        };
      }
      const { type, status, ...rest } = parsed.data;
      return {
        kind: "status",
        update: statusUpdateFrom({ ...rest, status }, type, "poll"),
      };
    },

    async getTemplate(templateId) {
      const answer = await call(() => client.getTemplateById(templateId));
      if (answer instanceof NotifyTransportError) {
        return {
          kind: "unavailable",
          httpStatus: null,
          reason: `Notify could not be reached (${answer.code}).`,
        };
      }
      if (answer.status === 404) return { kind: "not-found" };
      if (answer.status === 401 || answer.status === 403) {
        return { kind: "refused", httpStatus: answer.status, reason: notifyErrorText(answer.data) };
      }
      const body = answer.data as {
        id?: unknown;
        type?: unknown;
        name?: unknown;
        version?: unknown;
      };
      if (
        answer.status !== 200 ||
        typeof body?.id !== "string" ||
        (body.type !== "sms" && body.type !== "email" && body.type !== "letter")
      ) {
        return {
          kind: "unavailable",
          httpStatus: answer.status,
          reason:
            answer.status === 200
              ? "The answer was not a Notify template."
              : notifyErrorText(answer.data),
        };
      }
      return {
        kind: "template",
        id: body.id,
        type: body.type,
        name: typeof body.name === "string" ? body.name : "",
        version: typeof body.version === "number" ? body.version : 0,
      };
    },
  };
}
