import { randomUUID } from "node:crypto";
import { prisma } from "~/platform/db.server.ts";
import { getEnv } from "~/platform/env.server.ts";
import { recordAudit, type AuditActor } from "../audit/audit.server.ts";
import { seal, unseal } from "../pkb/secrets.server.ts";
import {
  apiKeyParts,
  createNotifySender,
  type NotifySender,
  type NotifySenderOptions,
  type NotifySettings,
} from "./notify-client.server.ts";
import type { NotifySecretField, NotifySettingsForm } from "./settings-form.ts";

/**
 * The installation's GOV.UK Notify settings (one row). The API key and the callback bearer token
 * are sealed like PKB's client secrets (AES-256-GCM, the row id as associated data), never
 * returned by the view, and kept when an edit leaves them blank. Every change is audited with
 * field names, never values.
 */

const INSTALLATION = "default";

export interface NotifySettingsContext {
  actor: AuditActor;
  clientAddress: string | null;
}

/** A rule about the settings was broken; `field` names the form field to point at. */
export class NotifySettingsError extends Error {
  override name = "NotifySettingsError";
  readonly issues: Array<{ field: string; message: string }>;
  constructor(
    readonly field: string,
    message: string,
    more: Array<{ field: string; message: string }> = [],
  ) {
    super(message);
    this.issues = [{ field, message }, ...more];
  }
}

/** The address Notify must POST delivery receipts to (entered in Notify's API integration page). */
export function notifyCallbackUrl(): string {
  const env = getEnv();
  const origin = env.APP_ORIGIN ?? `http://localhost:${env.PORT}`;
  return `${origin.replace(/\/+$/, "")}/notify/callback`;
}

/** The settings as the admin page shows them: no secrets, only whether each is stored. */
export async function getNotifySettingsView() {
  const db = await prisma();
  const row = await db.notifyConnection.findUnique({ where: { installation: INSTALLATION } });
  if (!row) return null;
  return {
    baseUrl: row.baseUrl,
    apiKeyName: row.apiKeyName,
    serviceId: row.serviceId,
    smsTemplateId: row.smsTemplateId,
    emailTemplateId: row.emailTemplateId,
    updatedAt: row.updatedAt,
    secretsStored: {
      apiKey: row.apiKey.length > 0,
      callbackBearerToken: row.callbackBearerToken.length > 0,
    } satisfies Record<NotifySecretField, boolean>,
  };
}
export type NotifySettingsView = NonNullable<Awaited<ReturnType<typeof getNotifySettingsView>>>;

const SECRET_LABELS: Record<NotifySecretField, string> = {
  apiKey: "API key",
  callbackBearerToken: "callback bearer token",
};

/** Creates or updates the settings. Blank secrets keep the stored ones. */
export async function saveNotifySettings(
  input: NotifySettingsForm,
  context: NotifySettingsContext,
): Promise<void> {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const before = await tx.notifyConnection.findUnique({
      where: { installation: INSTALLATION },
    });
    const missing = (["apiKey", "callbackBearerToken"] as const)
      .filter((field) => !before && !input[field])
      .map((field) => ({ field, message: `Enter the ${SECRET_LABELS[field]}` }));
    // The key is sent to the base URL: a stored key never follows the address to another host.
    if (
      before &&
      !input.apiKey &&
      new URL(before.baseUrl).origin !== new URL(input.baseUrl).origin
    ) {
      missing.push({
        field: "apiKey",
        message:
          "Enter the API key again: the Notify API address now names another host, and a stored key is sent only where it was entered",
      });
    }
    if (missing.length > 0) {
      const [first, ...rest] = missing;
      throw new NotifySettingsError(first!.field, first!.message, rest);
    }
    const id = before?.id ?? randomUUID();
    const key = input.apiKey ? apiKeyParts(input.apiKey) : null;
    if (input.apiKey && !key) {
      throw new NotifySettingsError("apiKey", "The API key is not in Notify's format");
    }
    const plain = {
      baseUrl: input.baseUrl,
      smsTemplateId: input.smsTemplateId,
      emailTemplateId: input.emailTemplateId,
    };
    const secrets = {
      ...(input.apiKey && key
        ? { apiKey: seal(input.apiKey, id), apiKeyName: key.keyName, serviceId: key.serviceId }
        : {}),
      ...(input.callbackBearerToken
        ? { callbackBearerToken: seal(input.callbackBearerToken, id) }
        : {}),
    };
    if (!before) {
      await tx.notifyConnection.create({
        data: {
          id,
          installation: INSTALLATION,
          ...plain,
          apiKey: secrets.apiKey!,
          apiKeyName: secrets.apiKeyName!,
          serviceId: secrets.serviceId!,
          callbackBearerToken: secrets.callbackBearerToken!,
        },
      });
    } else {
      await tx.notifyConnection.update({ where: { id }, data: { ...plain, ...secrets } });
    }
    const changed = [
      ...Object.entries(plain)
        .filter(([field, value]) => !before || before[field as keyof typeof plain] !== value)
        .map(([field]) => field),
      ...(input.apiKey ? ["apiKey"] : []),
      ...(input.callbackBearerToken ? ["callbackBearerToken"] : []),
    ];
    await recordAudit(tx, {
      ...context,
      action: before ? "notify.connection.update" : "notify.connection.create",
      entityType: "notify-connection",
      entityId: id,
      details: { changedFields: changed },
    });
  });
}

