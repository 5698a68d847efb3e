import type {
  ActionFunctionArgs,
  HeadersFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigate, useNavigation } from "@remix-run/react";
import { useEffect, useRef, type ReactNode } from "react";
import { z } from "zod";
import { KIOSK_BUTTON, KIOSK_INPUT, KioskFrame } from "~/components/kiosk/kiosk-frame.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { formErrorsFromZod, messagesFor, type FormError } from "~/components/ui/form-errors.ts";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { clearCsrfCookie } from "~/modules/auth/csrf.server.ts";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { clearSessionCookie, endSession } from "~/modules/auth/session.server.ts";
import { kioskFormSchema } from "~/modules/campaigns/delivery/kiosk/kiosk-forms.ts";
import {
  checkIdentity,
  giveEmail,
  identifyPatient,
  kioskCampaign,
} from "~/modules/campaigns/delivery/kiosk/kiosk.server.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";

export const access = { loader: "use:kiosk", action: "use:kiosk" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Join Patients Know Best – kiosk" }];

// A shared screen: nothing a patient typed or was told may be kept by the browser or a proxy.
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

/** After this long without a touch, the screen goes back to the start and forgets everything. */
const IDLE_RESET_MS = 60_000;
/** The "thank you" and message screens clear themselves sooner. */
const DONE_RESET_MS = 20_000;

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const campaign = await kioskCampaign(params.campaignId ?? "");
  if (!campaign) throw notFound();
  return {
    campaign: { id: campaign.id, name: campaign.name, paused: campaign.state === "PAUSED" },
  };
}

type Message =
  | "no-match"
  | "already-registered"
  | "under-16"
  | "already-invited"
  | "too-many-attempts"
  | "unavailable"
  | "visit-expired";

type KioskStep =
  | { step: "identify"; errors: FormError[] }
  | { step: "email"; visitId: string; errors: FormError[] }
  | { step: "message"; message: Message }
  | { step: "done" };

const signOutSchema = z.object({ intent: z.literal("sign-out") });

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, session, actor, clientAddress } = await requireMutation(request, access.action);
  const campaign = await kioskCampaign(params.campaignId ?? "");
  if (!campaign) throw notFound();
  const reply = (body: KioskStep, status = 200) =>
    Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

  if (signOutSchema.safeParse(Object.fromEntries(form)).success) {
    const db = await prisma();
    await db.$transaction(async (tx) => {
      await endSession(session.id, "logout", tx);
      await recordAudit(tx, {
        actor,
        clientAddress,
        action: "auth.logout",
        entityType: "user",
        entityId: actor.id,
      });
    });
    const headers = new Headers();
    headers.append("Set-Cookie", await clearSessionCookie());
    headers.append("Set-Cookie", await clearCsrfCookie());
    return redirect("/login", { headers });
  }

  const parsed = kioskFormSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const intent = form.get("intent");
    const visitId = form.get("visitId");
    const errors = formErrorsFromZod(parsed.error);
    return intent === "email" && typeof visitId === "string"
      ? reply({ step: "email", visitId, errors }, 400)
      : reply({ step: "identify", errors }, 400);
  }
  const context = { actor, clientAddress };
  const input = parsed.data;
  if (input.intent === "identify") {
    const { problems, dateOfBirth } = checkIdentity(campaign.identifierKind, input, now());
    if (problems.length > 0) return reply({ step: "identify", errors: problems }, 400);
    const result = await identifyPatient(
      { campaignId: campaign.id, sessionId: session.id, nationalId: input.nationalId, dateOfBirth },
      context,
    );
    return result.kind === "eligible"
      ? reply({ step: "email", visitId: result.visitId, errors: [] })
      : reply({ step: "message", message: result.kind });
  }
  const result = await giveEmail(
    { campaignId: campaign.id, sessionId: session.id, visitId: input.visitId, email: input.email },
    context,
  );
  return reply(
    result.kind === "queued" ? { step: "done" } : { step: "message", message: result.kind },
  );
}

