import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import {
  addClosure,
  ClosureInputSchema,
  removeClosure,
  ServiceLevelError,
  ServiceLevelInputSchema,
  serviceLevelSettings,
  updateServiceLevel,
} from "~/modules/requests/sla/settings.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = {
  loader: "manage:service-level",
  action: "manage:service-level",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Service levels – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  return serviceLevelSettings(session.user);
}

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("service-level"), teamId: z.uuid() }).passthrough(),
  z.object({ intent: z.literal("add-closure") }).passthrough(),
  z.object({ intent: z.literal("remove-closure"), closureId: z.uuid() }),
]);

type Errors = Array<{ field?: string; message: string }>;

function fail(errors: Errors, formId: string) {
  return Response.json({ errors, formId }, { status: 400 });
}

export async function action({ request }: ActionFunctionArgs) {
  const { form, session, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = ActionSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw notFound();
  const audit = { actor, clientAddress };
  try {
    switch (parsed.data.intent) {
      case "service-level": {
        const input = ServiceLevelInputSchema.safeParse(Object.fromEntries(form));
        const formId = `team-${parsed.data.teamId}`;
        if (!input.success) {
          return fail(
            input.error.issues.map((issue) => ({
              field: `${formId}-${String(issue.path[0])}`,
              message: issue.message,
            })),
            formId,
          );
        }
        await updateServiceLevel(session.user, parsed.data.teamId, input.data, audit);
        return redirectWithToast("/requests/settings", {
          kind: "success",
          message: "Service level saved; open requests re-dated.",
        });
      }
      case "add-closure": {
        const input = ClosureInputSchema.safeParse(Object.fromEntries(form));
        if (!input.success) {
          return fail(
            input.error.issues.map((issue) => ({
              field: `closure-${String(issue.path[0])}`,
              message: issue.message,
            })),
            "closure",
          );
        }
        await addClosure(session.user, input.data, audit);
        return redirectWithToast("/requests/settings", {
          kind: "success",
          message: "Closure added; open requests re-dated.",
        });
      }
      case "remove-closure":
        await removeClosure(session.user, parsed.data.closureId, audit);
        return redirectWithToast("/requests/settings", {
          kind: "success",
          message: "Closure removed.",
        });
    }
  } catch (error) {
    if (error instanceof ServiceLevelError) {
      if (error.message === "not-found") throw notFound();
      return fail([{ field: "closure-day", message: error.message }], "closure");
    }
    throw error;
  }
}

export default function ServiceLevels() {
  const data = useLoaderData<typeof loader>();
  const errors = useActionData<{ errors: Errors }>()?.errors ?? [];
  const fieldErrors = (field: string) =>
    errors.filter((error) => error.field === field).map((error) => error.message);
  return (
    <>
      <p className="mb-4">
        <Link to="/requests">Back to requests</Link>
      </p>
      <PageHeading
        title="Service levels"
        lede="Each team's target in working hours, its working day (UK time, Monday to Friday) and the days it is closed. England and Wales bank holidays, substitute days included, are never working days."
      />
      <ErrorSummary errors={errors} />
      {data.teams.length === 0 ? (
        <Panel>
          <p>You are not in a team yet.</p>
        </Panel>
      ) : null}
      {data.teams.map((team) => {
        const formId = `team-${team.id}`;
        return (
          <Panel key={team.id}>
            <h2 className="mb-2 text-xl font-bold">{team.name}</h2>
            {team.isDefault ? (
              <p className="mb-4 text-nhs-dark-grey">Using the default service level.</p>
            ) : null}
            <Form method="post" noValidate className="grid gap-x-6 sm:grid-cols-2">
              <CsrfInput />
              <input type="hidden" name="intent" value="service-level" />
              <input type="hidden" name="teamId" value={team.id} />
              <TextField
                id={`${formId}-targetWorkingHours`}
                name="targetWorkingHours"
                label="Target (working hours)"
                hint="From receipt to actioned. Leave empty for no target."
                inputMode="numeric"
                defaultValue={team.targetWorkingHours ?? ""}
                errors={fieldErrors(`${formId}-targetWorkingHours`)}
              />
              <TextField
                id={`${formId}-urgentWithinDays`}
                name="urgentWithinDays"
                label="Urgent when the appointment is within (days)"
                inputMode="numeric"
                defaultValue={team.urgentWithinDays}
                errors={fieldErrors(`${formId}-urgentWithinDays`)}
              />
              <TextField
                id={`${formId}-dayStart`}
                name="dayStart"
                label="Working day starts (HH:MM)"
                defaultValue={team.dayStart}
                errors={fieldErrors(`${formId}-dayStart`)}
              />
              <TextField
                id={`${formId}-dayEnd`}
                name="dayEnd"
                label="Working day ends (HH:MM)"
                defaultValue={team.dayEnd}
                errors={fieldErrors(`${formId}-dayEnd`)}
              />
              <div>
                <Button>Save {team.name}</Button>
              </div>
            </Form>
          </Panel>
        );
      })}
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Closures</h2>
        {data.closures.length === 0 ? (
          <p>No closures ahead.</p>
        ) : (
          <table className="mb-6 w-full text-left">
            <caption className="sr-only">Closures from today on</caption>
            <HeaderRow>
              <Th>Day</Th>
              <Th>Who</Th>
              <Th>Reason</Th>
              <Th>
                <span className="sr-only">Action</span>
              </Th>
            </HeaderRow>
            <tbody>
              {data.closures.map((closure) => (
                <tr key={closure.id} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4">{closure.day}</td>
                  <td className="py-2 pr-4">{closure.scope}</td>
                  <td className="py-2 pr-4">{closure.reason}</td>
                  <td className="py-2 pr-4 text-right">
                    {closure.canRemove ? (
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="intent" value="remove-closure" />
                        <input type="hidden" name="closureId" value={closure.id} />
                        <Button
                          variant="link"
                          aria-label={`Remove the closure on ${closure.day} (${closure.scope})`}
                        >
                          Remove
                        </Button>
                      </Form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h3 className="mt-4 mb-2 font-bold">Add a closure</h3>
        <Form method="post" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="add-closure" />
          <TextField
            id="closure-day"
            name="day"
            type="date"
            label="Day"
            errors={fieldErrors("closure-day")}
          />
          <SelectField
            id="closure-scope"
            name="scope"
            label="Closed"
            errors={fieldErrors("closure-scope")}
            options={[
              ...(data.canTrustWide ? [{ value: "trust", label: "Whole trust" }] : []),
              ...data.teams.map((team) => ({ value: team.id, label: team.name })),
            ]}
          />
          <TextField
            id="closure-reason"
            name="reason"
            label="Reason"
            maxLength={200}
            errors={fieldErrors("closure-reason")}
          />
          <Button variant="secondary">Add closure</Button>
        </Form>
      </Panel>
    </>
  );
}
