import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, TextField } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { TeamSchema } from "~/modules/auth/team-forms.ts";
import { getTeam, TeamError, updateTeam } from "~/modules/auth/teams.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";

export const access = { loader: "read:team", action: "manage:team" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Team – PKB Desk" }];

const TeamIdSchema = z.uuid();

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = TeamIdSchema.safeParse(params.teamId);
  if (!id.success) throw notFound();
  const canManage = hasPermission(session.user.role, "manage:team");
  // Another team's id answers 404, exactly like an id that does not exist.
  if (!canManage && !session.user.teamIds.includes(id.data)) throw notFound();
  const team = await getTeam(id.data);
  if (!team) throw notFound();
  return Response.json({
    canManage,
    canSeeUsers: hasPermission(session.user.role, "read:user"),
    team: {
      id: team.id,
      name: team.name,
      description: team.description,
      members: team.members.map(({ user }) => ({
        id: user.id,
        displayName: user.displayName,
        role: ROLE_LABELS[user.role],
        disabled: Boolean(user.disabledAt),
      })),
    },
  });
}

type ActionData = { errors: Array<{ field?: string; message: string }> };

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const id = TeamIdSchema.safeParse(params.teamId);
  if (!id.success) throw notFound();
  if (!(await getTeam(id.data))) throw notFound();
  const parsed = TeamSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json({ errors: formErrorsFromZod(parsed.error) } satisfies ActionData, {
      status: 400,
    });
  }
  try {
    await updateTeam(id.data, parsed.data, { actor, clientAddress });
  } catch (error) {
    if (error instanceof TeamError) {
      return Response.json(
        { errors: [{ field: "name", message: error.message }] } satisfies ActionData,
        { status: 400 },
      );
    }
    throw error;
  }
  return redirectWithToast(`/admin/teams/${id.data}`, { kind: "success", message: "Team saved." });
}

interface TeamData {
  canManage: boolean;
  canSeeUsers: boolean;
  team: {
    id: string;
    name: string;
    description: string;
    members: Array<{ id: string; displayName: string; role: string; disabled: boolean }>;
  };
}

export default function TeamPage() {
  const { team, canManage, canSeeUsers } = useLoaderData<TeamData>();
  const errors = useActionData<ActionData>()?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <p className="mb-4">
        <Link to="/admin/teams">Back to teams</Link>
      </p>
      <PageHeading title={team.name} lede={team.description || undefined} />
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Members</h2>
        {team.members.length === 0 ? (
          <p>No members yet. Add people to this team from their page under Users.</p>
        ) : (
          <ul className="list-disc pl-6">
            {team.members.map((member) => (
              <li key={member.id}>
                {canSeeUsers ? (
                  <Link to={`/admin/users/${member.id}`}>{member.displayName}</Link>
                ) : (
                  member.displayName
                )}{" "}
                — {member.role}
                {member.disabled ? " (disabled)" : ""}
              </li>
            ))}
          </ul>
        )}
      </Panel>
      {canManage ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Rename or describe</h2>
          <ErrorSummary errors={errors} />
          <Form method="post" noValidate>
            <CsrfInput />
            <TextField
              id="name"
              name="name"
              label="Team name"
              defaultValue={team.name}
              errors={fieldErrors("name")}
            />
            <TextField
              id="description"
              name="description"
              label="Description (optional)"
              defaultValue={team.description}
              errors={fieldErrors("description")}
            />
            <Button>Save team</Button>
          </Form>
        </Panel>
      ) : null}
    </>
  );
}