const MESSAGES: Record<Message, { title: string; body: string }> = {
  "no-match": {
    title: "We could not match those details",
    body: "Check your NHS number and date of birth and try again, or ask at reception.",
  },
  "already-registered": {
    title: "You already have a Patients Know Best account",
    body: "Sign in with the NHS App or at patientsknowbest.com. If you cannot sign in, ask at reception.",
  },
  "under-16": {
    title: "Patients Know Best is for people aged 16 and over",
    body: "Please ask at reception about other ways to see your hospital information.",
  },
  "already-invited": {
    title: "We have already sent you an invitation",
    body: "Check your e-mail, including any junk folder. If it has not arrived, ask at reception.",
  },
  "too-many-attempts": {
    title: "Please ask at reception",
    body: "This kiosk has had several details it could not match. A member of staff can help you.",
  },
  unavailable: {
    title: "Sign-up is not available just now",
    body: "Please try again later or ask at reception. Nothing you typed has been kept.",
  },
  "visit-expired": {
    title: "That took too long, so we cleared your details",
    body: "Please start again. Nothing you typed has been kept.",
  },
};

/** Calls `reset` after `ms` without a touch, key press or typing; restarts on each. */
function useIdleReset(ms: number, reset: () => void, active: boolean) {
  const latest = useRef(reset);
  latest.current = reset;
  useEffect(() => {
    if (!active) return;
    let timer = window.setTimeout(() => latest.current(), ms);
    const restart = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => latest.current(), ms);
    };
    const events = ["pointerdown", "keydown", "input"] as const;
    for (const event of events) window.addEventListener(event, restart);
    return () => {
      window.clearTimeout(timer);
      for (const event of events) window.removeEventListener(event, restart);
    };
  }, [ms, active]);
}

