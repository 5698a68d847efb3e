import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { TeamPageSchema } from "~/modules/auth/team-forms.ts";
import { getTeam, setTeamMembership, TeamError, updateTeam } from "~/modules/auth/teams.server.ts";
import { listUsers } from "~/modules/auth/users.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";
import { HeaderRow, Th } from "~/components/ui/table.tsx";

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
  const memberIds = new Set(team.members.map(({ user }) => user.id));
  const candidates = canManage
    ? (await listUsers())
        .filter((user) => !user.disabledAt && !memberIds.has(user.id))
        .map((user) => ({
          value: user.id,
          label: `${user.displayName} (${ROLE_LABELS[user.role]})`,
        }))
    : [];
  return Response.json({
    canManage,
    candidates,
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
  const parsed = TeamPageSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json({ errors: formErrorsFromZod(parsed.error) } satisfies ActionData, {
      status: 400,
    });
  }
  const context = { actor, clientAddress };
  const back = `/admin/teams/${id.data}`;
  try {
    switch (parsed.data.intent) {
      case "update":
        await updateTeam(id.data, parsed.data, context);
        return redirectWithToast(back, { kind: "success", message: "Team saved." });
      case "add-member":
        await setTeamMembership(id.data, parsed.data.userId, true, context);
        return redirectWithToast(back, { kind: "success", message: "Member added." });
      case "remove-member":
        await setTeamMembership(id.data, parsed.data.userId, false, context);
        return redirectWithToast(back, { kind: "success", message: "Member removed." });
    }
  } catch (error) {
    if (error instanceof TeamError) {
      const field = parsed.data.intent === "update" ? "name" : "userId";
      return Response.json({ errors: [{ field, message: error.message }] } satisfies ActionData, {
        status: 400,
      });
    }
    throw error;
  }
}

interface TeamData {
  canManage: boolean;
  candidates: Array<{ value: string; label: string }>;
  canSeeUsers: boolean;
  team: {
    id: string;
    name: string;
    description: string;
    members: Array<{ id: string; displayName: string; role: string; disabled: boolean }>;
  };
}

export default function TeamPage() {
  const { team, canManage, canSeeUsers, candidates } = useLoaderData<TeamData>();
  const errors = useActionData<ActionData>()?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <p className="mb-4">
        <Link to="/admin/teams">Back to teams</Link>
      </p>
      <PageHeading title={team.name} lede={team.description || undefined} />
      <ErrorSummary errors={errors} />
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Members</h2>
        {team.members.length === 0 ? (
          <p>No members yet.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">Members of {team.name}</caption>
            <HeaderRow>
              <Th>Name</Th>
              <Th>Role</Th>
              {canManage ? (
                <Th>
                  <span className="sr-only">Action</span>
                </Th>
              ) : null}
            </HeaderRow>
            <tbody>
              {team.members.map((member) => (
                <tr key={member.id} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4">
                    {canSeeUsers ? (
                      <Link to={`/admin/users/${member.id}`}>{member.displayName}</Link>
                    ) : (
                      member.displayName
                    )}
                    {member.disabled ? " (disabled)" : ""}
                  </td>
                  <td className="py-2 pr-4">{member.role}</td>
                  {canManage ? (
                    <td className="py-2 pr-4 text-right">
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="intent" value="remove-member" />
                        <input type="hidden" name="userId" value={member.id} />
                        <Button
                          variant="link"
                          aria-label={`Remove ${member.displayName} from the team`}
                        >
                          Remove
                        </Button>
                      </Form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canManage ? (
          candidates.length > 0 ? (
            <Form method="post" noValidate className="mt-6 flex flex-wrap items-end gap-4">
              <CsrfInput />
              <input type="hidden" name="intent" value="add-member" />
              <div className="min-w-72 flex-1">
                <SelectField
                  id="userId"
                  name="userId"
                  label="Add a member"
                  errors={fieldErrors("userId")}
                  options={[{ value: "", label: "Choose a person" }, ...candidates]}
                />
              </div>
              <Button variant="secondary" className="mb-5">
                Add to team
              </Button>
            </Form>
          ) : (
            <p className="mt-6 text-nhs-dark-grey">
              Everyone with an active account is in this team.
            </p>
          )
        ) : null}
      </Panel>
      {canManage ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Rename or describe</h2>
          <Form method="post" noValidate>
            <CsrfInput />
            <input type="hidden" name="intent" value="update" />
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
