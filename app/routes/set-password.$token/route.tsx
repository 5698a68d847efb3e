import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, TextField } from "~/components/ui/field.tsx";
import { requirePublicMutation } from "~/modules/auth/guard.server.ts";
import { MIN_PASSWORD_LENGTH } from "~/modules/auth/password-policy.ts";
import { passwordProblem } from "~/modules/auth/password-strength.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { findUsableSetupLink, setPasswordWithLink } from "~/modules/auth/users.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";

export const access = {
  public: true,
  reason: "a one-time link issued by an admin; the token is the credential",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Set your password – PKB Desk" }];

const PasswordSchema = z
  .object({
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(256, "Use at most 256 characters"),
    confirm: z.string(),
  })
  .refine((value) => value.password === value.confirm, {
    path: ["confirm"],
    message: "The passwords do not match",
  });

export async function loader({ params }: LoaderFunctionArgs) {
  const link = await findUsableSetupLink(params.token ?? "");
  return Response.json({ valid: Boolean(link), displayName: link?.user.displayName ?? null });
}

type ActionData = { errors: Array<{ field?: string; message: string }> };

export async function action({ request, params }: ActionFunctionArgs) {
  const form = await requirePublicMutation(request);
  const parsed = PasswordSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json(
      {
        errors: formErrorsFromZod(parsed.error),
      } satisfies ActionData,
      { status: 400 },
    );
  }
  // Strength needs to know whose password it is (their name and e-mail are guessed first).
  const link = await findUsableSetupLink(params.token ?? "");
  if (!link) throw redirect(new URL(request.url).pathname);
  const problem = passwordProblem(parsed.data.password, [link.user.email, link.user.displayName]);
  if (problem) {
    return Response.json(
      { errors: [{ field: "password", message: problem }] } satisfies ActionData,
      {
        status: 400,
      },
    );
  }
  const result = await setPasswordWithLink(params.token ?? "", parsed.data.password, {
    clientAddress: clientAddress(request),
  });
  if (!result) throw redirect(new URL(request.url).pathname);
  return redirectWithToast("/login", {
    kind: "success",
    message: "Your password is set. Sign in with your e-mail address and new password.",
  });
}

export default function SetPassword() {
  const { valid, displayName } = useLoaderData<{ valid: boolean; displayName: string | null }>();
  const actionData = useActionData<ActionData>();
  const errors = actionData?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <header className="bg-nhs-blue text-white">
        <div className="mx-auto max-w-6xl px-4 py-4 text-2xl font-bold">PKB Desk</div>
      </header>
      <main id="main-content" className="mx-auto max-w-xl px-4 py-10">
        {valid ? (
          <>
            <h1 className="mb-2 text-3xl font-bold">Set your password</h1>
            <p className="mb-6 text-lg">
              Hello {displayName}. Choose a password of at least {MIN_PASSWORD_LENGTH} characters.
              Three or four unrelated words are easy to remember and hard to guess; you do not need
              symbols or capitals. Avoid your name, your e-mail address and common passwords.
            </p>
            <ErrorSummary errors={errors} />
            <Form method="post" className="bg-white p-6 shadow-sm" noValidate>
              <CsrfInput />
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
                label="Type the password again"
                autoComplete="new-password"
                errors={fieldErrors("confirm")}
              />
              <Button>Set password</Button>
            </Form>
          </>
        ) : (
          <>
            <h1 className="mb-2 text-3xl font-bold">This link cannot be used</h1>
            <p className="text-lg">
              It has been used already, has expired, or was replaced by a newer link. Ask a PKB Desk
              administrator for a new one.
            </p>
            <p className="mt-6">
              <a href="/login">Go to sign in</a>
            </p>
          </>
        )}
      </main>
    </>
  );
}
