import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { EnrolmentForm, RecoveryCodes } from "~/components/two-step/enrolment.tsx";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { isTwoStepRequired } from "~/modules/auth/two-step/policy.server.ts";
import {
  forgetDevices,
  rememberedDevices,
} from "~/modules/auth/two-step/remembered-device.server.ts";
import {
  beginEnrolment,
  confirmEnrolment,
  enrolmentView,
  TwoStepError,
  twoStepStatus,
} from "~/modules/auth/two-step/totp.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

/** Your own two-step sign-in: set up an authenticator app, see recovery codes left, devices. */
export const access = { loader: "read:account", action: "read:account" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Two-step sign-in – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const [status, required, devices, enrolment] = await Promise.all([
    twoStepStatus(session.user.id),
    isTwoStepRequired(session.user.role),
    rememberedDevices(session.user.id),
    enrolmentView(session.user.id, session.user.email),
  ]);
  return {
    ...status,
    required,
    enrolment,
    devices: devices.map((device) => ({
      id: device.id,
      until: formatUkDateTime(device.expiresAt),
    })),
  };
}

const Intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("start") }),
  z.object({ intent: z.literal("confirm"), code: z.string().max(20) }),
  z.object({ intent: z.literal("forget-devices") }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const { session, form, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = Intent.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Bad Request", { status: 400 });
  const userId = session.user.id;
  switch (parsed.data.intent) {
    case "start":
      try {
        await beginEnrolment(userId);
      } catch (error) {
        if (error instanceof TwoStepError) {
          return redirectWithToast("/account/two-step", {
            kind: "error",
            message: "Two-step sign-in is already on.",
          });
        }
        throw error;
      }
      return redirectWithToast("/account/two-step", {
        kind: "success",
        message: "Scan the QR code, then type the code your app shows.",
      });
    case "confirm":
      try {
        const codes = await confirmEnrolment(userId, parsed.data.code, { actor, clientAddress });
        return { kind: "recovery-codes" as const, codes };
      } catch (error) {
        if (error instanceof TwoStepError && error.reason === "wrong-code") {
          return data(
            {
              kind: "error" as const,
              errors: [
                { field: "code", message: "The code is not right. Type the one shown now." },
              ],
            },
            { status: 400 },
          );
        }
        throw error;
      }
    case "forget-devices": {
      const count = await forgetDevices(userId);
      return redirectWithToast("/account/two-step", {
        kind: "success",
        message:
          count === 1 ? "1 remembered device forgotten." : `${count} remembered devices forgotten.`,
      });
    }
  }
}

export default function AccountTwoStep() {
  const { enrolled, recoveryLeft, required, enrolment, devices } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors: Array<{ field?: string; message: string }> =
    result && "errors" in result ? result.errors : [];
  if (result && "codes" in result) {
    return (
      <>
        <PageHeading title="Two-step sign-in is on" />
        <Panel>
          <RecoveryCodes codes={result.codes} />
          <a href="/account/two-step">I have saved my recovery codes</a>
        </Panel>
      </>
    );
  }
  return (
    <>
      <PageHeading
        title="Two-step sign-in"
        lede="After your password, PKB Desk asks for a code from an authenticator app on your phone, so a stolen password alone is not enough."
      />
      <ErrorSummary errors={errors} />
      {enrolled ? (
        <Panel>
          <h2 className="mb-2 text-xl font-bold">On</h2>
          <p className="mb-2">
            Two-step sign-in is on for your account. Recovery codes left:{" "}
            <strong>{recoveryLeft}</strong> of 10.
          </p>
          <p className="text-nhs-dark-grey">
            Lost your phone or running out of recovery codes? Ask an administrator to reset your
            two-step sign-in; you will set it up again at your next sign-in.
          </p>
        </Panel>
      ) : enrolment ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Set up your authenticator app</h2>
          <EnrolmentForm
            qrDataUrl={enrolment.qrDataUrl}
            manualKey={enrolment.manualKey}
            errors={errors.filter((error) => error.field === "code").map((error) => error.message)}
          />
        </Panel>
      ) : (
        <Panel>
          <h2 className="mb-2 text-xl font-bold">Off</h2>
          <p className="mb-4">
            {required
              ? "Your role needs two-step sign-in: set it up now (you will be asked to at your next sign-in anyway)."
              : "Your role does not need it, but you can turn it on."}
          </p>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="start" />
            <Button>Set up two-step sign-in</Button>
          </Form>
        </Panel>
      )}
      <Panel>
        <h2 className="mb-2 text-xl font-bold">Remembered devices</h2>
        {devices.length === 0 ? (
          <p>No device skips the second step.</p>
        ) : (
          <>
            <ul className="mb-4 list-disc pl-6">
              {devices.map((device) => (
                <li key={device.id}>A browser remembered until {device.until}</li>
              ))}
            </ul>
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="forget-devices" />
              <Button variant="secondary">Forget all remembered devices</Button>
            </Form>
          </>
        )}
      </Panel>
    </>
  );
}
