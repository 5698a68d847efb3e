import { z } from "zod";
import type { Route, SandboxApp } from "../app.ts";
import { body, requireAdminKey } from "../controls/routes.ts";
import type { RequestContext } from "../http/context.ts";
import { json, ReplyError, type Reply } from "../http/reply.ts";
import { notifyTemplateSchema } from "./config.ts";
import { normaliseRecipient, type FinalStatus } from "./recipients.ts";
import { notifyTime, type NotifySend, type NotifyStore } from "./store.ts";

/**
 * `/_sandbox/notify/…`: what the sandbox's Notify was asked to send (the record tests check "no
 * recipient was sent twice" against), the outcome per recipient, the delivery-receipt callback,
 * timings and limits. Every call needs the admin key; none is faulted.
 */

const finalStatusSchema = z.enum([
  "delivered",
  "permanent-failure",
  "temporary-failure",
  "technical-failure",
]);

export function describeSend(notify: NotifyStore, s: NotifySend): Record<string, unknown> {
  return {
    id: s.id,
    type: s.type,
    to: s.to,
    normalisedTo: s.normalisedTo,
    templateId: s.templateId,
    templateVersion: s.templateVersion,
    reference: s.reference,
    personalisation: s.personalisation,
    subject: s.subject,
    body: s.body,
    createdAt: notifyTime(s.createdAt),
    status: notify.statusOf(s),
    finalStatus: s.finalStatus,
    outcomeSource: s.outcomeSource,
    callback: s.callback,
  };
}

/** Sends per recipient, and the recipients sent more than once (H4: at most one dispatch). */
export function sendCounts(sends: readonly NotifySend[]): {
  perRecipient: Record<string, number>;
  sentMoreThanOnce: string[];
} {
  const perRecipient: Record<string, number> = {};
  for (const s of sends) {
    const key = `${s.type}:${s.normalisedTo}`;
    perRecipient[key] = (perRecipient[key] ?? 0) + 1;
  }
  return {
    perRecipient,
    sentMoreThanOnce: Object.entries(perRecipient)
      .filter(([, n]) => n > 1)
      .map(([k]) => k),
  };
}