export default function Kiosk() {
  const { campaign } = useLoaderData<typeof loader>();
  const data = useActionData<KioskStep>();
  const navigation = useNavigation();
  const navigate = useNavigate();
  const formRef = useRef<HTMLFormElement>(null);
  const busy = navigation.state !== "idle";
  const step: KioskStep = data ?? { step: "identify", errors: [] };

  // Back to an empty first screen: a fresh navigation drops the action's answer from memory, and
  // the form's reset clears anything typed but not sent.
  const startAgain = () => {
    formRef.current?.reset();
    navigate(`/kiosk/${campaign.id}`, { replace: true, preventScrollReset: false });
  };
  const finished = step.step === "done" || step.step === "message";
  useIdleReset(finished ? DONE_RESET_MS : IDLE_RESET_MS, startAgain, true);

  const staffControls = (
    <Form method="post" className="ml-auto">
      <CsrfInput />
      <button
        type="submit"
        name="intent"
        value="sign-out"
        className="text-nhs-blue underline underline-offset-2"
      >
        Staff: sign this kiosk out
      </button>
    </Form>
  );

  if (campaign.paused) {
    return (
      <KioskFrame title={campaign.name} staffControls={staffControls}>
        <h1 className="mb-4 text-3xl font-bold">Sign-up is paused</h1>
        <p>Please ask at reception.</p>
      </KioskFrame>
    );
  }

  if (step.step === "done" || step.step === "message") {
    const text =
      step.step === "done"
        ? {
            title: "Thank you. Check your e-mail",
            body: "We will e-mail your invitation to Patients Know Best in the next few minutes. Open the link in it to finish joining. You will be asked for your date of birth.",
          }
        : MESSAGES[step.message];
    return (
      <KioskFrame title={campaign.name} staffControls={staffControls}>
        <div role="status" className="rounded bg-white p-8 shadow-sm">
          <h1 className="mb-4 text-3xl font-bold">{text.title}</h1>
          <p className="mb-8">{text.body}</p>
          <button type="button" className={KIOSK_BUTTON} onClick={startAgain}>
            Finish
          </button>
        </div>
      </KioskFrame>
    );
  }

  const errors = step.errors;
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <KioskFrame title={campaign.name} staffControls={staffControls}>
      {step.step === "identify" ? (
        <>
          <h1 className="mb-2 text-3xl font-bold">Join Patients Know Best</h1>
          <p className="mb-6">
            See your hospital letters and appointments online. Enter your details to get an
            invitation by e-mail.
          </p>
          <ErrorSummary errors={errors} />
          <Form
            method="post"
            ref={formRef}
            noValidate
            autoComplete="off"
            className="rounded bg-white p-6 shadow-sm"
          >
            <CsrfInput />
            <input type="hidden" name="intent" value="identify" />
            <KioskField
              id="nationalId"
              label="NHS number"
              hint="10 digits, for example 943 476 5919"
              errors={fieldErrors("nationalId")}
            >
              <input
                id="nationalId"
                name="nationalId"
                inputMode="numeric"
                autoComplete="off"
                spellCheck={false}
                className={`${KIOSK_INPUT} max-w-xs`}
                aria-describedby={describe("nationalId", true, fieldErrors("nationalId"))}
                aria-invalid={fieldErrors("nationalId").length ? true : undefined}
              />
            </KioskField>
            <fieldset
              className="mb-8"
              aria-describedby={describe("dob", true, [
                ...fieldErrors("dobDay"),
                ...fieldErrors("dobMonth"),
                ...fieldErrors("dobYear"),
              ])}
            >
              <legend className="font-bold">Date of birth</legend>
              <p id="dob-hint" className="text-nhs-dark-grey">
                For example 27 3 1980
              </p>
              {[...fieldErrors("dobDay"), ...fieldErrors("dobMonth"), ...fieldErrors("dobYear")]
                .length ? (
                <p id="dob-error" className="font-bold text-nhs-red">
                  <span className="sr-only">Error: </span>
                  {[
                    ...fieldErrors("dobDay"),
                    ...fieldErrors("dobMonth"),
                    ...fieldErrors("dobYear"),
                  ].join(". ")}
                </p>
              ) : null}
              <div className="mt-2 flex gap-4">
                <DatePart id="dobDay" label="Day" width="w-24" />
                <DatePart id="dobMonth" label="Month" width="w-24" />
                <DatePart id="dobYear" label="Year" width="w-36" />
              </div>
            </fieldset>
            <button type="submit" className={KIOSK_BUTTON} disabled={busy}>
              {busy ? "Checking…" : "Continue"}
            </button>
          </Form>
        </>
      ) : (
        <>
          <h1 className="mb-2 text-3xl font-bold">Your e-mail address</h1>
          <p className="mb-6">We will send your invitation here. Only you should use it.</p>
          <ErrorSummary errors={errors} />
          <Form
            method="post"
            ref={formRef}
            noValidate
            autoComplete="off"
            className="rounded bg-white p-6 shadow-sm"
          >
            <CsrfInput />
            <input type="hidden" name="intent" value="email" />
            <input type="hidden" name="visitId" value={step.visitId} />
            <KioskField id="email" label="E-mail address" errors={fieldErrors("email")}>
              <input
                id="email"
                name="email"
                type="email"
                inputMode="email"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                className={KIOSK_INPUT}
                aria-describedby={describe("email", false, fieldErrors("email"))}
                aria-invalid={fieldErrors("email").length ? true : undefined}
              />
            </KioskField>
            <KioskField
              id="emailAgain"
              label="Type your e-mail address again"
              errors={fieldErrors("emailAgain")}
            >
              <input
                id="emailAgain"
                name="emailAgain"
                type="email"
                inputMode="email"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                className={KIOSK_INPUT}
                aria-describedby={describe("emailAgain", false, fieldErrors("emailAgain"))}
                aria-invalid={fieldErrors("emailAgain").length ? true : undefined}
              />
            </KioskField>
            <div className="flex flex-wrap gap-4">
              <button type="submit" className={KIOSK_BUTTON} disabled={busy}>
                {busy ? "Sending…" : "Send my invitation"}
              </button>
              <button
                type="button"
                onClick={startAgain}
                className="min-h-16 rounded border-2 border-nhs-blue bg-white px-8 py-4 text-2xl font-bold text-nhs-blue"
              >
                Cancel
              </button>
            </div>
          </Form>
        </>
      )}
    </KioskFrame>
  );
}

function describe(id: string, hasHint: boolean, errors: string[]): string | undefined {
  const ids = [hasHint ? `${id}-hint` : null, errors.length ? `${id}-error` : null].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function KioskField({
  id,
  label,
  hint,
  errors,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  errors: string[];
  children: ReactNode;
}) {
  return (
    <div className={`mb-8 ${errors.length ? "border-l-4 border-nhs-red pl-4" : ""}`}>
      <label htmlFor={id} className="block font-bold">
        {label}
      </label>
      {hint ? (
        <p id={`${id}-hint`} className="text-nhs-dark-grey">
          {hint}
        </p>
      ) : null}
      {errors.length ? (
        <p id={`${id}-error`} className="font-bold text-nhs-red">
          <span className="sr-only">Error: </span>
          {errors.join(". ")}
        </p>
      ) : null}
      {children}
    </div>
  );
}

function DatePart({ id, label, width }: { id: string; label: string; width: string }) {
  return (
    <div>
      <label htmlFor={id} className="block">
        {label}
      </label>
      <input
        id={id}
        name={id}
        inputMode="numeric"
        autoComplete="off"
        className={`${KIOSK_INPUT} ${width}`}
      />
    </div>
  );
}
