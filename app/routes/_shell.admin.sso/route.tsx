import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { formErrorsFromZod, messagesFor, type FormError } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { Role, SsoUnknownUserPolicy } from "~/generated/prisma/enums.ts";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { SsoSettingsFormSchema } from "~/modules/auth/sso/settings-form.ts";
import {
  getSsoSettingsView,
  saveSsoSettings,
  ssoCallbackUrl,
  SsoSettingsError,
} from "~/modules/auth/sso/settings.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

/** The trust's identity provider (single sign-on) and whether local passwords remain. */
export const access = { loader: "manage:sign-in", action: "manage:sign-in" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Trust single sign-on – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const view = await getSsoSettingsView();
  return {
    callbackUrl: ssoCallbackUrl(),
    settings: view
      ? {
          enabled: view.enabled,
          issuer: view.issuer,
          clientId: view.clientId,
          secretStored: view.secretStored,
          allowedDomains: view.allowedDomains.join("\n"),
          unknownUsers: view.unknownUsers,
          defaultRole: view.defaultRole,
          groupRoles: view.groupRoles.map((line) => `${line.group} = ${line.role}`).join("\n"),
          groupTeams: view.groupTeams.map((line) => `${line.group} = ${line.team}`).join("\n"),
          ssoOnly: view.ssoOnly,
          breakGlassEmails: view.breakGlassEmails.join("\n"),
        }
      : null,
  };
}

const TEXT_FIELDS = [
  "issuer",
  "clientId",
  "allowedDomains",
  "unknownUsers",
  "defaultRole",
  "groupRoles",
  "groupTeams",
  "breakGlassEmails",
] as const;

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  // What was typed comes back on an error (never the secret).
  const values = Object.fromEntries(
    TEXT_FIELDS.map((name) => [name, String(form.get(name) ?? "").slice(0, 5000)]),
  );
  const parsed = SsoSettingsFormSchema.safeParse({
    ...Object.fromEntries(TEXT_FIELDS.map((name) => [name, form.get(name) ?? ""])),
    clientSecret: form.get("clientSecret") ?? "",
    enabled: form.get("enabled") ?? undefined,
    ssoOnly: form.get("ssoOnly") ?? undefined,
  });
  if (!parsed.success) {
    return Response.json({ errors: formErrorsFromZod(parsed.error), values }, { status: 400 });
  }
  const input = parsed.data;
  try {
    await saveSsoSettings(
      {
        enabled: input.enabled === "yes",
        issuer: input.issuer,
        clientId: input.clientId,
        clientSecret: input.clientSecret,
        allowedDomains: input.allowedDomains,
        unknownUsers: input.unknownUsers,
        defaultRole: input.defaultRole,
        groupRoles: input.groupRoles.map((line) => ({ group: line.group, role: line.value })),
        groupTeams: input.groupTeams.map((line) => ({ group: line.group, team: line.value })),
        ssoOnly: input.ssoOnly === "yes",
        breakGlassEmails: input.breakGlassEmails,
      },
      { actor, clientAddress },
    );
  } catch (error) {
    if (error instanceof SsoSettingsError) {
      return Response.json({ errors: error.issues, values }, { status: 400 });
    }
    throw error;
  }
  return redirectWithToast("/admin/sso", {
    kind: "success",
    message: "Single sign-on settings saved.",
  });
}

