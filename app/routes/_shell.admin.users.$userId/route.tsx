import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { SetupLinkPanel } from "~/components/setup-link-panel.tsx";
import { Button } from "~/components/ui/button.tsx";
import { ConfirmButton } from "~/components/ui/confirm-button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { CheckboxGroup, ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { listTeams } from "~/modules/auth/teams.server.ts";
import { EditUserSchema, formToObject } from "~/modules/auth/user-forms.ts";
import {
  getUser,
  issueSetupLink,
  setupLinkUrl,
  setUserDisabled,
  updateUserAccess,
  UserError,
  userStatus,
  type UserStatus,
} from "~/modules/auth/users.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";

export const access = { loader: "read:user", action: "update:user" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "User – PKB Desk" }];

const UserIdSchema = z.uuid();

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = UserIdSchema.safeParse(params.userId);
  if (!id.success) throw notFound();
  const [user, teams] = await Promise.all([getUser(id.data), listTeams()]);
  if (!user) throw notFound();
  return Response.json({
    canEdit: hasPermission(session.user.role, "update:user"),
    isSelf: user.id === session.user.id,
    user: {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      teamIds: user.memberships.map((membership) => membership.teamId),
      disabled: Boolean(user.disabledAt),
      status: userStatus(user),
      pendingSince: user.approvalPendingSince ? formatUkDateTime(user.approvalPendingSince) : null,
      lastLogin: user.lastLoginAt ? formatUkDateTime(user.lastLoginAt) : "Never",
      created: formatUkDateTime(user.createdAt),
      liveSessions: user.sessions.length,
    },
    teams: teams.map((team) => ({ value: team.id, label: team.name })),
  });
}

type ActionData =
  | { ok: false; errors: Array<{ field?: string; message: string }> }
  | { ok: true; setupUrl: string };

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const id = UserIdSchema.safeParse(params.userId);
  if (!id.success) throw notFound();
  const user = await getUser(id.data);
  if (!user) throw notFound();
  const parsed = EditUserSchema.safeParse(formToObject(form));
  if (!parsed.success) {
    return Response.json(
      { ok: false, errors: formErrorsFromZod(parsed.error) } satisfies ActionData,
      { status: 400 },
    );
  }
  const context = { actor, clientAddress };
  const back = `/admin/users/${user.id}`;
  try {
    switch (parsed.data.intent) {
      case "update-access":
        await updateUserAccess(user.id, parsed.data, context);
        return redirectWithToast(back, { kind: "success", message: "Role, teams and name saved." });
      case "approve":
        await updateUserAccess(user.id, { ...parsed.data, approve: true }, context);
        return redirectWithToast(back, {
          kind: "success",
          message: `Approved. ${parsed.data.displayName} can sign in with their trust account now.`,
        });
      case "disable": {
        const { sessionsEnded } = await setUserDisabled(user.id, true, context);
        return redirectWithToast(back, {
          kind: "success",
          message: `The account is disabled. ${sessionsEnded} signed-in session(s) were ended.`,
        });
      }
      case "enable":
        await setUserDisabled(user.id, false, context);
        return redirectWithToast(back, {
          kind: "success",
          message: "The account can sign in again.",
        });
      case "issue-setup-link": {
        const token = await issueSetupLink(user.id, context);
        return Response.json({
          ok: true,
          setupUrl: setupLinkUrl(request, token),
        } satisfies ActionData);
      }
    }
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

interface UserData {
  canEdit: boolean;
  isSelf: boolean;
  user: {
    id: string;
    email: string;
    displayName: string;
    role: keyof typeof ROLE_LABELS;
    teamIds: string[];
    disabled: boolean;
    status: UserStatus;
    pendingSince: string | null;
    lastLogin: string;
    created: string;
    liveSessions: number;
  };
  teams: Array<{ value: string; label: string }>;
}

export default function EditUser() {
  const { user, teams, canEdit, isSelf } = useLoaderData<UserData>();
  const result = useActionData<ActionData>();
  const errors = result && !result.ok ? result.errors : [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <p className="mb-4">
        <Link to="/admin/users">Back to users</Link>
      </p>
      <PageHeading title={user.displayName} lede={user.email} />
      {result?.ok ? <SetupLinkPanel url={result.setupUrl} displayName={user.displayName} /> : null}
      <ErrorSummary errors={errors} />
      <Panel>
        <dl className="grid gap-x-8 gap-y-2 sm:grid-cols-[12rem_1fr]">
          <dt className="font-bold">Status</dt>
          <dd>
            {user.status}
            {user.pendingSince ? ` since ${user.pendingSince}` : null}
          </dd>
          <dt className="font-bold">Last signed in</dt>
          <dd>{user.lastLogin}</dd>
          <dt className="font-bold">Signed-in sessions</dt>
          <dd>{user.liveSessions}</dd>
          <dt className="font-bold">Created</dt>
          <dd>{user.created}</dd>
        </dl>
      </Panel>
      {canEdit ? (
        <>
          <Panel>
            <h2 className="mb-4 text-xl font-bold">
              {user.pendingSince ? "Approve this account" : "Name, role and teams"}
            </h2>
            {user.pendingSince ? (
              <p className="mb-4">
                {user.displayName} signed in with their trust account and has no PKB Desk access
                yet. Check who they are, choose their role and teams, then approve.
              </p>
            ) : null}
            <Form method="post" noValidate>
              <CsrfInput />
              <input
                type="hidden"
                name="intent"
                value={user.pendingSince ? "approve" : "update-access"}
              />
              <TextField
                id="displayName"
                name="displayName"
                label="Full name"
                defaultValue={user.displayName}
                errors={fieldErrors("displayName")}
              />
              <SelectField
                id="role"
                name="role"
                label="Role"
                defaultValue={user.role}
                errors={fieldErrors("role")}
                options={Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label }))}
              />
              <CheckboxGroup
                name="teamIds"
                legend="Teams"
                options={teams}
                defaultChecked={user.teamIds}
              />
              <Button>
                {user.pendingSince ? "Approve with this role and teams" : "Save changes"}
              </Button>
            </Form>
          </Panel>
          <Panel>
            <h2 className="mb-2 text-xl font-bold">Password</h2>
            <p className="mb-4">
              Issue a one-time link that lets {user.displayName} set a new password. Any earlier
              unused link stops working, and their sessions end when they use it.
            </p>
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="issue-setup-link" />
              <Button variant="secondary">Issue a set-password link</Button>
            </Form>
          </Panel>
          {!isSelf ? (
            <Panel>
              <h2 className="mb-2 text-xl font-bold">
                {user.disabled ? "Enable account" : "Disable account"}
              </h2>
              <p className="mb-4">
                {user.disabled
                  ? `${user.displayName} cannot sign in. Enabling lets them sign in again with their password.`
                  : `${user.displayName} will be signed out everywhere at once and cannot sign in until enabled.`}
              </p>
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value={user.disabled ? "enable" : "disable"} />
                {user.disabled ? (
                  <Button variant="secondary">Enable account</Button>
                ) : (
                  <ConfirmButton confirmLabel={`Yes, disable ${user.displayName}`}>
                    Disable account
                  </ConfirmButton>
                )}
              </Form>
            </Panel>
          ) : null}
        </>
      ) : null}
    </>
  );
}
