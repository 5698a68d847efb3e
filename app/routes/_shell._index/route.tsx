import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Panel } from "~/components/ui/page-heading.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { requestHomeSummary } from "~/modules/requests/worklist/home.server.ts";
import { prisma } from "~/platform/db.server.ts";

export const access = { loader: "read:dashboard" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Home – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const db = await prisma();
  const teams = await db.team.findMany({
    where: { id: { in: session.user.teamIds } },
    orderBy: { name: "asc" },
    select: { name: true },
  });
  const role = session.user.role;
  const sections = [
    {
      to: "/admin/users",
      title: "Users",
      text: "Create staff accounts, set roles and teams, issue set-password links, disable accounts.",
      allowed: hasPermission(role, "read:user"),
    },
    {
      to: "/admin/teams",
      title: "Teams",
      text: "The appointment teams requests are routed to, and who is in each.",
      allowed: hasPermission(role, "read:team"),
    },
    {
      to: "/admin/audit",
      title: "Audit trail",
      text: "Who did what, when and from where. Filter and export.",
      allowed: hasPermission(role, "read:audit"),
    },
    {
      to: "/admin/jobs",
      title: "Background jobs",
      text: "Queues, recent failures and retries.",
      allowed: hasPermission(role, "read:job"),
    },
    {
      to: "/account",
      title: "Your account",
      text: "Your role, teams and signed-in sessions.",
      allowed: true,
    },
  ].filter((section) => section.allowed);
  return {
    displayName: session.user.displayName,
    roleLabel: ROLE_LABELS[role],
    teams: teams.map((team) => team.name),
    sections: sections.map(({ to, title, text }) => ({ to, title, text })),
    requests: await requestHomeSummary(session.user),
  };
}

function Figure({ value, label, to }: { value: number; label: string; to: string }) {
  return (
    <li>
      <Link to={to} className="block border-l-4 border-nhs-blue bg-white px-4 py-3 no-underline">
        <span className="block text-3xl font-bold text-nhs-black">{value}</span>
        <span className="underline">{label}</span>
      </Link>
    </li>
  );
}

function RequestSummary({ summary }: { summary: NonNullable<HomeData["requests"]> }) {
  return (
    <>
      {summary.lead ? (
        <Panel className="mt-8">
          <h2 className="text-xl font-bold">Your teams&rsquo; requests</h2>
          <p className="mt-2 text-lg" role="status">
            <strong>{summary.lead.overdueNow} overdue now</strong>, {summary.lead.dueByEndOfToday}{" "}
            more due by the end of today.
          </p>
          <ul className="mt-4 grid gap-4 sm:grid-cols-3">
            <Figure value={summary.lead.overdueNow} label="Overdue" to="/requests?view=overdue" />
            <Figure
              value={summary.lead.unrouted}
              label="Unrouted (no team)"
              to="/requests?view=team&queue=unrouted"
            />
            <Figure
              value={summary.lead.teams.reduce((sum, team) => sum + team.unassigned, 0)}
              label="Unassigned in your teams"
              to="/requests?view=unassigned"
            />
          </ul>
          {summary.lead.teams.length > 0 ? (
            <table className="mt-6 w-full text-left">
              <caption className="mb-2 text-left font-bold">Queue sizes</caption>
              <thead>
                <tr className="border-b-2 border-nhs-mid-grey">
                  <th scope="col" className="py-2 pr-4">
                    Team
                  </th>
                  <th scope="col" className="py-2 pr-4 text-right">
                    Open
                  </th>
                  <th scope="col" className="py-2 pr-4 text-right">
                    Unassigned
                  </th>
                  <th scope="col" className="py-2 pr-4 text-right">
                    Overdue
                  </th>
                </tr>
              </thead>
              <tbody>
                {summary.lead.teams.map((team) => (
                  <tr key={team.id} className="border-b border-nhs-pale-grey">
                    <th scope="row" className="py-2 pr-4 font-normal">
                      <Link to={`/requests?view=team&queue=${team.id}`}>{team.name}</Link>
                    </th>
                    <td className="py-2 pr-4 text-right">{team.open}</td>
                    <td className="py-2 pr-4 text-right">{team.unassigned}</td>
                    <td className="py-2 pr-4 text-right">{team.overdue}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Panel>
      ) : null}
      <Panel className="mt-8">
        <h2 className="text-xl font-bold">Your requests</h2>
        <ul className="mt-4 grid gap-4 sm:grid-cols-3">
          <Figure
            value={summary.mine.open}
            label="Open, assigned to you"
            to="/requests?view=mine"
          />
          <Figure
            value={summary.mine.dueSoon}
            label="Due within 2 working hours"
            to="/requests?view=mine&sort=due"
          />
          <Figure value={summary.mine.overdue} label="Overdue" to="/requests?view=mine&sort=due" />
        </ul>
        {summary.next.length > 0 ? (
          <>
            <h3 className="mt-6 font-bold">Due next</h3>
            <ul className="mt-2">
              {summary.next.map((row) => (
                <li key={row.id} className="border-b border-nhs-pale-grey py-2">
                  <Link to={`/requests/${row.id}`}>{row.patient}</Link>, appointment{" "}
                  {row.appointment}:{" "}
                  <span className={row.overdue ? "font-bold text-nhs-red" : ""}>{row.sla}</span>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p className="mt-4">Nothing is assigned to you. Claim requests from the worklist.</p>
        )}
      </Panel>
    </>
  );
}

type HomeData = Awaited<ReturnType<typeof loader>>;

export default function Home() {
  const data = useLoaderData<typeof loader>();
  return (
    <>
      <h1 className="text-3xl font-bold">Hello, {data.displayName}</h1>
      <p className="mt-2 text-lg text-nhs-dark-grey">
        You are signed in as {data.roleLabel.toLowerCase()}
        {data.teams.length > 0 ? ` in ${data.teams.join(", ")}` : ""}.
      </p>
      {data.requests ? <RequestSummary summary={data.requests} /> : null}
      <ul className="mt-8 grid gap-6 md:grid-cols-2">
        {data.sections.map((section) => (
          <li key={section.to}>
            <Panel className="h-full border-t-4 border-nhs-blue">
              <h2 className="text-xl font-bold">
                <Link to={section.to}>{section.title}</Link>
              </h2>
              <p className="mt-2">{section.text}</p>
            </Panel>
          </li>
        ))}
      </ul>
    </>
  );
}
