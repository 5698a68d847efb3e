import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { requestSyncNow } from "~/modules/requests/jobs.server.ts";
import { recentSyncRuns } from "~/modules/requests/requests.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = { loader: "sync:request", action: "sync:request" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Request sync – PKB Desk" }];

const STATUS_WORDS = {
  RUNNING: "Running",
  SUCCEEDED: "Finished",
  FAILED: "Failed — will try again at the next run",
  STOPPED_NEEDS_REAUTHORISATION: "Stopped — PKB access must be granted again",
  INTERRUPTED: "Interrupted — the next run carried on",
} as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const runs = await recentSyncRuns();
  return {
    canSeeRequests: hasPermission(session.user.role, "read:request:team"),
    runs: runs.map((run) => ({
      id: run.id,
      trigger: run.trigger === "manual" ? "Sync now" : "Schedule",
      startedAt: formatUkDateTime(run.startedAt),
      finishedAt: run.finishedAt ? formatUkDateTime(run.finishedAt) : "—",
      status: STATUS_WORDS[run.status],
      pages: run.pages,
      messages: run.messages,
      requests: run.requests,
      nonRequests: run.nonRequests,
      errors: run.errors,
      errorSummary: run.errorSummary,
    })),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const { actor, clientAddress } = await requireMutation(request, access.action);
  const outcome = await requestSyncNow({ actor, clientAddress });
  return redirectWithToast("/requests/sync", {
    kind: outcome.queued > 0 ? "success" : "error",
    message:
      outcome.queued > 0
        ? "Sync queued: new requests appear here when it finishes."
        : outcome.grants === 0
          ? "No PKB grant is connected: an administrator must grant access first."
          : "A sync is already queued.",
  });
}

export default function RequestSync() {
  const data = useLoaderData<typeof loader>();
  return (
    <>
      {data.canSeeRequests ? (
        <p className="mb-4">
          <Link to="/requests">Back to requests</Link>
        </p>
      ) : null}
      <PageHeading
        title="Request sync"
        lede="PKB messages are read every five minutes. Each run reads the messages that arrived since the last one."
        actions={
          <Form method="post">
            <CsrfInput />
            <Button>Sync now</Button>
          </Form>
        }
      />
      <Panel>
        {data.runs.length === 0 ? (
          <p>No sync has run yet.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">Recent sync runs, newest first</caption>
            <HeaderRow>
              <Th>Started (UK time)</Th>
              <Th>Finished</Th>
              <Th>Outcome</Th>
              <Th numeric>Pages</Th>
              <Th numeric>Messages</Th>
              <Th numeric>Requests</Th>
              <Th numeric>Other messages</Th>
              <Th numeric>Errors</Th>
            </HeaderRow>
            <tbody>
              {data.runs.map((run) => (
                <tr key={run.id} className="border-b border-nhs-pale-grey align-top">
                  <td className="py-2 pr-4">
                    {run.startedAt}
                    <span className="block text-sm text-nhs-dark-grey">{run.trigger}</span>
                  </td>
                  <td className="py-2 pr-4">{run.finishedAt}</td>
                  <td className="py-2 pr-4">
                    {run.status}
                    {run.errorSummary ? (
                      <span className="block text-sm text-nhs-dark-grey">{run.errorSummary}</span>
                    ) : null}
                  </td>
                  <td className="py-2 pr-4 text-right">{run.pages}</td>
                  <td className="py-2 pr-4 text-right">{run.messages}</td>
                  <td className="py-2 pr-4 text-right">{run.requests}</td>
                  <td className="py-2 pr-4 text-right">{run.nonRequests}</td>
                  <td className="py-2 pr-4 text-right">{run.errors}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
