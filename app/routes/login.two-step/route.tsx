import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { EnrolmentForm, RecoveryCodes } from "~/components/two-step/enrolment.tsx";
import { ToastMessage } from "~/components/toast.tsx";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, TextField } from "~/components/ui/field.tsx";
import { clearCsrfCookie } from "~/modules/auth/csrf.server.ts";
import { requirePublicMutation, safeRedirect } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { readSessionToken } from "~/modules/auth/session.server.ts";
import {
  clearPendingCookie,
  countWrongCode,
  finishSignIn,
  readPendingSignIn,
  type PendingSignIn,
} from "~/modules/auth/two-step/pending.server.ts";
import { rememberDevice } from "~/modules/auth/two-step/remembered-device.server.ts";
import {
  acceptRecoveryCode,
  acceptTotpCode,
  beginEnrolment,
  confirmEnrolment,
  enrolmentView,
  isEnrolled,
  TwoStepError,
} from "~/modules/auth/two-step/totp.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { useRootData } from "~/root.tsx";

/**
 * The second step of a password sign-in (ADR 0017): a code from the authenticator app, or a
 * recovery code; or, for someone whose role requires two-step sign-in and who has none yet, the
 * enrolment. It works only in the browser that passed the password, within five minutes.
 */
export const access = {
  public: true,
  reason: "second step of signing in (bound to a pending sign-in cookie)",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Two-step sign-in – PKB Desk" }];

async function expired(): Promise<Response> {
  const headers = new Headers({ "Set-Cookie": await clearPendingCookie() });
  return redirectWithToast(
    "/login",
    { kind: "error", message: "Your sign-in timed out or was not finished. Sign in again." },
    { headers },
  );
}

export async function loader({ request }: LoaderFunctionArgs) {
  const pending = await readPendingSignIn(request);
  if (!pending) throw await expired();
  if (await isEnrolled(pending.userId)) return { mode: "code" as const, enrolment: null };
  await beginEnrolment(pending.userId);
  return { mode: "enrol" as const, enrolment: await enrolmentView(pending.userId, pending.email) };
}

const Intent = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("code"),
    code: z.string().max(20),
    remember: z.string().optional(),
    redirectTo: z.string().max(2000).optional(),
  }),
  z.object({
    intent: z.literal("recovery"),
    recoveryCode: z.string().max(40),
    redirectTo: z.string().max(2000).optional(),
  }),
  z.object({
    intent: z.literal("confirm"),
    code: z.string().max(20),
    redirectTo: z.string().max(2000).optional(),
  }),
]);

type ActionData =
  | { kind: "error"; errors: Array<{ field?: string; message: string }> }
  | { kind: "recovery-codes"; codes: string[]; next: string };

export async function action({ request }: ActionFunctionArgs) {
  const form = await requirePublicMutation(request);
  const pending = await readPendingSignIn(request);
  if (!pending) throw await expired();
  const parsed = Intent.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Bad Request", { status: 400 });
  const input = parsed.data;
  const next = safeRedirect(input.redirectTo);
  const address = clientAddress(request);
  const context = { actor: { id: pending.userId, label: pending.email }, clientAddress: address };
  const previousSessionToken = await readSessionToken(request);
  const finish = (method: "totp" | "recovery-code" | "enrolled") =>
    finishSignIn(pending, {
      method,
      clientAddress: address,
      userAgent: request.headers.get("User-Agent"),
      previousSessionToken,
    });

  if (input.intent === "confirm") {
    let codes: string[];
    try {
      codes = await confirmEnrolment(pending.userId, input.code, context);
    } catch (error) {
      if (error instanceof TwoStepError && error.reason === "wrong-code") {
        return wrongCode(
          pending,
          "code",
          "The code is not right. Type the code the app shows now.",
        );
      }
      if (error instanceof TwoStepError) throw await expired();
      throw error;
    }
    const session = await finish("enrolled");
    if (!session) throw await expired();
    return Response.json({ kind: "recovery-codes", codes, next } satisfies ActionData, {
      headers: await signedInHeaders(session),
    });
  }

  const passed =
    input.intent === "code"
      ? await acceptTotpCode(pending.userId, input.code)
      : await acceptRecoveryCode(pending.userId, input.recoveryCode, context);
  if (!passed) {
    return input.intent === "code"
      ? wrongCode(
          pending,
          "code",
          "The code is not right, or was already used. Type the code the app shows now.",
        )
      : wrongCode(pending, "recoveryCode", "That recovery code is not right or was already used.");
  }
  const session = await finish(input.intent === "code" ? "totp" : "recovery-code");
  if (!session) throw await expired();
  const headers = await signedInHeaders(session);
  if (input.intent === "code" && input.remember === "yes") {
    headers.append(
      "Set-Cookie",
      await rememberDevice(pending.userId, request.headers.get("User-Agent")),
    );
  }
  return redirect(next, { headers });
}

