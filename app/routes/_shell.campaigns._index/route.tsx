import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { formErrorsFromZod, messagesFor } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import {
  CampaignSchema,
  CHANNEL_LABELS,
  CONCURRENCY_OPTIONS,
  CONCURRENCY_RANGE,
  IDENTIFIER_KIND_LABELS,
} from "~/modules/campaigns/campaign-forms.ts";
import {
  CampaignError,
  createCampaign,
  listCampaigns,
} from "~/modules/campaigns/campaigns.server.ts";
import { listConnections } from "~/modules/pkb/connections.server.ts";
import { CAMPAIGN_STATE_LABELS } from "~/modules/campaigns/lifecycle.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = { loader: "read:campaign", action: "manage:campaign" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Campaigns – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const [campaigns, connections] = await Promise.all([listCampaigns(), listConnections()]);
  return {
    connections: connections.map((connection) => ({
      value: connection.id,
      label: connection.label,
    })),
    canManage: hasPermission(session.user.role, "manage:campaign"),
    campaigns: campaigns.map((campaign) => ({
      id: campaign.id,
      name: campaign.name,
      state: CAMPAIGN_STATE_LABELS[campaign.state],
      channel: CHANNEL_LABELS[campaign.channel],
      recipients: campaign.recipients,
      created: formatUkDateTime(campaign.createdAt),
    })),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = CampaignSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json({ errors: formErrorsFromZod(parsed.error) }, { status: 400 });
  }
  let campaign;
  try {
    campaign = await createCampaign(parsed.data, { actor, clientAddress });
  } catch (error) {
    if (!(error instanceof CampaignError)) throw error;
    return Response.json(
      { errors: [{ field: "pkbConnectionId", message: error.message }] },
      { status: 400 },
    );
  }
  return redirectWithToast(`/campaigns/${campaign.id}`, {
    kind: "success",
    message: "Campaign created. Upload a patient list next.",
  });
}

const option = (labels: Record<string, string>) =>
  Object.entries(labels).map(([value, label]) => ({ value, label }));

export default function CampaignsPage() {
  const { campaigns, canManage, connections } = useLoaderData<typeof loader>();
  const errors =
    useActionData<{ errors: Array<{ field?: string; message: string }> }>()?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  return (
    <>
      <PageHeading
        title="Invitation campaigns"
        lede="Register patients onto PKB in bulk: upload a list, check who can be invited, and generate their invitation codes."
      />
      <ErrorSummary errors={errors} />
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Campaigns</h2>
        {campaigns.length === 0 ? (
          <p>No campaigns yet.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">Invitation campaigns, newest first</caption>
            <HeaderRow>
              <Th>Name</Th>
              <Th>Where it is</Th>
              <Th>Sent by</Th>
              <Th numeric>Patients</Th>
              <Th>Created</Th>
            </HeaderRow>
            <tbody>
              {campaigns.map((campaign) => (
                <tr key={campaign.id} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4">
                    <Link to={`/campaigns/${campaign.id}`}>{campaign.name}</Link>
                  </td>
                  <td className="py-2 pr-4">{campaign.state}</td>
                  <td className="py-2 pr-4">{campaign.channel}</td>
                  <td className="py-2 pr-4 text-right tabular-nums">
                    {campaign.recipients.toLocaleString("en-GB")}
                  </td>
                  <td className="py-2 pr-4">{campaign.created}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      {canManage ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Start a campaign</h2>
          <Form method="post" noValidate>
            <CsrfInput />
            <TextField id="name" name="name" label="Campaign name" errors={fieldErrors("name")} />
            {connections.length === 0 ? (
              <p className="mb-5 border-l-4 border-nhs-blue pl-3">
                No PKB connection is set up yet: an administrator adds one under PKB connection.
              </p>
            ) : (
              <SelectField
                id="pkbConnectionId"
                name="pkbConnectionId"
                label="PKB organisation"
                hint="The organisation whose patients this campaign registers."
                options={connections}
                errors={fieldErrors("pkbConnectionId")}
              />
            )}
            <SelectField
              id="identifierKind"
              name="identifierKind"
              label="Which number do the lists carry?"
              hint="Declared for the whole campaign: the portal never guesses it from the digits."
              options={option(IDENTIFIER_KIND_LABELS)}
              errors={fieldErrors("identifierKind")}
            />
            <SelectField
              id="channel"
              name="channel"
              label="How will invitations be sent?"
              options={option(CHANNEL_LABELS)}
              errors={fieldErrors("channel")}
            />
            <TextField
              id="teamCode"
              name="teamCode"
              label="PKB team code (optional)"
              hint="Patients who join through this campaign are added to this team."
              errors={fieldErrors("teamCode")}
            />
            <SelectField
              id="concurrency"
              name="concurrency"
              label="PKB calls at once"
              hint="How many eligibility checks or code batches run side by side. Lower it if PKB asks the trust to slow down; you can change it later."
              options={CONCURRENCY_OPTIONS}
              defaultValue={String(CONCURRENCY_RANGE.default)}
              errors={fieldErrors("concurrency")}
            />
            <Button type="submit">Create campaign</Button>
          </Form>
        </Panel>
      ) : null}
    </>
  );
}
