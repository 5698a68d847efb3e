import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, TextField } from "~/components/ui/field.tsx";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { changeOwnPassword } from "~/modules/auth/password-change.server.ts";
import { MIN_PASSWORD_LENGTH } from "~/modules/auth/password-policy.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

/**
 * Change your own password. Also where a user whose password was found weak at sign-in is sent
 * before anything else (guard.server.ts, ADR 0016).
 */
export const access = { loader: "read:account", action: "read:account" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Change your password – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  return Response.json({ required: session.user.passwordChangeRequired });
}

const ChangeSchema = z
  .object({
    current: z.string().min(1, "Enter your current password").max(1024),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(256, "Use at most 256 characters"),
    confirm: z.string().max(256),
  })
  .refine((value) => value.password === value.confirm, {
    path: ["confirm"],
    message: "The passwords do not match",
  });

type ActionData = { errors: Array<{ field?: string; message: string }> };

export async function action({ request }: ActionFunctionArgs) {
  const { session, form, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = ChangeSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json({ errors: formErrorsFromZod(parsed.error) } satisfies ActionData, {
      status: 400,
    });
  }
  const outcome = await changeOwnPassword({
    userId: session.user.id,
    sessionId: session.id,
    currentPassword: parsed.data.current,
    newPassword: parsed.data.password,
    actor,
    clientAddress,
  });
  if (!outcome.ok) {
    return Response.json(
      { errors: [{ field: outcome.field, message: outcome.message }] } satisfies ActionData,
      { status: 400 },
    );
  }
  return redirectWithToast("/account", {
    kind: "success",
    message:
      outcome.sessionsEnded > 0
        ? "Your password is changed. You were signed out everywhere else."
        : "Your password is changed.",
  });
}

export default function ChangePassword() {
  const { required } = useLoaderData<{ required: boolean }>();
  const actionData = useActionData<ActionData>();
  const navigation = useNavigation();
  const errors = actionData?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <PageHeading
        title="Change your password"
        lede={
          required
            ? "Your password is too easy to guess, so it must be changed before you carry on. Choose a new one."
            : undefined
        }
      />
      <Panel>
        <p className="mb-6 max-w-2xl text-lg">
          Use at least {MIN_PASSWORD_LENGTH} characters. Three or four unrelated words are easy to
          remember and hard to guess; you do not need symbols or capitals. Avoid your name, your
          e-mail address and common passwords.
        </p>
        <ErrorSummary errors={errors} />
        <Form method="post" className="max-w-xl" noValidate>
          <CsrfInput />
          <TextField
            id="current"
            name="current"
            type="password"
            label="Current password"
            autoComplete="current-password"
            errors={fieldErrors("current")}
          />
          <TextField
            id="password"
            name="password"
            type="password"
            label="New password"
            autoComplete="new-password"
            errors={fieldErrors("password")}
          />
          <TextField
            id="confirm"
            name="confirm"
            type="password"
            label="Type the new password again"
            autoComplete="new-password"
            errors={fieldErrors("confirm")}
          />
          <Button disabled={navigation.state === "submitting"}>Change password</Button>
        </Form>
      </Panel>
    </>
  );
}
