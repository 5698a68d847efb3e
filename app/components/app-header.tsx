import { Form, Link, NavLink, useLocation } from "@remix-run/react";
import type { Permission } from "~/modules/auth/permissions.ts";
import { CsrfInput } from "./ui/csrf-input.tsx";

interface NavItem {
  to: string;
  label: string;
  permission: Permission;
}

// Sections appear as they are built; each shows only to roles that may open it.
const NAV: NavItem[] = [
  { to: "/requests", label: "Requests", permission: "read:request:team" },
  { to: "/requests/sync", label: "Request sync", permission: "sync:request" },
  { to: "/requests/routing", label: "Routing", permission: "manage:routing" },
  { to: "/campaigns", label: "Campaigns", permission: "read:campaign" },
  { to: "/reports", label: "Reports", permission: "read:report" },
  { to: "/admin/users", label: "Users", permission: "read:user" },
  { to: "/admin/teams", label: "Teams", permission: "read:team" },
  { to: "/admin/audit", label: "Audit trail", permission: "read:audit" },
  { to: "/admin/jobs", label: "Background jobs", permission: "read:job" },
  { to: "/admin/pkb", label: "PKB connection", permission: "manage:pkb-grant" },
  { to: "/admin/notify", label: "GOV.UK Notify", permission: "manage:notify" },
  { to: "/admin/two-step", label: "Sign-in security", permission: "manage:sign-in" },
];

export function AppHeader({
  user,
}: {
  user: { displayName: string; roleLabel: string; permissions: Permission[] };
}) {
  const items = NAV.filter((item) => user.permissions.includes(item.permission));
  const current = currentSection(useLocation().pathname);
  return (
    <header className="bg-nhs-blue text-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-4 px-4 py-4">
        <a href="/" className="text-2xl font-bold text-white no-underline hover:text-white">
          PKB Desk
        </a>
        <div className="flex flex-wrap items-center gap-4">
          <a href="/account" className="text-white hover:text-white">
            <span className="font-bold">{user.displayName}</span>
            <span className="ml-2 text-sm">({user.roleLabel})</span>
          </a>
          <Form method="post" action="/logout">
            <CsrfInput />
            <button
              type="submit"
              className="rounded border-2 border-white px-3 py-1 font-bold text-white hover:bg-nhs-dark-blue"
            >
              Sign out
            </button>
          </Form>
        </div>
      </div>
      <nav aria-label="Main" className="bg-nhs-dark-blue">
        <ul className="mx-auto flex max-w-6xl flex-wrap gap-x-6 px-4">
          <li>
            <NavLink to="/" end className={navClass}>
              Home
            </NavLink>
          </li>
          {items.map((item) => (
            <li key={item.to}>
              <Link
                to={item.to}
                aria-current={item.to === current ? "page" : undefined}
                className={navClass({ isActive: item.to === current })}
              >
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
    </header>
  );
}

/**
 * The one section a path belongs to: the longest section address it falls under, so
 * /requests/routing/… marks "Routing" only, not "Requests" as well.
 */
export function currentSection(pathname: string): string | undefined {
  return NAV.map((item) => item.to)
    .filter((to) => pathname === to || pathname.startsWith(`${to}/`))
    .sort((a, b) => b.length - a.length)[0];
}

function navClass({ isActive }: { isActive: boolean }) {
  return `inline-block py-3 font-bold text-white no-underline hover:text-white hover:underline ${
    isActive ? "border-b-4 border-white" : "border-b-4 border-transparent"
  }`;
}
