import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, TextField } from "~/components/ui/field.tsx";
import { formErrorsFromZod, messagesFor, type FormError } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { NotifySettingsFormSchema, notifyFormValues } from "~/modules/notify/settings-form.ts";
import {
  getNotifySettingsView,
  notifyCallbackUrl,
  NotifySettingsError,
  saveNotifySettings,
  testNotifyConnection,
} from "~/modules/notify/settings.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = {
  loader: "manage:notify",
  action: "manage:notify",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "GOV.UK Notify – PKB Desk" }];

/** The production API; the sandbox's Notify is the portal's own origin for the sandbox. */
const NOTIFY_PRODUCTION = "https://api.notifications.service.gov.uk";

const IntentSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("save") }).passthrough(),
  z.object({ intent: z.literal("test") }),
]);

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const view = await getNotifySettingsView();
  return {
    settings: view
      ? {
          baseUrl: view.baseUrl,
          apiKeyName: view.apiKeyName,
          serviceId: view.serviceId,
          smsTemplateId: view.smsTemplateId,
          emailTemplateId: view.emailTemplateId,
          updatedAt: formatUkDateTime(view.updatedAt),
          secretsStored: view.secretsStored,
        }
      : null,
    callbackUrl: notifyCallbackUrl(),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const intent = IntentSchema.safeParse(Object.fromEntries(form));
  if (!intent.success) throw new Response("Bad Request", { status: 400 });
  const context = { actor, clientAddress };
  if (intent.data.intent === "test") {
    const checks = await testNotifyConnection(context);
    if (!checks) {
      return data(
        { kind: "saved-first" as const, errors: [] as FormError[], values: {} },
        { status: 400 },
      );
    }
    return { kind: "tested" as const, checks, testedAt: formatUkDateTime(new Date()) };
  }
  const values = notifyFormValues(form);
  const parsed = NotifySettingsFormSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return data(
      { kind: "invalid" as const, errors: formErrorsFromZod(parsed.error), values },
      { status: 400 },
    );
  }
  try {
    await saveNotifySettings(parsed.data, context);
  } catch (error) {
    if (error instanceof NotifySettingsError) {
      return data(
        { kind: "invalid" as const, errors: error.issues as FormError[], values },
        { status: 400 },
      );
    }
    throw error;
  }
  return redirectWithToast("/admin/notify", {
    kind: "success",
    message: "GOV.UK Notify settings saved.",
  });
}