/** Everything needed to talk to Notify and to check its callbacks. Server-side only. */
export interface NotifyCredentials extends NotifySettings {
  callbackBearerToken: string;
}

export async function loadNotifyCredentials(): Promise<NotifyCredentials | null> {
  const db = await prisma();
  const row = await db.notifyConnection.findUnique({ where: { installation: INSTALLATION } });
  if (!row) return null;
  return {
    baseUrl: row.baseUrl,
    apiKey: unseal(row.apiKey, row.id),
    smsTemplateId: row.smsTemplateId,
    emailTemplateId: row.emailTemplateId,
    callbackBearerToken: unseal(row.callbackBearerToken, row.id),
  };
}

/** The configured sender, or null when Notify is not set up. */
export async function loadNotifySender(
  options: NotifySenderOptions = {},
): Promise<NotifySender | null> {
  const credentials = await loadNotifyCredentials();
  return credentials ? createNotifySender(credentials, options) : null;
}

export type NotifyCheckName = "api-key" | "sms-template" | "email-template";

export interface NotifyCheck {
  check: NotifyCheckName;
  label: string;
  ok: boolean;
  skipped: boolean;
  summary: string;
  detail: string;
}

const TEMPLATE_KIND = { sms: "a text message", email: "an e-mail", letter: "a letter" } as const;

const CHECK_LABELS: Record<NotifyCheckName, string> = {
  "api-key": "API key and address",
  "sms-template": "Text message template",
  "email-template": "E-mail template",
};

/**
 * "Test connection": reads the two configured templates, which proves the address, the key and
 * the template ids without sending anything to anyone. Audited (never the key or Notify's words).
 * `null` when Notify is not set up.
 */
export async function testNotifyConnection(
  context: NotifySettingsContext,
  options: NotifySenderOptions = {},
): Promise<NotifyCheck[] | null> {
  const credentials = await loadNotifyCredentials();
  if (!credentials) return null;
  const sender = createNotifySender(credentials, { timeoutMs: 10_000, ...options });
  const [sms, email] = await Promise.all([
    sender.getTemplate(credentials.smsTemplateId),
    sender.getTemplate(credentials.emailTemplateId),
  ]);
  const checks: NotifyCheck[] = [];
  const result = (
    check: NotifyCheckName,
    ok: boolean,
    summary: string,
    detail: string,
    skipped = false,
  ): NotifyCheck => ({ check, label: CHECK_LABELS[check], ok, skipped, summary, detail });

  const refused = [sms, email].find((r) => r.kind === "refused");
  const unreachable = [sms, email].find((r) => r.kind === "unavailable");
  if (refused?.kind === "refused") {
    checks.push(
      result(
        "api-key",
        false,
        `Notify refused the API key (${refused.httpStatus}).`,
        "Check the API key: paste the whole key Notify showed when it was created, and check it has not been revoked.",
      ),
    );
  } else if (
    unreachable?.kind === "unavailable" &&
    sms.kind !== "template" &&
    email.kind !== "template"
  ) {
    checks.push(
      result(
        "api-key",
        false,
        unreachable.httpStatus
          ? `Notify's address answered ${unreachable.httpStatus}.`
          : "Notify could not be reached.",
        `Check the address (${credentials.baseUrl}) and that the firewall or proxy lets PKB Desk reach it.`,
      ),
    );
  } else {
    checks.push(
      result("api-key", true, "Notify accepted the API key.", "The address and the key work."),
    );
  }
  const keyWorks = checks[0]!.ok;
  for (const [check, answer, wanted, label] of [
    ["sms-template", sms, "sms", "text message"],
    ["email-template", email, "email", "e-mail"],
  ] as const) {
    if (!keyWorks) {
      checks.push(result(check, false, "Not tried: the API key did not work.", "", true));
    } else if (answer.kind === "template" && answer.type === wanted) {
      checks.push(
        result(
          check,
          true,
          `Notify has the ${label} template "${answer.name}".`,
          `Version ${answer.version}.`,
        ),
      );
    } else if (answer.kind === "template") {
      checks.push(
        result(
          check,
          false,
          `The ${label} template id names ${TEMPLATE_KIND[answer.type]} template.`,
          `Use the id of a ${label} template.`,
        ),
      );
    } else if (answer.kind === "not-found") {
      checks.push(
        result(
          check,
          false,
          `Notify has no template with this id.`,
          `Check the ${label} template id in Notify's Templates page.`,
        ),
      );
    } else {
      checks.push(result(check, false, "Notify did not answer as expected.", "Try again later."));
    }
  }
  const db = await prisma();
  const row = await db.notifyConnection.findUniqueOrThrow({
    where: { installation: INSTALLATION },
    select: { id: true },
  });
  await db.$transaction((tx) =>
    recordAudit(tx, {
      ...context,
      action: "notify.connection.test",
      entityType: "notify-connection",
      entityId: row.id,
      details: {
        passed: checks.filter((c) => c.ok).map((c) => c.check),
        failed: checks.filter((c) => !c.ok && !c.skipped).map((c) => c.check),
        skipped: checks.filter((c) => c.skipped).map((c) => c.check),
      },
    }),
  );
  return checks;
}
