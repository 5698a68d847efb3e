import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { ConfirmButton } from "~/components/ui/confirm-button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { isCatchAll } from "~/modules/requests/routing/rules.ts";
import {
  canManageTeam,
  deleteRule,
  listRules,
  moveRule,
  rerouteCount,
  rerouteOpenRequests,
  RoutingRuleError,
  setRuleEnabled,
} from "~/modules/requests/routing/routing.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = { loader: "manage:routing", action: "manage:routing" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Routing rules – PKB Desk" }];

const ACTION_LABELS = { CANCEL: "Cancel", CHANGE: "Change" } as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const db = await prisma();
  const rules = await listRules(db);
  // Counting what a re-route would move reads every open request: only when asked.
  const checking = new URL(request.url).searchParams.get("reroute") === "check";
  return {
    rules: rules.map((rule, index) => ({
      id: rule.id,
      order: index + 1,
      name: rule.name,
      enabled: rule.enabled,
      conditions: [
        rule.specialtyCode ? `Specialty code ${rule.specialtyCode}` : null,
        rule.location ? `Clinic or location “${rule.location}”` : null,
        rule.serviceType ? `Service type “${rule.serviceType}”` : null,
        rule.action ? `${ACTION_LABELS[rule.action]} requests` : null,
      ].filter((c): c is string => c !== null),
      catchAll: isCatchAll(rule),
      team: rule.team.name,
      person: rule.assignee?.displayName ?? null,
      canEdit: canManageTeam(session.user, rule.teamId),
    })),
    rerouteCount: checking ? await rerouteCount(db, session.user) : null,
  };
}

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("move"), ruleId: z.uuid(), direction: z.enum(["up", "down"]) }),
  z.object({ intent: z.literal("enable"), ruleId: z.uuid() }),
  z.object({ intent: z.literal("disable"), ruleId: z.uuid() }),
  z.object({ intent: z.literal("delete"), ruleId: z.uuid() }),
  z.object({ intent: z.literal("reroute") }),
]);

type ActionData = { errors: Array<{ field?: string; message: string }> };

export async function action({ request }: ActionFunctionArgs) {
  const { form, session, clientAddress } = await requireMutation(request, access.action);
  const parsed = ActionSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json(
      { errors: [{ message: "That did not work: reload the page and try again." }] },
      { status: 400 },
    );
  }
  const db = await prisma();
  const actor = { ...session.user, label: session.user.email, clientAddress };
  const back = "/requests/routing";
  try {
    switch (parsed.data.intent) {
      case "move":
        await moveRule(db, actor, parsed.data.ruleId, parsed.data.direction);
        return redirectWithToast(back, {
          kind: "success",
          message: `Rule moved ${parsed.data.direction}. Open requests keep their queue until you re-route them.`,
        });
      case "enable":
      case "disable":
        await setRuleEnabled(db, actor, parsed.data.ruleId, parsed.data.intent === "enable");
        return redirectWithToast(back, {
          kind: "success",
          message: `Rule ${parsed.data.intent}d.`,
        });
      case "delete":
        await deleteRule(db, actor, parsed.data.ruleId);
        return redirectWithToast(back, { kind: "success", message: "Rule deleted." });
      case "reroute": {
        const { moved } = await rerouteOpenRequests(db, actor);
        return redirectWithToast(back, {
          kind: "success",
          message: moved === 1 ? "1 open request re-routed." : `${moved} open requests re-routed.`,
        });
      }
    }
  } catch (error) {
    if (error instanceof RoutingRuleError) {
      if (error.notFound) throw notFound();
      return Response.json({ errors: [{ message: error.message }] } satisfies ActionData, {
        status: 400,
      });
    }
    throw error;
  }
}