export function notifyControlRoutes(app: SandboxApp): Route[] {
  const { notify } = app;

  const overview = (): Reply => {
    const callback = notify.callback();
    return json(200, {
      serviceId: notify.serviceId,
      serviceName: notify.serviceName,
      settings: notify.settings,
      // The bearer token is a secret the portal holds too; show only that one is set.
      callback: callback ? { url: callback.url, bearerTokenSet: true } : null,
      templates: notify.listTemplates(),
      outcomes: notify.outcomes(),
      sends: notify.all().length,
    });
  };

  const sends = (ctx: RequestContext): Reply => {
    const q = ctx.url.searchParams;
    const recipient = q.get("recipient");
    const normalised =
      recipient === null ? undefined : (normaliseRecipient(recipient) ?? recipient);
    const reference = q.get("reference");
    const type = q.get("type");
    const limit = Math.min(Math.max(Number(q.get("limit") ?? 1000) || 1000, 1), 100_000);
    const matching = notify
      .all()
      .filter(
        (s) =>
          (normalised === undefined || s.normalisedTo === normalised) &&
          (reference === null || s.reference === reference) &&
          (type === null || s.type === type),
      );
    return json(200, {
      total: matching.length,
      ...sendCounts(matching),
      sends: matching.slice(-limit).map((s) => describeSend(notify, s)),
    });
  };

  const routes: Route[] = [
    {
      method: "GET",
      pattern: /^\/_sandbox\/notify\/?$/,
      endpoint: "controls.notify",
      handle: overview,
    },
    {
      method: "GET",
      pattern: /^\/_sandbox\/notify\/sends$/,
      endpoint: "controls.notify-sends",
      handle: sends,
    },
    {
      method: "DELETE",
      pattern: /^\/_sandbox\/notify\/sends$/,
      endpoint: "controls.notify-sends-clear",
      handle: () => {
        notify.clearSends();
        return json(200, { cleared: true });
      },
    },
    {
      method: "PUT",
      pattern: /^\/_sandbox\/notify\/callback$/,
      endpoint: "controls.notify-callback",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z.object({ url: z.string().url(), bearerToken: z.string().min(10) }),
        );
        notify.setCallback(input);
        return json(200, { url: input.url, bearerTokenSet: true });
      },
    },
    {
      method: "DELETE",
      pattern: /^\/_sandbox\/notify\/callback$/,
      endpoint: "controls.notify-callback-clear",
      handle: () => {
        notify.setCallback(undefined);
        return json(200, { callback: null });
      },
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/notify\/callbacks\/flush$/,
      endpoint: "controls.notify-callbacks-flush",
      handle: async () => {
        await notify.dispatchDue({ ignoreBackoff: true });
        const states: Record<string, number> = {};
        for (const s of notify.all()) {
          states[s.callback.state] = (states[s.callback.state] ?? 0) + 1;
        }
        return json(200, { callbacks: states });
      },
    },
    {
      method: "POST",
      pattern: /^\/_sandbox\/notify\/outcomes$/,
      endpoint: "controls.notify-outcomes",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z.object({ recipients: z.record(z.string(), finalStatusSchema) }),
        );
        const outcomes: Record<string, FinalStatus> = {};
        const unrecognised: string[] = [];
        for (const [raw, status] of Object.entries(input.recipients)) {
          const key = normaliseRecipient(raw);
          if (key) outcomes[key] = status;
          else unrecognised.push(raw);
        }
        if (unrecognised.length > 0) {
          throw new ReplyError(
            json(400, {
              error: "invalid_recipient",
              message: "Not a UK mobile number or an e-mail address Notify would accept",
              recipients: unrecognised,
            }),
          );
        }
        notify.setOutcomes(outcomes);
        return json(200, { outcomes: notify.outcomes() });
      },
    },
    {
      method: "DELETE",
      pattern: /^\/_sandbox\/notify\/outcomes$/,
      endpoint: "controls.notify-outcomes-clear",
      handle: () => {
        notify.clearOutcomes();
        return json(200, { outcomes: {} });
      },
    },
    {
      method: "PUT",
      pattern: /^\/_sandbox\/notify\/settings$/,
      endpoint: "controls.notify-settings",
      handle: async (ctx) => {
        const input = await body(
          ctx,
          z
            .object({
              sendingAfterSeconds: z.number().min(0),
              deliveredAfterSeconds: z.number().min(0),
              rateLimitPerMinute: z.number().int().min(0),
              dailyLimit: z.number().int().min(0),
            })
            .partial(),
        );
        const next = { ...notify.settings };
        if (input.sendingAfterSeconds !== undefined) {
          next.sendingAfterMs = input.sendingAfterSeconds * 1000;
        }
        if (input.deliveredAfterSeconds !== undefined) {
          next.finalAfterMs = input.deliveredAfterSeconds * 1000;
        }
        if (next.finalAfterMs < next.sendingAfterMs) {
          throw new ReplyError(
            json(400, {
              error: "invalid_body",
              message: "deliveredAfterSeconds must not be less than sendingAfterSeconds",
            }),
          );
        }
        if (input.rateLimitPerMinute !== undefined) {
          next.rateLimitPerMinute = input.rateLimitPerMinute;
        }
        if (input.dailyLimit !== undefined) next.dailyLimit = input.dailyLimit;
        notify.settings = next;
        return json(200, notify.settings);
      },
    },
    {
      method: "PUT",
      pattern: /^\/_sandbox\/notify\/templates$/,
      endpoint: "controls.notify-template",
      handle: async (ctx) => {
        const template = await body(ctx, notifyTemplateSchema);
        notify.putTemplate({ ...template, id: template.id.toLowerCase() });
        return json(200, notify.template(template.id.toLowerCase()));
      },
    },
  ];
  return routes.map((r) => ({
    ...r,
    faultable: false,
    handle: (ctx: RequestContext) => {
      requireAdminKey(app, ctx);
      return r.handle(ctx);
    },
  }));
}
