import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ConnectionForm } from "~/components/pkb/connection-form.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { formErrorsFromZod, type FormError } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { ConnectionFormSchema, connectionFormValues } from "~/modules/pkb/connection-forms.ts";
import {
  ConnectionError,
  getConnectionView,
  updateConnection,
} from "~/modules/pkb/connections.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = {
  loader: "manage:pkb-grant",
  action: "manage:pkb-grant",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "PKB connection settings – PKB Desk" }];

const IdSchema = z.uuid();

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const id = IdSchema.safeParse(params.connectionId);
  if (!id.success) throw notFound();
  const connection = await getConnectionView(id.data);
  if (!connection) throw notFound();
  const { secretsStored, updatedAt: _updatedAt, ...values } = connection;
  return { values, secretsStored };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const id = IdSchema.safeParse(params.connectionId);
  if (!id.success) throw notFound();
  const values = connectionFormValues(form);
  const parsed = ConnectionFormSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return data({ errors: formErrorsFromZod(parsed.error), values }, { status: 400 });
  }
  try {
    if (!(await updateConnection(id.data, parsed.data, { actor, clientAddress }))) {
      throw notFound();
    }
  } catch (error) {
    if (error instanceof ConnectionError) {
      const errors: FormError[] = [{ field: error.field, message: error.message }];
      return data({ errors, values }, { status: 400 });
    }
    throw error;
  }
  return redirectWithToast(`/admin/pkb/${id.data}`, {
    kind: "success",
    message: "PKB connection settings saved.",
  });
}

export default function PkbConnectionSettings() {
  const { values, secretsStored } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  return (
    <>
      <p className="mb-4">
        <Link to={`/admin/pkb/${values.id}`}>Back to {values.label}</Link>
      </p>
      <PageHeading title={`Settings for ${values.label}`} />
      <ErrorSummary errors={errors} />
      <Panel>
        <ConnectionForm
          key={JSON.stringify(result?.values ?? null)}
          values={result?.values ?? values}
          errors={errors}
          secretsStored={secretsStored}
          secretsCleared={Boolean(result)}
          submitLabel="Save settings"
        />
      </Panel>
    </>
  );
}