export default function RoutingRulesPage() {
  const { rules, rerouteCount } = useLoaderData<typeof loader>();
  const errors = useActionData<ActionData>()?.errors ?? [];
  return (
    <>
      <PageHeading
        title="Routing rules"
        lede="New requests go to the first rule below that fits them; a request no rule fits waits in the unrouted queue every team lead sees."
        actions={
          <Link
            to="/requests/routing/new"
            className="rounded bg-nhs-green px-4 py-2 font-bold text-white no-underline shadow-[0_4px_0_#00401e] hover:bg-[#00662f] hover:text-white"
          >
            New rule
          </Link>
        }
      />
      <ErrorSummary errors={errors} />
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Rules, in the order they are tried</h2>
        {rules.length === 0 ? (
          <p>No rules yet: every new request goes to the unrouted queue.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">Routing rules, first tried first</caption>
            <HeaderRow>
              <Th>Order</Th>
              <Th>Rule</Th>
              <Th>Takes requests with</Th>
              <Th>Sends to</Th>
              <Th>Status</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </HeaderRow>
            <tbody>
              {rules.map((rule, index) => (
                <tr key={rule.id} className="border-b border-nhs-pale-grey align-top">
                  <td className="py-2 pr-4">{rule.order}</td>
                  <td className="py-2 pr-4">
                    {rule.canEdit ? (
                      <Link to={`/requests/routing/${rule.id}`}>{rule.name}</Link>
                    ) : (
                      rule.name
                    )}
                  </td>
                  <td className="py-2 pr-4">
                    {rule.catchAll ? (
                      <strong>Any request (takes everything below it)</strong>
                    ) : (
                      <ul className="list-none">
                        {rule.conditions.map((c) => (
                          <li key={c}>{c}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td className="py-2 pr-4">
                    {rule.team}
                    {rule.person ? <div>Assigned to {rule.person}</div> : null}
                  </td>
                  <td className="py-2 pr-4">{rule.enabled ? "On" : "Off (skipped)"}</td>
                  <td className="py-2 pr-4">
                    {rule.canEdit ? (
                      <div className="flex flex-wrap gap-3">
                        {index > 0 ? (
                          <RuleButton rule={rule} intent="move" direction="up">
                            Move up
                          </RuleButton>
                        ) : null}
                        {index < rules.length - 1 ? (
                          <RuleButton rule={rule} intent="move" direction="down">
                            Move down
                          </RuleButton>
                        ) : null}
                        <RuleButton rule={rule} intent={rule.enabled ? "disable" : "enable"}>
                          {rule.enabled ? "Turn off" : "Turn on"}
                        </RuleButton>
                        <Form method="post">
                          <CsrfInput />
                          <input type="hidden" name="intent" value="delete" />
                          <input type="hidden" name="ruleId" value={rule.id} />
                          <ConfirmButton
                            variant="secondary"
                            confirmLabel={`Confirm: delete “${rule.name}”`}
                            aria-label={`Delete rule ${rule.name}`}
                            className="px-2 py-0.5 text-sm"
                          >
                            Delete
                          </ConfirmButton>
                        </Form>
                      </div>
                    ) : (
                      <span className="text-nhs-dark-grey">Another team’s rule</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <Panel>
        <h2 className="mb-2 text-xl font-bold">Re-route open requests</h2>
        <p className="mb-4 max-w-3xl">
          Changing rules does not move requests already in a queue. When you are ready, route the
          open requests nobody has taken on yet again by the rules above. Requests someone is
          working stay with them.
        </p>
        {rerouteCount === null ? (
          <Form method="get">
            <input type="hidden" name="reroute" value="check" />
            <Button variant="secondary">Check how many would move</Button>
          </Form>
        ) : rerouteCount === 0 ? (
          <p role="status">No open request would move: they are all where the rules send them.</p>
        ) : (
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="reroute" />
            <p role="status" className="mb-3 font-bold">
              {rerouteCount === 1
                ? "1 open request would move to another queue."
                : `${rerouteCount} open requests would move to another queue.`}
            </p>
            <Button>
              Re-route {rerouteCount === 1 ? "1 request" : `${rerouteCount} requests`}
            </Button>
          </Form>
        )}
      </Panel>
    </>
  );
}

function RuleButton({
  rule,
  intent,
  direction,
  children,
}: {
  rule: { id: string; name: string };
  intent: "move" | "enable" | "disable";
  direction?: "up" | "down";
  children: string;
}) {
  return (
    <Form method="post">
      <CsrfInput />
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="ruleId" value={rule.id} />
      {direction ? <input type="hidden" name="direction" value={direction} /> : null}
      <Button variant="link" aria-label={`${children}: ${rule.name}`}>
        {children}
      </Button>
    </Form>
  );
}
