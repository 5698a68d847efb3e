import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { formErrorsFromZod, messagesFor, type FormError } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import {
  canManageTeam,
  listRules,
  manageableTeams,
  previewRule,
  RoutingRuleError,
  RuleInputSchema,
  saveRule,
} from "~/modules/requests/routing/routing.server.ts";
import { PREVIEW_REQUESTS } from "~/modules/requests/routing/rules.ts";
import { prisma } from "~/platform/db.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = { loader: "manage:routing", action: "manage:routing" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Routing rule – PKB Desk" }];

const RuleIdSchema = z.union([z.literal("new"), z.uuid()]);

async function load(request: Request, ruleIdParam: string | undefined) {
  const session = await requirePermission(request, access.loader);
  const ruleId = RuleIdSchema.safeParse(ruleIdParam);
  if (!ruleId.success) throw notFound();
  const db = await prisma();
  const rules = await listRules(db);
  const rule = ruleId.data === "new" ? null : (rules.find((r) => r.id === ruleId.data) ?? null);
  // Another team's rule answers 404, like one that does not exist.
  if (ruleId.data !== "new" && (!rule || !canManageTeam(session.user, rule.teamId))) {
    throw notFound();
  }
  return { session, db, rules, rule };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { session, db, rules, rule } = await load(request, params.ruleId);
  const teams = await manageableTeams(db, session.user);
  const at = rule ? rules.findIndex((r) => r.id === rule.id) : -1;
  return {
    isNew: rule === null,
    values: {
      name: rule?.name ?? "",
      specialtyCode: rule?.specialtyCode ?? "",
      location: rule?.location ?? "",
      serviceType: rule?.serviceType ?? "",
      action: rule?.action ?? "ANY",
      teamId: rule?.teamId ?? teams[0]?.id ?? "",
      assigneeId: rule?.assigneeId ?? "",
      beforeRuleId: at >= 0 ? (rules[at + 1]?.id ?? "") : "",
      enabled: rule?.enabled ?? true,
    },
    teams: teams.map((t) => ({ value: t.id, label: t.name })),
    people: teams.flatMap((t) =>
      t.members.map((m) => ({ value: m.id, label: `${m.displayName} (${t.name})` })),
    ),
    places: rules
      .filter((r) => r.id !== rule?.id)
      .map((r, i) => ({ value: r.id, label: `Before rule ${i + 1}: ${r.name}` })),
  };
}

const FormSchema = z.discriminatedUnion("intent", [
  RuleInputSchema.extend({ intent: z.literal("preview") }),
  RuleInputSchema.extend({ intent: z.literal("save") }),
]);

type Values = Awaited<ReturnType<typeof loader>>["values"];
type Preview = Awaited<ReturnType<typeof previewRule>>;
type ActionData = { errors: FormError[]; values?: Values; preview?: SerializedPreview };
type SerializedPreview = Omit<Preview, "draftTakes"> & {
  draftTakes: Array<Omit<Preview["draftTakes"][number], "receivedAt"> & { receivedAt: string }>;
};

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, session, clientAddress } = await requireMutation(request, access.action);
  const { db, rule } = await load(request, params.ruleId);
  const raw = Object.fromEntries(form);
  const values: Values = {
    name: String(raw.name ?? ""),
    specialtyCode: String(raw.specialtyCode ?? ""),
    location: String(raw.location ?? ""),
    serviceType: String(raw.serviceType ?? ""),
    action: (["CANCEL", "CHANGE"].includes(String(raw.action))
      ? raw.action
      : "ANY") as Values["action"],
    teamId: String(raw.teamId ?? ""),
    assigneeId: String(raw.assigneeId ?? ""),
    beforeRuleId: String(raw.beforeRuleId ?? ""),
    enabled: raw.enabled !== undefined,
  };
  const parsed = FormSchema.safeParse(raw);
  if (!parsed.success) {
    return Response.json({ errors: formErrorsFromZod(parsed.error), values } satisfies ActionData, {
      status: 400,
    });
  }
  const { intent, ...input } = parsed.data;
  if (!canManageTeam(session.user, input.teamId)) {
    return Response.json(
      {
        errors: [{ field: "teamId", message: "You can only send rules to your own teams." }],
        values,
      } satisfies ActionData,
      { status: 400 },
    );
  }
  if (intent === "preview") {
    const preview = await previewRule(db, { id: rule?.id ?? null, input });
    return Response.json({
      errors: [],
      values,
      preview: {
        ...preview,
        draftTakes: preview.draftTakes.map((r) => ({
          ...r,
          receivedAt: formatUkDateTime(r.receivedAt),
        })),
      },
    } satisfies ActionData);
  }
  try {
    await saveRule(
      db,
      { ...session.user, label: session.user.email, clientAddress },
      rule?.id ?? null,
      input,
    );
  } catch (error) {
    if (error instanceof RoutingRuleError) {
      if (error.notFound) throw notFound();
      return Response.json(
        { errors: [{ field: error.field, message: error.message }], values } satisfies ActionData,
        { status: 400 },
      );
    }
    throw error;
  }
  return redirectWithToast("/requests/routing", {
    kind: "success",
    message: rule
      ? "Rule saved. Open requests keep their queue until you re-route them."
      : "Rule added. It routes new requests from the next sync; open requests move only when you re-route them.",
  });
}

