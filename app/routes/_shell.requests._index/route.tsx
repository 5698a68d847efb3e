import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { MATCH_STATE_LABELS, MATCH_STATES } from "~/modules/requests/match-state.ts";
import { requestListPage, RequestListFilterSchema } from "~/modules/requests/requests.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = { loader: "read:request:team" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Appointment requests – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const url = new URL(request.url);
  const filter = RequestListFilterSchema.parse(Object.fromEntries(url.searchParams));
  const page = await requestListPage(session.user, filter);
  const next = new URLSearchParams(filter.state ? { state: filter.state } : {});
  if (page.nextCursor) next.set("after", page.nextCursor);
  return {
    state: filter.state ?? null,
    isFirstPage: !filter.after,
    counts: page.counts,
    total: page.total,
    canSeeSync: hasPermission(session.user.role, "sync:request"),
    rows: page.rows.map((row) => ({
      id: row.id,
      receivedAt: formatUkDateTime(row.receivedAt),
      action: row.action === "CANCEL" ? "Cancel" : "Change",
      quoted: row.quotedStart ? formatUkDateTime(row.quotedStart) : "Not readable",
      quotedSubject: row.quotedSubject ?? "",
      state: MATCH_STATE_LABELS[row.matchState],
      confidence: Math.round(row.matchConfidence * 100),
      appointment: row.matchedSpecialtyDisplay
        ? [row.matchedSpecialtyDisplay, row.matchedLocation].filter(Boolean).join(", ")
        : "",
    })),
    nextPage: page.nextCursor ? `?${next}` : null,
  };
}

export default function RequestList() {
  const data = useLoaderData<typeof loader>();
  const tabs = [
    { state: null, label: "All", count: data.total },
    ...MATCH_STATES.map((state) => ({
      state,
      label: MATCH_STATE_LABELS[state],
      count: data.counts[state],
    })),
  ];
  return (
    <>
      <PageHeading
        title="Appointment requests"
        lede="Patients' requests to cancel or change an appointment, from PKB secure messages, newest first."
        actions={
          data.canSeeSync ? (
            <Link
              to="/requests/sync"
              className="rounded border-2 border-nhs-blue bg-white px-4 py-2 font-bold no-underline"
            >
              Sync history
            </Link>
          ) : null
        }
      />
      <p className="mb-4 max-w-3xl">
        Requests are not yet routed to teams, so everyone who handles requests sees all of them.
      </p>
      <nav aria-label="Filter by match state" className="mb-4">
        <ul className="flex flex-wrap gap-2">
          {tabs.map((tab) => {
            const current = tab.state === data.state;
            return (
              <li key={tab.label}>
                <Link
                  to={tab.state ? `?state=${tab.state}` : "?"}
                  aria-current={current ? "page" : undefined}
                  className={`inline-block rounded border-2 px-3 py-1 no-underline ${
                    current
                      ? "border-nhs-blue bg-nhs-blue font-bold text-white"
                      : "border-nhs-blue bg-white text-nhs-blue"
                  }`}
                >
                  {tab.label} ({tab.count})
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <Panel>
        {data.rows.length === 0 ? (
          <p>{data.isFirstPage ? "No requests in this view yet." : "No more requests."}</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">Appointment requests</caption>
            <HeaderRow>
              <Th>Received</Th>
              <Th>Asks to</Th>
              <Th>Appointment quoted</Th>
              <Th>Match</Th>
              <Th>Matched appointment</Th>
            </HeaderRow>
            <tbody>
              {data.rows.map((row) => (
                <tr key={row.id} className="border-b border-nhs-pale-grey align-top">
                  <td className="py-2 pr-4">
                    <Link to={`/requests/${row.id}`}>{row.receivedAt}</Link>
                  </td>
                  <td className="py-2 pr-4">{row.action}</td>
                  <td className="py-2 pr-4">
                    {row.quoted}
                    {row.quotedSubject ? (
                      <span className="block text-nhs-dark-grey">{row.quotedSubject}</span>
                    ) : null}
                  </td>
                  <td className="py-2 pr-4">
                    {row.state}
                    <span className="block text-sm text-nhs-dark-grey">
                      {row.confidence}% confident
                    </span>
                  </td>
                  <td className="py-2 pr-4">{row.appointment || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {data.nextPage ? (
          <p className="mt-4">
            <Link to={data.nextPage}>Older requests</Link>
          </p>
        ) : null}
      </Panel>
    </>
  );
}