export default function NotifySettingsPage() {
  const { settings, callbackUrl } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const testing = navigation.state !== "idle" && navigation.formData?.get("intent") === "test";
  const errors = result && "errors" in result ? result.errors : [];
  const typed = result && "values" in result ? (result.values as Record<string, string>) : {};
  const value = (name: "baseUrl" | "smsTemplateId" | "emailTemplateId") =>
    typed[name] ?? settings?.[name] ?? (name === "baseUrl" ? NOTIFY_PRODUCTION : "");
  const secretHint = (stored: boolean | undefined, fresh: string) =>
    stored
      ? "Stored (•••••••• hidden). Leave blank to keep it; type a new one to replace it."
      : result?.kind === "invalid"
        ? "Type it again: for safety, secrets are never sent back to the page."
        : fresh;
  return (
    <>
      <PageHeading
        title="GOV.UK Notify"
        lede="The Notify service that sends invitation text messages and e-mails, and where Notify reports what became of them."
      />
      <ErrorSummary errors={errors} />
      {settings ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Connection</h2>
          <Form method="post" className="mb-4">
            <CsrfInput />
            <input type="hidden" name="intent" value="test" />
            <Button variant="secondary" disabled={testing}>
              {testing ? "Asking Notify…" : "Test connection"}
            </Button>
          </Form>
          {result?.kind === "tested" ? (
            <NotifyTestResults checks={result.checks} testedAt={result.testedAt} />
          ) : null}
          <p className="max-w-3xl text-nhs-dark-grey">
            The test reads the two templates from Notify. It sends nothing to anyone.
          </p>
          <dl className="mt-4 grid grid-cols-1 gap-x-6 gap-y-2 sm:grid-cols-[max-content_1fr]">
            <dt className="font-bold">Service id</dt>
            <dd className="break-all">{settings.serviceId}</dd>
            <dt className="font-bold">API key</dt>
            <dd>
              {settings.apiKeyName} <span className="text-nhs-dark-grey">(secret hidden)</span>
            </dd>
            <dt className="font-bold">Last changed</dt>
            <dd>{settings.updatedAt}</dd>
          </dl>
        </Panel>
      ) : null}
      <Panel>
        <h2 className="mb-2 text-xl font-bold">Delivery receipts</h2>
        <p className="max-w-3xl">
          In Notify, under API integration, then Callbacks, enter this address for delivery
          receipts, and the same bearer token as below:
        </p>
        <p className="my-3 break-all font-mono">{callbackUrl}</p>
        <p className="max-w-3xl text-nhs-dark-grey">
          Without callbacks, PKB Desk asks Notify for each message&apos;s status instead.
        </p>
      </Panel>
      <Panel>
        <h2 className="mb-4 text-xl font-bold">
          {settings ? "Change the settings" : "Set up Notify"}
        </h2>
        <Form method="post" noValidate key={JSON.stringify(typed)}>
          <CsrfInput />
          <input type="hidden" name="intent" value="save" />
          <TextField
            id="baseUrl"
            name="baseUrl"
            label="Notify API address"
            hint={`Notify's own: ${NOTIFY_PRODUCTION}. The PKB sandbox answers as Notify at its own address.`}
            defaultValue={value("baseUrl")}
            errors={messagesFor(errors, "baseUrl")}
            spellCheck={false}
            autoComplete="off"
          />
          <TextField
            id="apiKey"
            name="apiKey"
            type="password"
            label="API key"
            hint={secretHint(
              settings?.secretsStored.apiKey,
              "The whole key Notify shows once when it is created (a live key to reach patients).",
            )}
            errors={messagesFor(errors, "apiKey")}
            autoComplete="new-password"
          />
          <TextField
            id="smsTemplateId"
            name="smsTemplateId"
            label="Text message template id"
            hint="From Notify's Templates page."
            defaultValue={value("smsTemplateId")}
            errors={messagesFor(errors, "smsTemplateId")}
            spellCheck={false}
            autoComplete="off"
          />
          <TextField
            id="emailTemplateId"
            name="emailTemplateId"
            label="E-mail template id"
            hint="From Notify's Templates page."
            defaultValue={value("emailTemplateId")}
            errors={messagesFor(errors, "emailTemplateId")}
            spellCheck={false}
            autoComplete="off"
          />
          <TextField
            id="callbackBearerToken"
            name="callbackBearerToken"
            type="password"
            label="Callback bearer token"
            hint={secretHint(
              settings?.secretsStored.callbackBearerToken,
              "At least 10 characters. Notify sends it with each delivery receipt; enter the same in Notify.",
            )}
            errors={messagesFor(errors, "callbackBearerToken")}
            autoComplete="new-password"
          />
          <Button>Save settings</Button>
        </Form>
      </Panel>
    </>
  );
}

type NotifyCheckView = {
  check: string;
  label: string;
  ok: boolean;
  skipped: boolean;
  summary: string;
  detail: string;
};

/** One row per check; the outcome is written in words, not carried by colour alone. */
function NotifyTestResults({ checks, testedAt }: { checks: NotifyCheckView[]; testedAt: string }) {
  const failed = checks.filter((check) => !check.ok && !check.skipped).length;
  return (
    <section aria-labelledby="notify-test-heading" className="mb-6" role="status">
      <h3 id="notify-test-heading" className="mb-2 text-lg font-bold">
        {failed === 0 && checks.every((check) => check.ok)
          ? "Notify accepted the key and has both templates"
          : `${failed} of ${checks.length} checks failed`}
        <span className="text-base font-normal text-nhs-dark-grey"> — tested {testedAt}</span>
      </h3>
      <ul className="space-y-3">
        {checks.map((check) => (
          <li
            key={check.check}
            className={`border-l-4 pl-4 ${
              check.ok
                ? "border-nhs-green"
                : check.skipped
                  ? "border-nhs-mid-grey"
                  : "border-nhs-red"
            }`}
          >
            <p className="font-bold">
              {check.ok ? "Works: " : check.skipped ? "Not tried: " : "Failed: "}
              {check.label}
            </p>
            <p>{check.summary}</p>
            {check.detail ? <p className="text-nhs-dark-grey">{check.detail}</p> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
