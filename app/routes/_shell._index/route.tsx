import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Panel } from "~/components/ui/page-heading.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
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
  return Response.json({
    displayName: session.user.displayName,
    roleLabel: ROLE_LABELS[role],
    teams: teams.map((team) => team.name),
    sections: sections.map(({ to, title, text }) => ({ to, title, text })),
  });
}

interface HomeData {
  displayName: string;
  roleLabel: string;
  teams: string[];
  sections: Array<{ to: string; title: string; text: string }>;
}

export default function Home() {
  const data = useLoaderData<HomeData>();
  return (
    <>
      <h1 className="text-3xl font-bold">Hello, {data.displayName}</h1>
      <p className="mt-2 text-lg text-nhs-dark-grey">
        You are signed in as {data.roleLabel.toLowerCase()}
        {data.teams.length > 0 ? ` in ${data.teams.join(", ")}` : ""}.
      </p>
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
