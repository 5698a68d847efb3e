import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { ConnectionForm } from "~/components/pkb/connection-form.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { formErrorsFromZod, type FormError } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import {
  ConnectionFormSchema,
  connectionFormValues,
  missingSecrets,
} from "~/modules/pkb/connection-forms.ts";
import {
  ConnectionError,
  createConnection,
  defaultRedirectUri,
} from "~/modules/pkb/connections.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = {
  loader: "manage:pkb-grant",
  action: "manage:pkb-grant",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Add a PKB organisation – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  return { defaults: { redirectUri: defaultRedirectUri() } };
}

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const values = connectionFormValues(form);
  const parsed = ConnectionFormSchema.safeParse(Object.fromEntries(form));
  // Every problem in one answer: the form's fields, then each missing secret.
  const errors: FormError[] = [
    ...(parsed.success ? [] : formErrorsFromZod(parsed.error)),
    ...missingSecrets(form),
  ];
  if (!parsed.success || errors.length > 0) return data({ errors, values }, { status: 400 });
  try {
    const id = await createConnection(parsed.data, { actor, clientAddress });
    return redirectWithToast(`/admin/pkb/${id}`, {
      kind: "success",
      message: `PKB organisation “${parsed.data.label}” saved.`,
    });
  } catch (error) {
    if (error instanceof ConnectionError) {
      const errors: FormError[] = [{ field: error.field, message: error.message }];
      return data({ errors, values }, { status: 400 });
    }
    throw error;
  }
}

export default function NewPkbConnection() {
  const { defaults } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  return (
    <>
      <p className="mb-4">
        <Link to="/admin/pkb">Back to PKB connection</Link>
      </p>
      <PageHeading
        title="Add a PKB organisation"
        lede="The addresses and client credentials PKB gave the trust. Secrets are stored encrypted and never shown again."
      />
      <ErrorSummary errors={errors} />
      <Panel>
        <ConnectionForm
          key={JSON.stringify(result?.values ?? null)}
          values={result?.values ?? defaults}
          errors={errors}
          secretsCleared={Boolean(result)}
          submitLabel="Save PKB organisation"
        />
      </Panel>
    </>
  );
}
