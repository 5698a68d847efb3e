import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { GrantStatusTag } from "~/components/pkb/grant-status.tsx";
import { Button } from "~/components/ui/button.tsx";
import { ConfirmButton } from "~/components/ui/confirm-button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { ENDPOINT_FIELDS } from "~/modules/pkb/connection-forms.ts";
import { testStoredConnection } from "~/modules/pkb/connection-test.server.ts";
import { getConnectionView } from "~/modules/pkb/connections.server.ts";
import {
  checkGrant,
  disconnectGrant,
  getGrantView,
  startGrantAuthorisation,
} from "~/modules/pkb/grants.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = {
  loader: "manage:pkb-grant",
  action: "manage:pkb-grant",
} satisfies RouteAccess;

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.connection.label ?? "PKB organisation"} – PKB Desk` },
];

const IdSchema = z.uuid();
const IntentSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("grant") }),
  z.object({ intent: z.literal("disconnect") }),
  z.object({ intent: z.literal("check") }),
  z.object({ intent: z.literal("test") }),
]);

const when = (date: Date | null) => (date ? formatUkDateTime(date) : null);

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  const id = IdSchema.safeParse(params.connectionId);
  if (!id.success) throw notFound();
  const [connection, grant] = await Promise.all([
    getConnectionView(id.data),
    getGrantView(id.data),
  ]);
  if (!connection) throw notFound();
  return {
    connection: {
      id: connection.id,
      label: connection.label,
      organisationPublicId: connection.organisationPublicId,
      nominatedTeamName: connection.nominatedTeamName,
      redirectUri: connection.redirectUri,
      userClientId: connection.userClientId,
      endpoints: ENDPOINT_FIELDS.map(({ name, label }) => ({ label, url: connection[name] })),
    },
    grant: grant
      ? {
          status: grant.status,
          scope: grant.scope,
          grantedBy: grant.grantedByLabel,
          grantedAt: formatUkDateTime(grant.grantedAt),
          lastRefreshedAt: when(grant.lastRefreshedAt),
          lastSyncedAt: when(grant.lastSyncedAt),
          accessTokenExpiresAt: when(grant.accessTokenExpiresAt),
          lastError: grant.lastError,
          lastErrorAt: when(grant.lastErrorAt),
          needsReauthorisationAt: when(grant.needsReauthorisationAt),
          disconnectedAt: when(grant.disconnectedAt),
        }
      : null,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, session, actor, clientAddress } = await requireMutation(request, access.action);
  const id = IdSchema.safeParse(params.connectionId);
  if (!id.success) throw notFound();
  const parsed = IntentSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Bad Request", { status: 400 });
  const context = { actor, clientAddress };
  switch (parsed.data.intent) {
    case "grant": {
      const started = await startGrantAuthorisation(
        id.data,
        { id: session.id, userId: session.user.id },
        context,
      );
      if (!started) throw notFound();
      // Off to PKB's sign-in and consent page; PKB sends the clinician back to the callback.
      return redirect(started.url);
    }
    case "check": {
      const result = await checkGrant(id.data);
      return redirectWithToast(`/admin/pkb/${id.data}`, {
        kind: result.ok ? "success" : "error",
        message: result.ok
          ? "PKB accepts the grant: a new access token was issued."
          : result.message,
      });
    }
    case "test": {
      const checks = await testStoredConnection(id.data, context);
      if (!checks) throw notFound();
      return { checks, testedAt: formatUkDateTime(new Date()) };
    }
    case "disconnect": {
      const done = await disconnectGrant(id.data, context);
      return redirectWithToast(`/admin/pkb/${id.data}`, {
        kind: done ? "success" : "error",
        message: done
          ? "The grant is disconnected: the portal no longer uses it."
          : "There is no grant to disconnect.",
      });
    }
  }
}

export default function PkbConnectionPage() {
  const { connection, grant } = useLoaderData<typeof loader>();
  const tested = useActionData<typeof action>();
  const navigation = useNavigation();
  const testing = navigation.state !== "idle" && navigation.formData?.get("intent") === "test";
  const usable = grant?.status === "ACTIVE";
  return (
    <>
      <p className="mb-4">
        <Link to="/admin/pkb">Back to PKB connection</Link>
      </p>
      <PageHeading
        title={connection.label}
        lede="The clinician's grant and the connection settings."
      />
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Clinician grant</h2>
        {grant ? (
          <dl className="grid grid-cols-1 gap-x-6 gap-y-2 sm:grid-cols-[max-content_1fr]">
            <dt className="font-bold">Status</dt>
            <dd>
              <GrantStatusTag status={grant.status} />
            </dd>
            <dt className="font-bold">Granted by</dt>
            <dd>{grant.grantedBy}</dd>
            <dt className="font-bold">Granted</dt>
            <dd>{grant.grantedAt}</dd>
            <dt className="font-bold">Access</dt>
            <dd>{grant.scope}</dd>
            <dt className="font-bold">Last token refresh</dt>
            <dd>{grant.lastRefreshedAt ?? "Not yet"}</dd>
            <dt className="font-bold">Last successful sync</dt>
            <dd>{grant.lastSyncedAt ?? "Not yet"}</dd>
            <dt className="font-bold">Access token valid until</dt>
            <dd>{usable ? (grant.accessTokenExpiresAt ?? "No token held") : "Not usable"}</dd>
            {grant.needsReauthorisationAt ? (
              <>
                <dt className="font-bold">PKB stopped accepting it</dt>
                <dd>{grant.needsReauthorisationAt}</dd>
              </>
            ) : null}
            {grant.disconnectedAt ? (
              <>
                <dt className="font-bold">Disconnected</dt>
                <dd>{grant.disconnectedAt}</dd>
              </>
            ) : null}
            <dt className="font-bold">Last error</dt>
            <dd>
              {grant.lastError ? (
                <>
                  {grant.lastError}
                  <span className="text-nhs-dark-grey"> ({grant.lastErrorAt})</span>
                </>
              ) : (
                "None"
              )}
            </dd>
          </dl>
        ) : (
          <p>
            No clinician has granted access yet. The portal reads patients&apos; requests with a
            clinician&apos;s PKB grant.
          </p>
        )}
        <p className="mt-4 max-w-3xl text-nhs-dark-grey">
          {usable ? "Granting again replaces the tokens held now. " : ""}
          You will be taken to PKB, where the clinician signs in and allows access, then brought
          back here.
        </p>
        <div className="mt-4 flex flex-wrap gap-4">
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="grant" />
            <Button>{grant ? "Grant access again" : "Grant access"}</Button>
          </Form>
          {usable ? (
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="check" />
              <Button variant="secondary">Check the grant with PKB</Button>
            </Form>
          ) : null}
          {grant && grant.status !== "DISCONNECTED" ? (
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="disconnect" />
              <ConfirmButton confirmLabel="Yes, disconnect the grant">Disconnect</ConfirmButton>
            </Form>
          ) : null}
        </div>
      </Panel>
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Connection</h2>
        <Form method="post" className="mb-4">
          <CsrfInput />
          <input type="hidden" name="intent" value="test" />
          <Button variant="secondary" disabled={testing}>
            {testing ? "Testing each PKB surface…" : "Test connection"}
          </Button>
        </Form>
        {tested ? (
          <ConnectionTestResults checks={tested.checks} testedAt={tested.testedAt} />
        ) : null}
        <dl className="grid grid-cols-1 gap-x-6 gap-y-2 sm:grid-cols-[max-content_1fr]">
          <dt className="font-bold">Organisation public id</dt>
          <dd className="break-all">{connection.organisationPublicId}</dd>
          <dt className="font-bold">Nominated team</dt>
          <dd>{connection.nominatedTeamName}</dd>
          <dt className="font-bold">User client id</dt>
          <dd className="break-all">{connection.userClientId}</dd>
          <dt className="font-bold">Redirect address</dt>
          <dd className="break-all">{connection.redirectUri}</dd>
          {connection.endpoints.map((endpoint) => (
            <div key={endpoint.label} className="contents">
              <dt className="font-bold">
                {endpoint.label.charAt(0).toUpperCase() + endpoint.label.slice(1)}
              </dt>
              <dd className="break-all">{endpoint.url}</dd>
            </div>
          ))}
          <dt className="font-bold">Client secrets</dt>
          <dd>Stored encrypted (•••••••• hidden)</dd>
        </dl>
        <p className="mt-4">
          <Link to={`/admin/pkb/${connection.id}/settings`}>Change the settings</Link>
        </p>
      </Panel>
    </>
  );
}

type ConnectionCheckView = {
  surface: string;
  label: string;
  ok: boolean;
  skipped: boolean;
  summary: string;
  detail: string;
};

/** One row per PKB surface; the outcome is written in words, not carried by colour alone. */
function ConnectionTestResults({
  checks,
  testedAt,
}: {
  checks: ConnectionCheckView[];
  testedAt: string;
}) {
  const failed = checks.filter((check) => !check.ok && !check.skipped).length;
  return (
    <section aria-labelledby="connection-test-heading" className="mb-6" role="status">
      <h3 id="connection-test-heading" className="mb-2 text-lg font-bold">
        {failed === 0 && checks.every((check) => check.ok)
          ? "Every PKB surface answered"
          : `${failed} of ${checks.length} PKB surfaces failed`}
        <span className="text-base font-normal text-nhs-dark-grey"> — tested {testedAt}</span>
      </h3>
      <ul className="space-y-3">
        {checks.map((check) => (
          <li
            key={check.surface}
            className={`border-l-4 pl-4 ${
              check.ok
                ? "border-nhs-green"
                : check.skipped
                  ? "border-nhs-mid-grey"
                  : "border-nhs-red"
            }`}
          >
            <p className="font-bold">
              {check.ok ? "Works: " : check.skipped ? "Not tried: " : "Failed: "}
              {check.label}
            </p>
            <p>{check.summary}</p>
            <p className="text-nhs-dark-grey">{check.detail}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
