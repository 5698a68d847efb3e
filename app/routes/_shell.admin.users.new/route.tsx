import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { SetupLinkPanel } from "~/components/setup-link-panel.tsx";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { CheckboxGroup, ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { listTeams } from "~/modules/auth/teams.server.ts";
import { formToObject, NewUserSchema } from "~/modules/auth/user-forms.ts";
import { createUser, setupLinkUrl, UserError } from "~/modules/auth/users.server.ts";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";

export const access = { loader: "create:user", action: "create:user" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Add a user – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const teams = await listTeams();
  return Response.json({ teams: teams.map((team) => ({ value: team.id, label: team.name })) });
}

type ActionData =
  | { ok: false; errors: Array<{ field?: string; message: string }> }
  | { ok: true; setupUrl: string; displayName: string; userId: string };

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = NewUserSchema.safeParse(formToObject(form));
  if (!parsed.success) {
    return Response.json(
      { ok: false, errors: formErrorsFromZod(parsed.error) } satisfies ActionData,
      { status: 400 },
    );
  }
  try {
    const { userId, setupToken } = await createUser(parsed.data, { actor, clientAddress });
    return Response.json({
      ok: true,
      userId,
      displayName: parsed.data.displayName,
      setupUrl: setupLinkUrl(request, setupToken),
    } satisfies ActionData);
  } catch (error) {
    if (error instanceof UserError) {
      return Response.json(
        {
          ok: false,
          errors: [{ field: error.field, message: error.message }],
        } satisfies ActionData,
        { status: 400 },
      );
    }
    throw error;
  }
}

export default function NewUser() {
  const { teams } = useLoaderData<{ teams: Array<{ value: string; label: string }> }>();
  const result = useActionData<ActionData>();
  if (result?.ok) {
    return (
      <>
        <PageHeading title="User added" />
        <SetupLinkPanel url={result.setupUrl} displayName={result.displayName} />
        <p className="flex gap-6">
          <Link to={`/admin/users/${result.userId}`}>View {result.displayName}</Link>
          <Link to="/admin/users">Back to users</Link>
        </p>
      </>
    );
  }
  const errors = result?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <PageHeading
        title="Add a user"
        lede="The new user gets a one-time link to set their own password."
      />
      <ErrorSummary errors={errors} />
      <Panel>
        <Form method="post" noValidate>
          <CsrfInput />
          <TextField
            id="displayName"
            name="displayName"
            label="Full name"
            autoComplete="off"
            errors={fieldErrors("displayName")}
          />
          <TextField
            id="email"
            name="email"
            type="email"
            label="E-mail address"
            hint="Their work address; they sign in with it."
            autoComplete="off"
            spellCheck={false}
            errors={fieldErrors("email")}
          />
          <SelectField
            id="role"
            name="role"
            label="Role"
            defaultValue="REQUEST_HANDLER"
            errors={fieldErrors("role")}
            options={Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label }))}
          />
          <CheckboxGroup
            name="teamIds"
            legend="Teams"
            hint="Requests routed to these teams appear in their worklist."
            options={teams}
            defaultChecked={[]}
          />
          <Button>Add user</Button>
        </Form>
      </Panel>
    </>
  );
}
