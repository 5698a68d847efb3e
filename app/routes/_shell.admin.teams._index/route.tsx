import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, TextField } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { TeamSchema } from "~/modules/auth/team-forms.ts";
import { createTeam, listTeams, TeamError } from "~/modules/auth/teams.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";
import { HeaderRow, Th } from "~/components/ui/table.tsx";

export const access = { loader: "read:team", action: "manage:team" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Teams – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const canManage = hasPermission(session.user.role, "manage:team");
  // Team scope: without manage:team, only the teams the user belongs to.
  const teams = await listTeams(canManage ? undefined : session.user.teamIds);
  return Response.json({
    canManage,
    teams: teams.map((team) => ({
      id: team.id,
      name: team.name,
      description: team.description,
      members: team._count.members,
    })),
  });
}

type ActionData = { errors: Array<{ field?: string; message: string }> };

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = TeamSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json({ errors: formErrorsFromZod(parsed.error) } satisfies ActionData, {
      status: 400,
    });
  }
  try {
    await createTeam(parsed.data, { actor, clientAddress });
  } catch (error) {
    if (error instanceof TeamError) {
      return Response.json(
        { errors: [{ field: "name", message: error.message }] } satisfies ActionData,
        { status: 400 },
      );
    }
    throw error;
  }
  return redirectWithToast("/admin/teams", {
    kind: "success",
    message: `Team “${parsed.data.name}” created.`,
  });
}

interface TeamsData {
  canManage: boolean;
  teams: Array<{ id: string; name: string; description: string; members: number }>;
}

export default function Teams() {
  const data = useLoaderData<TeamsData>();
  const errors = useActionData<ActionData>()?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <PageHeading
        title="Teams"
        lede="Appointment teams that requests are routed to. Members see their teams' worklists."
      />
      <Panel>
        {data.teams.length === 0 ? (
          <p>No teams yet.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">Teams</caption>
            <HeaderRow>
              <Th>Team</Th>
              <Th>Description</Th>
              <Th numeric>Members</Th>
            </HeaderRow>
            <tbody>
              {data.teams.map((team) => (
                <tr key={team.id} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4">
                    <Link to={`/admin/teams/${team.id}`} className="font-bold">
                      {team.name}
                    </Link>
                  </td>
                  <td className="py-2 pr-4">{team.description || "—"}</td>
                  <td className="py-2 pr-4 text-right">{team.members}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      {data.canManage ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Add a team</h2>
          <ErrorSummary errors={errors} />
          <Form method="post" noValidate>
            <CsrfInput />
            <TextField
              id="name"
              name="name"
              label="Team name"
              hint="For example: Cardiology appointments"
              errors={fieldErrors("name")}
            />
            <TextField
              id="description"
              name="description"
              label="Description (optional)"
              errors={fieldErrors("description")}
            />
            <Button>Add team</Button>
          </Form>
        </Panel>
      ) : null}
    </>
  );
}
