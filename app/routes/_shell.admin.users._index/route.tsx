import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { listUsers, userStatus } from "~/modules/auth/users.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import { HeaderRow, Th } from "~/components/ui/table.tsx";

export const access = { loader: "read:user" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Users – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const users = await listUsers();
  return Response.json({
    canCreate: hasPermission(session.user.role, "create:user"),
    users: users.map((user) => ({
      id: user.id,
      displayName: user.displayName,
      email: user.email,
      role: ROLE_LABELS[user.role],
      teams: user.memberships.map((membership) => membership.team.name),
      status: userStatus(user),
      lastLogin: user.lastLoginAt ? formatUkDateTime(user.lastLoginAt) : "Never",
    })),
  });
}

interface UsersData {
  canCreate: boolean;
  users: Array<{
    id: string;
    displayName: string;
    email: string;
    role: string;
    teams: string[];
    status: string;
    lastLogin: string;
  }>;
}

export default function Users() {
  const data = useLoaderData<UsersData>();
  return (
    <>
      <PageHeading
        title="Users"
        lede="Staff who can sign in to PKB Desk, their roles and teams."
        actions={
          <div className="flex flex-wrap items-center gap-4">
            <Link to="/admin/sign-in-throttles">Sign-in throttles</Link>
            {data.canCreate ? (
              <Link
                to="/admin/users/new"
                className="rounded bg-nhs-green px-4 py-2 font-bold text-white no-underline shadow-[0_4px_0_#00401e] hover:bg-[#00662f] hover:text-white"
              >
                Add a user
              </Link>
            ) : null}
          </div>
        }
      />
      <Panel>
        <table className="w-full text-left">
          <caption className="sr-only">Users</caption>
          <HeaderRow>
            <Th>Name</Th>
            <Th>Role</Th>
            <Th>Teams</Th>
            <Th>Status</Th>
            <Th>Last signed in</Th>
          </HeaderRow>
          <tbody>
            {data.users.map((user) => (
              <tr key={user.id} className="border-b border-nhs-pale-grey align-top">
                <td className="py-2 pr-4">
                  <Link to={`/admin/users/${user.id}`} className="font-bold">
                    {user.displayName}
                  </Link>
                  <div className="text-sm text-nhs-dark-grey">{user.email}</div>
                </td>
                <td className="py-2 pr-4">{user.role}</td>
                <td className="py-2 pr-4">{user.teams.join(", ") || "—"}</td>
                <td className="py-2 pr-4">
                  <StatusTag status={user.status} />
                </td>
                <td className="py-2 pr-4">{user.lastLogin}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </>
  );
}

function StatusTag({ status }: { status: string }) {
  const style =
    status === "Active" || status === "Signs in with trust account"
      ? "bg-[#cce5d8] text-[#00401e] border-[#00401e]"
      : status === "Disabled"
        ? "bg-[#f7d4d1] text-[#6b140e] border-[#6b140e]"
        : "bg-[#fff9c4] text-[#594d00] border-[#594d00]";
  return (
    <span className={`inline-block border px-2 py-0.5 text-sm font-bold ${style}`}>{status}</span>
  );
}
