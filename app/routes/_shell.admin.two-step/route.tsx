import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ConfirmButton } from "~/components/ui/confirm-button.tsx";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { CheckboxGroup } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { Role } from "~/generated/prisma/enums.ts";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { readTwoStepPolicy, saveTwoStepPolicy } from "~/modules/auth/two-step/policy.server.ts";
import { resetTwoStep } from "~/modules/auth/two-step/totp.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

/** Who must use two-step sign-in (by role), who has it, and an administrator's reset. */
export const access = { loader: "manage:sign-in", action: "manage:sign-in" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Sign-in security – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const db = await prisma();
  const [policy, users] = await Promise.all([
    readTwoStepPolicy(),
    db.user.findMany({
      where: { disabledAt: null },
      orderBy: { email: "asc" },
      select: {
        id: true,
        email: true,
        displayName: true,
        role: true,
        twoStepCredential: { select: { confirmedAt: true } },
        _count: { select: { twoStepRecovery: { where: { usedAt: null } } } },
      },
    }),
  ]);
  return {
    required: Object.values(Role).filter((role) => policy[role]),
    users: users.map((user) => ({
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: ROLE_LABELS[user.role],
      mustUse: policy[user.role],
      enrolled: user.twoStepCredential?.confirmedAt != null,
      recoveryLeft: user._count.twoStepRecovery,
    })),
  };
}

const Intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("policy"), required: z.array(z.enum(Role)).default([]) }),
  z.object({ intent: z.literal("reset"), userId: z.uuid() }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = Intent.safeParse({
    intent: form.get("intent"),
    required: form.getAll("required"),
    userId: form.get("userId"),
  });
  if (!parsed.success) throw new Response("Bad Request", { status: 400 });
  const context = { actor, clientAddress };
  if (parsed.data.intent === "policy") {
    const chosen = parsed.data.required;
    await saveTwoStepPolicy(
      Object.fromEntries(
        Object.values(Role).map((role) => [role, chosen.includes(role)]),
      ) as Record<Role, boolean>,
      context,
    );
    return redirectWithToast("/admin/two-step", {
      kind: "success",
      message: "Two-step sign-in rules saved.",
    });
  }
  await resetTwoStep(parsed.data.userId, context);
  return redirectWithToast("/admin/two-step", {
    kind: "success",
    message: "Two-step sign-in reset. They set it up again at their next sign-in.",
  });
}

export default function AdminTwoStep() {
  const { required, users } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeading
        title="Sign-in security"
        lede="Two-step sign-in asks for a code from an authenticator app after the password. People who sign in with the trust's account (single sign-on) use the trust's own second step instead."
      />
      <p className="mb-6">
        <a href="/admin/sso">Trust single sign-on settings</a>
      </p>
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Who must use two-step sign-in</h2>
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="intent" value="policy" />
          <CheckboxGroup
            name="required"
            legend="Roles that must use it"
            hint="People in these roles set it up at their next sign-in. Anyone else may turn it on for themselves."
            options={Object.values(Role).map((role) => ({ value: role, label: ROLE_LABELS[role] }))}
            defaultChecked={required}
          />
          <Button>Save rules</Button>
        </Form>
      </Panel>
      <Panel>
        <h2 className="mb-4 text-xl font-bold">People</h2>
        <table className="w-full border-collapse">
          <caption className="sr-only">Two-step sign-in by person</caption>
          <thead>
            <HeaderRow>
              <Th>Name</Th>
              <Th>Role</Th>
              <Th>Two-step sign-in</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </HeaderRow>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id} className="border-b border-nhs-pale-grey align-top">
                <td className="py-2 pr-4">
                  {user.displayName}
                  <br />
                  <span className="text-nhs-dark-grey">{user.email}</span>
                </td>
                <td className="py-2 pr-4">{user.role}</td>
                <td className="py-2 pr-4">
                  {user.enrolled
                    ? `On (${user.recoveryLeft} recovery codes left)`
                    : user.mustUse
                      ? "Not set up yet (required)"
                      : "Off"}
                </td>
                <td className="py-2">
                  {user.enrolled ? (
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="reset" />
                      <input type="hidden" name="userId" value={user.id} />
                      <ConfirmButton
                        confirmLabel={`Yes, reset ${user.displayName}`}
                        aria-label={`Reset two-step sign-in for ${user.displayName}`}
                      >
                        Reset
                      </ConfirmButton>
                    </Form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </>
  );
}
