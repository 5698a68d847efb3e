import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { completeGrantAuthorisation, type CallbackRefusal } from "~/modules/pkb/grants.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

/**
 * Where PKB sends the clinician back. The portal's only state-changing GET (quality.md, CSRF):
 * it acts only for the one-time state this staff session started, once, before it expires.
 */
export const access = { loader: "manage:pkb-grant" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "PKB access – PKB Desk" }];

const EXPLANATION: Record<CallbackRefusal, { title: string; detail: string }> = {
  "missing-state": {
    title: "This page needs a PKB sign-in to finish",
    detail:
      "It was opened without the details PKB adds when it sends you back. Nothing changed. Start granting access again from the PKB connection page.",
  },
  "unknown-state": {
    title: "The portal did not start this PKB sign-in",
    detail:
      "This link does not belong to a grant started here, or it has been cleared away. Nothing changed. Start granting access again from the PKB connection page.",
  },
  "used-state": {
    title: "This PKB sign-in has already been used",
    detail:
      "For safety each PKB sign-in finishes only once, and this one already has. Nothing changed. If access still needs granting, start again.",
  },
  "expired-state": {
    title: "This PKB sign-in took too long",
    detail:
      "It must be finished within 10 minutes of starting. Nothing changed. Start granting access again.",
  },
  "other-session": {
    title: "This PKB sign-in was started somewhere else",
    detail:
      "It belongs to another sign-in to the portal (another browser, or before you signed in again), so it cannot finish here. Nothing changed. Start again from this browser.",
  },
  declined: {
    title: "The clinician declined",
    detail:
      "PKB was not given access, so nothing changed. If that was a mistake, start again and choose to allow access.",
  },
  "pkb-error": {
    title: "PKB could not complete the sign-in",
    detail: "Nothing changed. Try again; if it keeps happening, check the connection settings.",
  },
  "exchange-failed": {
    title: "PKB did not accept the sign-in",
    detail:
      "The portal could not exchange PKB's answer for access. Nothing changed. Try again; if it keeps happening, check the user client id, secret and redirect address.",
  },
};

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const outcome = await completeGrantAuthorisation(new URL(request.url).searchParams, session, {
    actor: { id: session.user.id, label: session.user.email },
    clientAddress: clientAddress(request),
  });
  if (outcome.ok) {
    throw await redirectWithToast(`/admin/pkb/${outcome.connectionId}`, {
      kind: "success",
      message: outcome.regrant
        ? "Access granted again: the portal is using the new grant."
        : "Access granted: the portal can now read the nominated team's requests.",
    });
  }
  return data(
    { reason: outcome.reason, connectionId: outcome.connectionId, code: outcome.detail ?? null },
    { status: outcome.reason === "declined" ? 200 : 400 },
  );
}

export default function PkbCallback() {
  const { reason, connectionId, code } = useLoaderData<typeof loader>();
  const explanation = EXPLANATION[reason];
  return (
    <>
      <PageHeading title={explanation.title} />
      <Panel>
        <p className="max-w-3xl text-lg" data-reason={reason}>
          {explanation.detail}
        </p>
        {code ? <p className="mt-2 text-nhs-dark-grey">PKB&apos;s code: {code}</p> : null}
        <p className="mt-4">
          <Link to={connectionId ? `/admin/pkb/${connectionId}` : "/admin/pkb"}>
            Back to the PKB connection page
          </Link>
        </p>
      </Panel>
    </>
  );
}
