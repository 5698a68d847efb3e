import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useState } from "react";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import {
  AGE_OPTIONS,
  parseWorklistFilter,
  WORKLIST_SORT_LABELS,
  WORKLIST_SORTS,
  WORKLIST_VIEW_LABELS,
  WORKLIST_VIEWS,
  worklistQuery,
  type WorklistFilter,
} from "~/modules/requests/worklist/filters.ts";
import { listSavedViews } from "~/modules/requests/worklist/saved-views.server.ts";
import { WorklistActionSchema, runWorklistAction } from "./actions.server.ts";
import { worklistPage } from "~/modules/requests/worklist/worklist.server.ts";

export const access = {
  loader: "read:request:team",
  action: "update:request:team",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Appointment requests – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const filter = parseWorklistFilter(new URL(request.url).searchParams);
  const view = filter.view ?? "team";
  const page = await worklistPage(session.user, { ...filter, view });
  const query = worklistQuery({ ...filter, view });
  return {
    filter: { ...filter, view },
    query,
    rows: page.rows,
    counts: page.counts,
    options: page.options,
    sort: page.sort,
    isFirstPage: !filter.after,
    nextPage: page.nextCursor
      ? `?${worklistQuery(filter, { view, after: page.nextCursor })}`
      : null,
    savedViews: await listSavedViews(session.user.id),
    can: {
      sync: hasPermission(session.user.role, "sync:request"),
      assign: hasPermission(session.user.role, "assign:request:team"),
      settings: hasPermission(session.user.role, "manage:service-level"),
    },
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const { form, session, clientAddress } = await requireMutation(request, access.action);
  const back = new URL(request.url).search;
  const parsed = WorklistActionSchema.safeParse({
    ...Object.fromEntries(form),
    requestIds: form.getAll("requestIds"),
  });
  if (!parsed.success) {
    return Response.json(
      { errors: [{ message: parsed.error.issues[0]?.message ?? "Check the form." }] },
      { status: 400 },
    );
  }
  const result = await runWorklistAction(session.user, parsed.data, {
    label: session.user.email,
    clientAddress,
    back: `/requests${back}`,
  });
  if (result === "not-found") throw notFound();
  return result;
}

const SLA_TONES = {
  overdue: "border-nhs-red bg-[#fbe9e7] text-nhs-black",
  soon: "border-nhs-warm-yellow bg-[#fff4d6] text-nhs-black",
  ok: "border-nhs-pale-grey bg-white text-nhs-black",
} as const;

const SLA_ICONS = { overdue: "⚠", soon: "◔", ok: "" } as const;

function FilterSelect({
  id,
  label,
  value,
  options,
}: {
  id: keyof WorklistFilter;
  label: string;
  value: string | undefined;
  options: Array<{ value: string; label: string }>;
}) {
  return (
    <div>
      <label htmlFor={`filter-${id}`} className="block font-bold">
        {label}
      </label>
      <select
        id={`filter-${id}`}
        name={id}
        defaultValue={value ?? ""}
        className="mt-1 block w-full border-2 border-nhs-black bg-white px-2 py-1.5"
      >
        <option value="">Any</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export default function Worklist() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<{
    errors?: Array<{ field?: string; message: string }>;
  }>();
  const navigation = useNavigation();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const pageIds = data.rows.map((row) => row.id);
  // A new page (or the page after an action) starts with nothing selected.
  useEffect(() => setSelected(new Set()), [data.rows]);
  const allSelected = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const filter = data.filter;
  const hasFilters = Boolean(
    filter.specialty ||
    filter.type ||
    filter.age ||
    filter.from ||
    filter.to ||
    filter.assignee ||
    filter.queue ||
    filter.q,
  );
  const busy = navigation.state === "submitting";

  return (
    <>
      <PageHeading
        title="Appointment requests"
        lede="Patients' requests to cancel or change an appointment. Urgent requests (appointment soon) come first, then the one due soonest."
        actions={
          <>
            {data.can.settings ? (
              <Link
                to="/requests/settings"
                className="rounded border-2 border-nhs-blue bg-white px-4 py-2 font-bold no-underline"
              >
                Service levels
              </Link>
            ) : null}
            {data.can.sync ? (
              <Link
                to="/requests/sync"
                className="rounded border-2 border-nhs-blue bg-white px-4 py-2 font-bold no-underline"
              >
                Sync history
              </Link>
            ) : null}
          </>
        }
      />
      <ErrorSummary errors={actionData?.errors ?? []} />

      <nav aria-label="Worklist views" className="mb-4">
        <ul className="flex flex-wrap gap-2">
          {WORKLIST_VIEWS.map((view) => {
            const current = view === filter.view;
            return (
              <li key={view}>
                <Link
                  to={`?${worklistQuery({ ...filter, view, sort: undefined })}`}
                  aria-current={current ? "page" : undefined}
                  className={`inline-block rounded border-2 px-3 py-1 no-underline ${
                    current
                      ? "border-nhs-blue bg-nhs-blue font-bold text-white"
                      : "border-nhs-blue bg-white text-nhs-blue"
                  }`}
                >
                  {WORKLIST_VIEW_LABELS[view]}
                  {view === "done" ? " (30 days)" : ""} ({data.counts[view]})
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>

      <Panel>
        <h2 className="mb-4 text-xl font-bold">Filter and sort</h2>
        <Form method="get" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <input type="hidden" name="view" value={filter.view} />
          <div className="sm:col-span-2">
            <label htmlFor="filter-q" className="block font-bold">
              Patient name or NHS number
            </label>
            <input
              id="filter-q"
              name="q"
              type="search"
              defaultValue={filter.q ?? ""}
              maxLength={100}
              className="mt-1 block w-full border-2 border-nhs-black bg-white px-2 py-1.5"
            />
          </div>
          <FilterSelect
            id="specialty"
            label="Specialty"
            value={filter.specialty}
            options={data.options.specialties}
          />
          <FilterSelect
            id="type"
            label="Asks to"
            value={filter.type}
            options={[
              { value: "CANCEL", label: "Cancel" },
              { value: "CHANGE", label: "Change" },
            ]}
          />
          <FilterSelect
            id="age"
            label="Received"
            value={filter.age}
            options={AGE_OPTIONS.map((days) => ({
              value: days,
              label: `More than ${days} day${days === "1" ? "" : "s"} ago`,
            }))}
          />
          <FilterSelect
            id="assignee"
            label="Assigned to"
            value={filter.assignee}
            options={[{ value: "none", label: "Nobody" }, ...data.options.people]}
          />
          <FilterSelect
            id="queue"
            label="Queue"
            value={filter.queue}
            options={data.options.queues}
          />
          <div>
            <label htmlFor="filter-sort" className="block font-bold">
              Sort by
            </label>
            <select
              id="filter-sort"
              name="sort"
              defaultValue={filter.sort ?? ""}
              className="mt-1 block w-full border-2 border-nhs-black bg-white px-2 py-1.5"
            >
              <option value="">
                {filter.view === "done" ? "Recently closed" : WORKLIST_SORT_LABELS.urgent}
              </option>
              {WORKLIST_SORTS.filter((sort) => sort !== "urgent").map((sort) => (
                <option key={sort} value={sort}>
                  {WORKLIST_SORT_LABELS[sort]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="filter-from" className="block font-bold">
              Appointment from
            </label>
            <input
              id="filter-from"
              name="from"
              type="date"
              defaultValue={filter.from ?? ""}
              className="mt-1 block w-full border-2 border-nhs-black bg-white px-2 py-1.5"
            />
          </div>
          <div>
            <label htmlFor="filter-to" className="block font-bold">
              Appointment to
            </label>
            <input
              id="filter-to"
              name="to"
              type="date"
              defaultValue={filter.to ?? ""}
              className="mt-1 block w-full border-2 border-nhs-black bg-white px-2 py-1.5"
            />
          </div>
          <div className="flex items-end gap-4 sm:col-span-2">
            <Button variant="secondary">Apply filters</Button>
            {hasFilters ? <Link to={`?view=${filter.view}`}>Clear filters</Link> : null}
            <a href={`/requests/export.csv?${data.query}`}>Export this view (CSV)</a>
          </div>
        </Form>

        <div className="mt-6 border-t border-nhs-pale-grey pt-4">
          <h3 className="font-bold">Saved views</h3>
          {data.savedViews.length === 0 ? (
            <p className="text-nhs-dark-grey">None yet.</p>
          ) : (
            <ul className="mt-2 flex flex-wrap gap-x-6 gap-y-2">
              {data.savedViews.map((saved) => (
                <li key={saved.id} className="flex items-center gap-2">
                  <Link to={`?${saved.query}`}>{saved.name}</Link>
                  <Form method="post">
                    <CsrfInput />
                    <input type="hidden" name="intent" value="delete-view" />
                    <input type="hidden" name="viewId" value={saved.id} />
                    <Button variant="link" aria-label={`Delete saved view ${saved.name}`}>
                      Delete
                    </Button>
                  </Form>
                </li>
              ))}
            </ul>
          )}
          <Form method="post" className="mt-3 flex flex-wrap items-end gap-3">
            <CsrfInput />
            <input type="hidden" name="intent" value="save-view" />
            <input type="hidden" name="query" value={data.query} />
            <div>
              <label htmlFor="save-view-name" className="block font-bold">
                Save these filters as
              </label>
              <input
                id="save-view-name"
                name="name"
                required
                maxLength={60}
                className="mt-1 block border-2 border-nhs-black bg-white px-2 py-1.5"
              />
            </div>
            <Button variant="secondary">Save view</Button>
          </Form>
        </div>
      </Panel>

      <Panel>
        <h2 className="mb-2 text-xl font-bold">
          {WORKLIST_VIEW_LABELS[filter.view]}
          <span className="sr-only">: requests</span>
        </h2>
        <Form method="post" id="bulk-form">
          <CsrfInput />
          {/* Enter in a text field must not run the first action (Claim): a disabled default
              button turns implicit submission off for this form. */}
          <button type="submit" disabled hidden aria-hidden="true" tabIndex={-1} />
          <fieldset className="mb-4 flex flex-wrap items-end gap-3 border-2 border-nhs-pale-grey p-3">
            <legend className="px-1 font-bold">With the selected requests</legend>
            <p role="status" aria-live="polite" className="w-full">
              {selected.size === 0
                ? "No requests selected."
                : `${selected.size} request${selected.size === 1 ? "" : "s"} selected.`}
            </p>
            <Button name="intent" value="claim" variant="secondary" disabled={busy}>
              Claim
            </Button>
            {data.can.assign ? (
              <div className="flex items-end gap-2">
                <div>
                  <label htmlFor="bulk-assignee" className="block font-bold">
                    Assign to
                  </label>
                  <select
                    id="bulk-assignee"
                    name="assigneeId"
                    defaultValue=""
                    className="mt-1 block border-2 border-nhs-black bg-white px-2 py-1.5"
                  >
                    <option value="">Choose a person</option>
                    {data.options.people.map((person) => (
                      <option key={person.value} value={person.value}>
                        {person.label}
                      </option>
                    ))}
                  </select>
                </div>
                <Button name="intent" value="assign" variant="secondary" disabled={busy}>
                  Assign
                </Button>
              </div>
            ) : null}
            <div className="flex items-end gap-2">
              <div>
                <label htmlFor="bulk-pas" className="block font-bold">
                  PAS reference
                </label>
                <input
                  id="bulk-pas"
                  name="pasReference"
                  maxLength={64}
                  className="mt-1 block w-40 border-2 border-nhs-black bg-white px-2 py-1.5"
                />
              </div>
              <Button name="intent" value="action" variant="secondary" disabled={busy}>
                Mark actioned
              </Button>
            </div>
            <div className="flex items-end gap-2">
              <div>
                <label htmlFor="bulk-reason" className="block font-bold">
                  Reason for rejecting
                </label>
                <input
                  id="bulk-reason"
                  name="reason"
                  maxLength={1000}
                  className="mt-1 block w-56 border-2 border-nhs-black bg-white px-2 py-1.5"
                />
              </div>
              <Button name="intent" value="reject" variant="secondary" disabled={busy}>
                Reject
              </Button>
            </div>
          </fieldset>

          {data.rows.length === 0 ? (
            <p>{data.isFirstPage ? "No requests in this view." : "No more requests."}</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-left">
                <caption className="sr-only">
                  {WORKLIST_VIEW_LABELS[filter.view]}: urgent first. SLA times are in working hours.
                </caption>
                <HeaderRow>
                  <th scope="col" className="py-2 pr-2">
                    <input
                      type="checkbox"
                      id="select-all"
                      aria-label="Select all requests on this page"
                      checked={allSelected}
                      onChange={(event) =>
                        setSelected((current) => {
                          const next = new Set(current);
                          for (const id of pageIds) {
                            if (event.target.checked) next.add(id);
                            else next.delete(id);
                          }
                          return next;
                        })
                      }
                      className="h-5 w-5"
                    />
                  </th>
                  <Th>Patient</Th>
                  <Th>Asks to</Th>
                  <Th>Appointment</Th>
                  <Th>Queue and assignee</Th>
                  <Th>Status</Th>
                  <Th>SLA (working hours)</Th>
                  <Th>Received</Th>
                </HeaderRow>
                <tbody>
                  {data.rows.map((row) => (
                    <tr key={row.id} className="border-b border-nhs-pale-grey align-top">
                      <td className="py-2 pr-2">
                        <input
                          type="checkbox"
                          name="requestIds"
                          value={row.id}
                          id={`select-${row.id}`}
                          aria-label={`Select request from ${row.patient}, received ${row.received}`}
                          checked={selected.has(row.id)}
                          onChange={(event) => toggle(row.id, event.target.checked)}
                          className="h-5 w-5"
                        />
                      </td>
                      <td className="py-2 pr-4">
                        <Link to={`/requests/${row.id}`}>{row.patient}</Link>
                        <span className="block text-sm text-nhs-dark-grey">{row.matchState}</span>
                      </td>
                      <td className="py-2 pr-4">{row.action}</td>
                      <td className="py-2 pr-4">
                        {row.urgent ? (
                          <strong className="mr-1 inline-block border-2 border-nhs-red px-1 text-sm">
                            Urgent
                          </strong>
                        ) : null}
                        {row.appointment}
                        {row.specialty ? (
                          <span className="block text-sm text-nhs-dark-grey">
                            {[row.specialty, row.location].filter(Boolean).join(", ")}
                          </span>
                        ) : null}
                      </td>
                      <td className="py-2 pr-4">
                        {row.queue}
                        <span className="block text-sm text-nhs-dark-grey">
                          {row.assignee ?? "Unassigned"}
                        </span>
                      </td>
                      <td className="py-2 pr-4">{row.status}</td>
                      <td className="py-2 pr-4">
                        <span
                          className={`inline-block border-l-4 px-2 py-0.5 ${SLA_TONES[row.sla.tone]}`}
                        >
                          {SLA_ICONS[row.sla.tone] ? (
                            <span aria-hidden="true">{SLA_ICONS[row.sla.tone]} </span>
                          ) : null}
                          {row.sla.text}
                        </span>
                      </td>
                      <td className="py-2 pr-4">{row.received}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Form>
        <p className="mt-4 flex gap-6">
          {!data.isFirstPage ? <Link to={`?${data.query}`}>First page</Link> : null}
          {data.nextPage ? <Link to={data.nextPage}>Next page</Link> : null}
        </p>
      </Panel>
    </>
  );
}