const ACTION_WORDS = { CANCEL: "Cancel", CHANGE: "Change" } as const;

export default function RoutingRulePage() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<ActionData>();
  const errors = result?.errors ?? [];
  const values = result?.values ?? data.values;
  const preview = result?.preview;
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <p className="mb-4">
        <Link to="/requests/routing">Back to routing rules</Link>
      </p>
      <PageHeading
        title={data.isNew ? "New routing rule" : `Edit rule: ${data.values.name}`}
        lede="Fill in only the conditions that matter: a blank condition fits any request. Preview shows what the rule would take before you save it."
      />
      <ErrorSummary errors={errors} />
      <Panel>
        {/* Keyed on the values so a preview re-renders the form with what was typed. */}
        <Form method="post" noValidate key={JSON.stringify(values)}>
          <CsrfInput />
          <TextField
            id="name"
            name="name"
            label="Rule name"
            hint="For example “Cardiology clinics”."
            defaultValue={values.name}
            errors={fieldErrors("name")}
          />
          <fieldset className="mb-5">
            <legend className="mb-2 text-xl font-bold">Takes requests with</legend>
            <TextField
              id="specialtyCode"
              name="specialtyCode"
              label="Specialty code (optional)"
              hint="The appointment's specialty code, for example 320 for cardiology."
              defaultValue={values.specialtyCode}
              errors={fieldErrors("specialtyCode")}
            />
            <TextField
              id="location"
              name="location"
              label="Clinic or location (optional)"
              hint="As PKB shows it on the appointment, for example “Cardiology Clinic A”."
              defaultValue={values.location}
              errors={fieldErrors("location")}
            />
            <TextField
              id="serviceType"
              name="serviceType"
              label="Service type (optional)"
              defaultValue={values.serviceType}
              errors={fieldErrors("serviceType")}
            />
            <SelectField
              id="action"
              name="action"
              label="Request type"
              defaultValue={values.action}
              options={[
                { value: "ANY", label: "Cancel or change" },
                { value: "CANCEL", label: "Cancel requests only" },
                { value: "CHANGE", label: "Change requests only" },
              ]}
            />
          </fieldset>
          <fieldset className="mb-5">
            <legend className="mb-2 text-xl font-bold">Sends them to</legend>
            <SelectField
              id="teamId"
              name="teamId"
              label="Team"
              defaultValue={values.teamId}
              options={data.teams}
              errors={fieldErrors("teamId")}
            />
            <SelectField
              id="assigneeId"
              name="assigneeId"
              label="Person (optional)"
              hint="Leave as “Nobody” to put requests in the team's queue. A person must be in the team chosen."
              defaultValue={values.assigneeId}
              options={[{ value: "", label: "Nobody: the team's queue" }, ...data.people]}
              errors={fieldErrors("assigneeId")}
            />
          </fieldset>
          <SelectField
            id="beforeRuleId"
            name="beforeRuleId"
            label="Place in the list"
            hint="Rules are tried in order; the first that fits takes the request."
            defaultValue={values.beforeRuleId}
            options={[...data.places, { value: "", label: "Last" }]}
            errors={fieldErrors("beforeRuleId")}
          />
          <div className="mb-5 flex items-center gap-2">
            <input
              type="checkbox"
              id="enabled"
              name="enabled"
              defaultChecked={values.enabled}
              className="h-6 w-6 accent-nhs-blue"
            />
            <label htmlFor="enabled">Rule is on</label>
          </div>
          <div className="flex flex-wrap gap-4">
            <Button variant="secondary" name="intent" value="preview">
              Preview
            </Button>
            <Button name="intent" value="save">
              Save rule
            </Button>
          </div>
        </Form>
      </Panel>
      {preview ? <PreviewPanel preview={preview} /> : null}
    </>
  );
}