async function signedInHeaders(sessionCookie: string): Promise<Headers> {
  const headers = new Headers();
  headers.append("Set-Cookie", sessionCookie);
  headers.append("Set-Cookie", await clearPendingCookie());
  // A fresh CSRF token for the signed-in session.
  headers.append("Set-Cookie", await clearCsrfCookie());
  return headers;
}

async function wrongCode(pending: PendingSignIn, field: string, message: string) {
  if (!(await countWrongCode(pending))) {
    const headers = new Headers({ "Set-Cookie": await clearPendingCookie() });
    throw await redirectWithToast(
      "/login",
      { kind: "error", message: "Too many wrong codes. Sign in again with your password." },
      { headers },
    );
  }
  return Response.json({ kind: "error", errors: [{ field, message }] } satisfies ActionData, {
    status: 401,
  });
}

export default function TwoStepSignIn() {
  const { mode, enrolment } = useLoaderData<typeof loader>();
  const result = useActionData<ActionData>();
  const [searchParams] = useSearchParams();
  const root = useRootData();
  const redirectTo = searchParams.get("redirectTo") ?? "";
  const useRecovery = searchParams.get("use") === "recovery";
  const errors = result?.kind === "error" ? result.errors : [];
  const fieldErrors = (field: string) =>
    errors.filter((error) => error.field === field).map((error) => error.message);
  return (
    <>
      <header className="bg-nhs-blue text-white">
        <div className="mx-auto max-w-6xl px-4 py-4 text-2xl font-bold">PKB Desk</div>
      </header>
      <ToastMessage toast={root?.toast ?? null} />
      <main id="main-content" className="mx-auto max-w-2xl px-4 py-10">
        {result?.kind === "recovery-codes" ? (
          <>
            <h1 className="mb-4 text-3xl font-bold">Two-step sign-in is on</h1>
            <RecoveryCodes codes={result.codes} />
            <a
              href={result.next}
              className="inline-block rounded bg-nhs-green px-4 py-2 font-bold text-white no-underline hover:text-white"
            >
              I have saved my recovery codes – continue
            </a>
          </>
        ) : mode === "enrol" && enrolment ? (
          <>
            <h1 className="mb-2 text-3xl font-bold">Set up two-step sign-in</h1>
            <p className="mb-6 text-lg text-nhs-dark-grey">
              Your role needs a second step when you sign in: a code from an app on your phone. Set
              it up now to finish signing in.
            </p>
            <ErrorSummary errors={errors} />
            <EnrolmentForm
              qrDataUrl={enrolment.qrDataUrl}
              manualKey={enrolment.manualKey}
              errors={fieldErrors("code")}
              hidden={{ redirectTo }}
            />
          </>
        ) : useRecovery ? (
          <>
            <h1 className="mb-2 text-3xl font-bold">Use a recovery code</h1>
            <p className="mb-6 text-lg text-nhs-dark-grey">
              Type one of the recovery codes you saved when you set up two-step sign-in. Each code
              works once.
            </p>
            <ErrorSummary errors={errors} />
            <Form method="post" noValidate className="bg-white p-6 shadow-sm">
              <CsrfInput />
              <input type="hidden" name="intent" value="recovery" />
              <input type="hidden" name="redirectTo" value={redirectTo} />
              <TextField
                id="recoveryCode"
                name="recoveryCode"
                label="Recovery code"
                hint="10 letters and digits, for example ABCDE-23456."
                autoComplete="off"
                spellCheck={false}
                errors={fieldErrors("recoveryCode")}
              />
              <Button>Sign in</Button>
            </Form>
            <p className="mt-6">
              <Link to={`?${new URLSearchParams({ redirectTo })}`}>
                Use a code from your authenticator app instead
              </Link>
            </p>
          </>
        ) : (
          <>
            <h1 className="mb-2 text-3xl font-bold">Enter your sign-in code</h1>
            <p className="mb-6 text-lg text-nhs-dark-grey">
              Open your authenticator app and type the 6-digit code it shows for PKB Desk.
            </p>
            <ErrorSummary errors={errors} />
            <Form method="post" noValidate className="bg-white p-6 shadow-sm">
              <CsrfInput />
              <input type="hidden" name="intent" value="code" />
              <input type="hidden" name="redirectTo" value={redirectTo} />
              <TextField
                id="code"
                name="code"
                label="Code from your authenticator app"
                hint="6 digits, for example 123456."
                inputMode="numeric"
                autoComplete="one-time-code"
                spellCheck={false}
                errors={fieldErrors("code")}
              />
              <div className="mb-5 flex items-center gap-2">
                <input
                  type="checkbox"
                  id="remember"
                  name="remember"
                  value="yes"
                  className="h-6 w-6 accent-nhs-blue"
                />
                <label htmlFor="remember">
                  Do not ask again on this device for 12 hours (only on a device no one else uses)
                </label>
              </div>
              <Button>Sign in</Button>
            </Form>
            <p className="mt-6">
              <Link to={`?${new URLSearchParams({ redirectTo, use: "recovery" })}`}>
                Lost your phone? Use a recovery code
              </Link>
            </p>
          </>
        )}
      </main>
    </>
  );
}
