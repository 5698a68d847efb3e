import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { getDatabase } from "~/platform/db.server.ts";
import { queueSummaries, recentFailures, retryFailedJob } from "~/platform/jobs/admin.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { HeaderRow, Th } from "~/components/ui/table.tsx";

export const access = { loader: "read:job", action: "retry:job" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Background jobs – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const database = await getDatabase();
  const [queues, failures] = await Promise.all([queueSummaries(), recentFailures(database)]);
  return Response.json({
    canRetry: hasPermission(session.user.role, "retry:job"),
    queues,
    failures: failures.map((failure) => ({
      ...failure,
      failedAt: failure.failedAt ? formatUkDateTime(failure.failedAt) : "—",
    })),
  });
}

const RetrySchema = z.object({ queue: z.string().min(1).max(100), jobId: z.uuid() });

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = RetrySchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return new Response("Bad Request", { status: 400 });
  const retried = await retryFailedJob(parsed.data.queue, parsed.data.jobId);
  if (retried) {
    const database = await getDatabase();
    await database.prisma.$transaction((tx) =>
      recordAudit(tx, {
        actor,
        clientAddress,
        action: "job.retry",
        entityType: "job",
        entityId: parsed.data.jobId,
        details: { queue: parsed.data.queue },
      }),
    );
  }
  return redirectWithToast(
    "/admin/jobs",
    retried
      ? { kind: "success", message: "The job was queued to run again." }
      : { kind: "error", message: "That job is no longer failed, or does not exist." },
  );
}

interface JobsData {
  canRetry: boolean;
  queues: Array<{
    name: string;
    description: string;
    queued: number;
    active: number;
    failed: number;
    total: number;
  }>;
  failures: Array<{
    id: string;
    queue: string;
    failedAt: string;
    retryCount: number;
    error: string;
  }>;
}

export default function Jobs() {
  const data = useLoaderData<JobsData>();
  return (
    <>
      <PageHeading
        title="Background jobs"
        lede="Work that runs outside page requests: syncs, status checks, token generation, delivery and housekeeping."
      />
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Queues</h2>
        <table className="w-full text-left">
          <caption className="sr-only">Job queues and their counts</caption>
          <HeaderRow>
            <Th>Queue</Th>
            <Th numeric>Waiting</Th>
            <Th numeric>Running</Th>
            <Th numeric>Failed</Th>
            <Th numeric>Total kept</Th>
          </HeaderRow>
          <tbody>
            {data.queues.map((queue) => (
              <tr key={queue.name} className="border-b border-nhs-pale-grey align-top">
                <td className="py-2 pr-4">
                  <span className="font-mono font-bold">{queue.name}</span>
                  <div className="text-sm text-nhs-dark-grey">{queue.description}</div>
                </td>
                <td className="py-2 pr-4 text-right">{queue.queued}</td>
                <td className="py-2 pr-4 text-right">{queue.active}</td>
                <td
                  className={`py-2 pr-4 text-right ${queue.failed > 0 ? "font-bold text-nhs-red" : ""}`}
                >
                  {queue.failed}
                </td>
                <td className="py-2 pr-4 text-right">{queue.total}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Recent failures</h2>
        {data.failures.length === 0 ? (
          <p>No failed jobs.</p>
        ) : (
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Jobs that failed after all their retries</caption>
            <HeaderRow>
              <Th>Queue</Th>
              <Th>Failed at (UK)</Th>
              <Th>Retries</Th>
              <Th>Error</Th>
              {data.canRetry ? (
                <Th>
                  <span className="sr-only">Action</span>
                </Th>
              ) : null}
            </HeaderRow>
            <tbody>
              {data.failures.map((failure) => (
                <tr key={failure.id} className="border-b border-nhs-pale-grey align-top">
                  <td className="py-2 pr-4 font-mono">{failure.queue}</td>
                  <td className="py-2 pr-4 whitespace-nowrap">{failure.failedAt}</td>
                  <td className="py-2 pr-4">{failure.retryCount}</td>
                  <td className="py-2 pr-4 break-all">{failure.error}</td>
                  {data.canRetry ? (
                    <td className="py-2 pr-4">
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="queue" value={failure.queue} />
                        <input type="hidden" name="jobId" value={failure.id} />
                        <Button variant="secondary" aria-label={`Retry job ${failure.id}`}>
                          Retry
                        </Button>
                      </Form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