function PreviewPanel({ preview }: { preview: SerializedPreview }) {
  const draft = preview.rules.find((r) => r.isDraft);
  return (
    <Panel>
      <h2 id="preview-heading" className="mb-2 text-xl font-bold" tabIndex={-1}>
        Preview over the latest {preview.considered} requests
      </h2>
      <p role="status" className="mb-4 font-bold">
        {draft?.takes === 1
          ? "This rule would take 1 request."
          : `This rule would take ${draft?.takes ?? 0} requests.`}
        {preview.considered < PREVIEW_REQUESTS ? " (All the requests there are so far.)" : ""}
      </p>
      {preview.catchAll ? (
        <p className="mb-4 border-l-4 border-nhs-warm-yellow pl-3">
          This rule has no condition: it takes every request that reaches it, and rules below it
          take nothing.
        </p>
      ) : null}
      <table className="mb-6 w-full text-left">
        <caption className="mb-2 text-left font-bold">
          Requests each rule would take, in order
        </caption>
        <HeaderRow>
          <Th>Order</Th>
          <Th>Rule</Th>
          <Th>Team</Th>
          <Th numeric>Requests</Th>
        </HeaderRow>
        <tbody>
          {preview.rules.map((r, i) => (
            <tr
              key={r.id}
              className={`border-b border-nhs-pale-grey ${r.isDraft ? "bg-nhs-pale-grey font-bold" : ""}`}
            >
              <td className="py-2 pr-4">{i + 1}</td>
              <td className="py-2 pr-4">
                {r.name}
                {r.isDraft ? " (this rule)" : ""}
                {r.enabled ? "" : " (off)"}
              </td>
              <td className="py-2 pr-4">{r.team}</td>
              <td className="py-2 pr-4 text-right">{r.takes}</td>
            </tr>
          ))}
          <tr className="border-b border-nhs-pale-grey">
            <td className="py-2 pr-4">—</td>
            <td className="py-2 pr-4">No rule fits: unrouted queue</td>
            <td className="py-2 pr-4">—</td>
            <td className="py-2 pr-4 text-right">{preview.unrouted}</td>
          </tr>
        </tbody>
      </table>
      {preview.draftTakes.length > 0 ? (
        <table className="w-full text-left">
          <caption className="mb-2 text-left font-bold">The requests this rule would take</caption>
          <HeaderRow>
            <Th>Received</Th>
            <Th>Type</Th>
            <Th>Specialty</Th>
            <Th>Clinic or location</Th>
            <Th>Service type</Th>
            <Th>Queue now</Th>
          </HeaderRow>
          <tbody>
            {preview.draftTakes.map((r) => (
              <tr key={r.id} className="border-b border-nhs-pale-grey">
                <td className="py-2 pr-4">{r.receivedAt}</td>
                <td className="py-2 pr-4">{ACTION_WORDS[r.action]}</td>
                <td className="py-2 pr-4">{r.specialty ?? "No appointment yet"}</td>
                <td className="py-2 pr-4">{r.location ?? "—"}</td>
                <td className="py-2 pr-4">{r.serviceType ?? "—"}</td>
                <td className="py-2 pr-4">{r.queueNow ?? "Unrouted"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Panel>
  );
}
