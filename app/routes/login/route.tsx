import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import {
  Form,
  useActionData,
  useLoaderData,
  useNavigation,
  useSearchParams,
} from "@remix-run/react";
import { ToastMessage } from "~/components/toast.tsx";
import { useRootData } from "~/root.tsx";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, TextField } from "~/components/ui/field.tsx";
import { clearCsrfCookie } from "~/modules/auth/csrf.server.ts";
import {
  PASSWORD_CHANGE_PATH,
  requirePublicMutation,
  safeRedirect,
} from "~/modules/auth/guard.server.ts";
import { attemptLogin } from "~/modules/auth/login.server.ts";
import { localPasswordAllowed, ssoSignInOptions } from "~/modules/auth/sso/settings.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { getActiveSession, readSessionToken } from "~/modules/auth/session.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";

export const access = { public: true, reason: "signing in" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Sign in – PKB Desk" }];

const LoginSchema = z.object({
  email: z.string().trim().min(1, "Enter your e-mail address").max(320),
  password: z.string().min(1, "Enter your password").max(1024),
  redirectTo: z.string().optional(),
});

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getActiveSession(request)) {
    throw redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
  }
  return { sso: await ssoSignInOptions() };
}

type ActionData = { errors: Array<{ field?: string; message: string }> };

export async function action({ request }: ActionFunctionArgs) {
  const form = await requirePublicMutation(request);
  const parsed = LoginSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json(
      {
        errors: formErrorsFromZod(parsed.error),
      } satisfies ActionData,
      { status: 400 },
    );
  }
  // Single sign-on only (ADR 0017): decided by the e-mail alone, before the password is checked.
  if (!(await localPasswordAllowed(parsed.data.email))) {
    return Response.json(
      {
        errors: [
          {
            message:
              "Sign in with your trust account: passwords are turned off for PKB Desk except for named emergency accounts.",
          },
        ],
      } satisfies ActionData,
      { status: 403 },
    );
  }
  const result = await attemptLogin({
    email: parsed.data.email,
    password: parsed.data.password,
    clientAddress: clientAddress(request),
    userAgent: request.headers.get("User-Agent"),
    previousSessionToken: await readSessionToken(request),
    cookieHeader: request.headers.get("Cookie"),
  });
  if (!result.ok && result.reason === "two-step") {
    // The password was right; the second step comes before any session (ADR 0017).
    const next = safeRedirect(parsed.data.redirectTo, "");
    return redirect(
      `/login/two-step${next ? `?${new URLSearchParams({ redirectTo: next })}` : ""}`,
      {
        headers: { "Set-Cookie": result.setCookie },
      },
    );
  }
  if (!result.ok) {
    const message =
      result.reason === "throttled"
        ? "Too many failed attempts from here. Wait 15 minutes, then try again, or ask a PKB Desk administrator to clear the block."
        : "The e-mail address or password is not right.";
    return Response.json({ errors: [{ message }] } satisfies ActionData, {
      status: result.reason === "throttled" ? 429 : 401,
    });
  }
  const headers = new Headers();
  headers.append("Set-Cookie", result.setCookie);
  // A fresh CSRF token for the signed-in session.
  headers.append("Set-Cookie", await clearCsrfCookie());
  // A weak password seen at sign-in is changed before anything else (ADR 0016).
  const to = result.passwordChangeRequired
    ? PASSWORD_CHANGE_PATH
    : safeRedirect(parsed.data.redirectTo);
  return redirect(to, { headers });
}

export default function Login() {
  const actionData = useActionData<ActionData>();
  const { sso } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  const navigation = useNavigation();
  const root = useRootData();
  const errors = actionData?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <header className="bg-nhs-blue text-white">
        <div className="mx-auto max-w-6xl px-4 py-4 text-2xl font-bold">PKB Desk</div>
      </header>
      <ToastMessage toast={root?.toast ?? null} />
      <main id="main-content" className="mx-auto max-w-xl px-4 py-10">
        <h1 className="mb-2 text-3xl font-bold">Sign in</h1>
        <p className="mb-6 text-lg text-nhs-dark-grey">
          For trust staff handling Patients Know Best appointment requests and invitation campaigns.
        </p>
        <ErrorSummary errors={errors} />
        {sso.offered ? (
          <Form method="post" action="/auth/sso/start" className="mb-6 bg-white p-6 shadow-sm">
            <CsrfInput />
            <input type="hidden" name="redirectTo" value={searchParams.get("redirectTo") ?? ""} />
            <p className="mb-4">
              {sso.ssoOnly
                ? "Staff sign in with their trust account."
                : "Staff with a trust account can sign in with it."}
            </p>
            <Button>Sign in with your trust account</Button>
          </Form>
        ) : null}
        {sso.ssoOnly ? (
          <h2 className="mb-2 text-xl font-bold">Emergency sign-in with a password</h2>
        ) : sso.offered ? (
          <h2 className="mb-2 text-xl font-bold">Or sign in with a PKB Desk password</h2>
        ) : null}
        <Form method="post" className="bg-white p-6 shadow-sm" noValidate>
          <CsrfInput />
          <input type="hidden" name="redirectTo" value={searchParams.get("redirectTo") ?? ""} />
          <TextField
            id="email"
            name="email"
            type="email"
            label="E-mail address"
            autoComplete="username"
            spellCheck={false}
            required
            errors={fieldErrors("email")}
          />
          <TextField
            id="password"
            name="password"
            type="password"
            label="Password"
            autoComplete="current-password"
            required
            errors={fieldErrors("password")}
          />
          <Button disabled={navigation.state === "submitting"}>Sign in</Button>
        </Form>
        <p className="mt-6 text-nhs-dark-grey">
          No password yet, or forgotten it? Ask a PKB Desk administrator for a set-password link.
        </p>
      </main>
    </>
  );
}