export default function SsoSettingsPage() {
  const { settings, callbackUrl } = useLoaderData<typeof loader>();
  const result = useActionData<{ errors: FormError[]; values: Record<string, string> }>();
  const errors = result?.errors ?? [];
  const value = (name: (typeof TEXT_FIELDS)[number]) =>
    result?.values[name] ?? (settings ? String(settings[name]) : "");
  const area = (name: (typeof TEXT_FIELDS)[number], label: string, hint: string) => (
    <div
      className={`mb-5 ${messagesFor(errors, name).length ? "border-l-4 border-nhs-red pl-3" : ""}`}
    >
      <label htmlFor={name} className="block font-bold">
        {label}
      </label>
      <p id={`${name}-hint`} className="text-nhs-dark-grey">
        {hint}
      </p>
      {messagesFor(errors, name).length ? (
        <p id={`${name}-error`} className="font-bold text-nhs-red">
          <span className="sr-only">Error: </span>
          {messagesFor(errors, name).join(". ")}
        </p>
      ) : null}
      <textarea
        id={name}
        name={name}
        rows={4}
        defaultValue={value(name)}
        spellCheck={false}
        aria-describedby={`${name}-hint${messagesFor(errors, name).length ? ` ${name}-error` : ""}`}
        className="mt-1 block w-full max-w-xl rounded-none border-2 border-nhs-black bg-white px-2 py-1.5 font-mono"
      />
    </div>
  );
  return (
    <>
      <PageHeading
        title="Trust single sign-on"
        lede="Staff sign in with their trust account through the trust's identity provider (OpenID Connect, for example Microsoft Entra ID). The provider's own multi-factor sign-in protects these accounts."
      />
      <ErrorSummary errors={errors} />
      <Panel>
        <h2 className="mb-2 text-xl font-bold">Register PKB Desk with the identity provider</h2>
        <p className="max-w-3xl">Give the trust's identity team this redirect address:</p>
        <p className="my-3 break-all font-mono">{callbackUrl}</p>
        <p className="max-w-3xl text-nhs-dark-grey">
          PKB Desk asks for the scopes openid, email and profile, and reads the e-mail (which must
          be verified) and the groups claim from the ID token.
        </p>
      </Panel>
      <Panel>
        <h2 className="mb-4 text-xl font-bold">
          {settings ? "Settings" : "Set up single sign-on"}
        </h2>
        <Form method="post" noValidate key={JSON.stringify(result?.values ?? {})}>
          <CsrfInput />
          <div className="mb-5 flex items-center gap-2">
            <input
              type="checkbox"
              id="enabled"
              name="enabled"
              value="yes"
              defaultChecked={settings?.enabled ?? true}
              className="h-6 w-6 accent-nhs-blue"
            />
            <label htmlFor="enabled">Offer &quot;Sign in with your trust account&quot;</label>
          </div>
          <TextField
            id="issuer"
            name="issuer"
            label="Issuer"
            hint="The identity provider's issuer address, e.g. https://login.microsoftonline.com/{tenant}/v2.0"
            defaultValue={value("issuer")}
            errors={messagesFor(errors, "issuer")}
            spellCheck={false}
            autoComplete="off"
          />
          <TextField
            id="clientId"
            name="clientId"
            label="Client id"
            defaultValue={value("clientId")}
            errors={messagesFor(errors, "clientId")}
            spellCheck={false}
            autoComplete="off"
          />
          <TextField
            id="clientSecret"
            name="clientSecret"
            type="password"
            label="Client secret"
            hint={
              settings?.secretStored
                ? "Stored (hidden). Leave blank to keep it; type a new one to replace it."
                : result
                  ? "Type it again: for safety, secrets are never sent back to the page."
                  : "From the identity provider's registration of PKB Desk."
            }
            errors={messagesFor(errors, "clientSecret")}
            autoComplete="new-password"
          />
          {area(
            "allowedDomains",
            "Allowed e-mail domains",
            "One per line, e.g. trust.nhs.uk. Other addresses are refused.",
          )}
          <SelectField
            id="unknownUsers"
            name="unknownUsers"
            label="Someone signs in who has no PKB Desk account"
            defaultValue={value("unknownUsers") || SsoUnknownUserPolicy.CREATE}
            options={[
              {
                value: SsoUnknownUserPolicy.CREATE,
                label: "Create their account with the role and teams their groups map to",
              },
              {
                value: SsoUnknownUserPolicy.PENDING_APPROVAL,
                label:
                  "Create them as a viewer in no team, waiting for an administrator's approval",
              },
              {
                value: SsoUnknownUserPolicy.REFUSE,
                label: "Refuse: an administrator creates accounts first",
              },
            ]}
          />
          <SelectField
            id="defaultRole"
            name="defaultRole"
            label="Role when no group maps to one"
            defaultValue={value("defaultRole") || Role.VIEWER}
            options={Object.values(Role).map((role) => ({ value: role, label: ROLE_LABELS[role] }))}
          />
          {area(
            "groupRoles",
            "Group to role",
            "One per line: group = ROLE (ADMIN, CAMPAIGN_MANAGER, TEAM_LEAD, REQUEST_HANDLER, VIEWER). The first matching line wins. Used when the account is created.",
          )}
          {area(
            "groupTeams",
            "Group to team",
            "One per line: group = Team name. Every matching line adds the team. Used when the account is created.",
          )}
          <div className="mb-5 flex items-center gap-2">
            <input
              type="checkbox"
              id="ssoOnly"
              name="ssoOnly"
              value="yes"
              defaultChecked={settings?.ssoOnly ?? false}
              className="h-6 w-6 accent-nhs-blue"
            />
            <label htmlFor="ssoOnly">
              Single sign-on only: refuse PKB Desk passwords except for the break-glass accounts
            </label>
          </div>
          {area(
            "breakGlassEmails",
            "Break-glass accounts",
            "One e-mail per line: local accounts that may still use a password (and two-step sign-in) when the identity provider is down. At least one active administrator.",
          )}
          <Button>Save settings</Button>
        </Form>
      </Panel>
    </>
  );
}
