import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { csrfToken } from "./modules/auth/csrf.server.ts";
import { hasPermission, ROLE_LABELS } from "./modules/auth/permissions.ts";
import type { Permission, RouteAccess } from "./modules/auth/permissions.ts";
import { getActiveSession } from "./modules/auth/session.server.ts";
import { errorDetail, ErrorPage, errorStatus, errorTitle } from "./components/error-page.tsx";
import { useNonce } from "./platform/nonce.tsx";
import { readToast } from "./platform/toast.server.ts";
import stylesheet from "./tailwind.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

/** Root data: who is signed in (for the header and nav), the CSRF token, a pending toast. */
export async function loader({ request }: LoaderFunctionArgs) {
  const [session, csrf, toast] = await Promise.all([
    getActiveSession(request),
    csrfToken(request),
    readToast(request),
  ]);
  const headers = new Headers();
  if (csrf.setCookie) headers.append("Set-Cookie", csrf.setCookie);
  if (toast.setCookie) headers.append("Set-Cookie", toast.setCookie);
  const user = session
    ? {
        displayName: session.user.displayName,
        email: session.user.email,
        roleLabel: ROLE_LABELS[session.user.role],
        permissions: permissionsOf(session.user.role),
      }
    : null;
  return Response.json({ user, csrf: csrf.token, toast: toast.toast }, { headers });
}

function permissionsOf(role: Parameters<typeof hasPermission>[0]): Permission[] {
  const all: Permission[] = [
    "read:user",
    "read:team",
    "read:audit",
    "read:job",
    "read:report",
    "read:request:team",
    "sync:request",
    "manage:routing",
    "read:campaign",
    "read:campaign-report",
    "manage:pkb-grant",
    "manage:notify",
    "manage:sign-in",
  ];
  return all.filter((permission) => hasPermission(role, permission));
}

export type RootLoaderData = {
  user: { displayName: string; email: string; roleLabel: string; permissions: Permission[] } | null;
  csrf: string;
  toast: { kind: "success" | "error"; message: string } | null;
};

export function useRootData(): RootLoaderData | undefined {
  return useRouteLoaderData<RootLoaderData>("root") ?? undefined;
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en-GB" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-full font-sans text-base leading-normal">
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export const access = {
  public: true,
  reason: "root data: optional session, CSRF token, toast",
} satisfies RouteAccess;

export const meta: MetaFunction = ({ error }) => [
  { title: error ? errorTitle(errorStatus(error)) : "PKB Desk" },
];

export function ErrorBoundary() {
  const error = useRouteError();
  return <ErrorPage status={errorStatus(error)} detail={errorDetail(error)} />;
}
