import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Outlet, useRouteError, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { ErrorContent, errorDetail, errorStatus, errorTitle } from "~/components/error-page.tsx";
import { AppHeader } from "~/components/app-header.tsx";
import { GrantBanner } from "~/components/pkb/grant-banner.tsx";
import { ToastMessage } from "~/components/toast.tsx";
import { forbidden, requireSession } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { grantsNeedingReauthorisation } from "~/modules/pkb/grants.server.ts";
import { useRootData } from "~/root.tsx";

export const access = { loader: "read:dashboard" } satisfies RouteAccess;

/**
 * The signed-in layout: skip link, header with navigation by permission, the PKB grant banner
 * for those who must know (H6), main landmark.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  // A kiosk device signs in like staff and lands on the home page: send it to its own screens.
  // Any other staff page stays forbidden to it (403 below).
  const session = await requireSession(request);
  if (session.user.role === "KIOSK" && new URL(request.url).pathname === "/") {
    throw redirect("/kiosk");
  }
  if (!hasPermission(session.user.role, access.loader)) throw forbidden();
  const role = session.user.role;
  if (!hasPermission(role, "read:pkb-grant-health")) return { grantBanner: null };
  const grants = await grantsNeedingReauthorisation();
  return {
    grantBanner: {
      canManage: hasPermission(role, "manage:pkb-grant"),
      grants: grants.map((grant) => ({
        connectionId: grant.connectionId,
        label: grant.connection.label,
      })),
    },
  };
}

export const meta: MetaFunction = ({ error }) => [
  { title: error ? errorTitle(errorStatus(error)) : "PKB Desk" },
];

export default function Shell() {
  return (
    <ShellFrame>
      <Outlet />
    </ShellFrame>
  );
}

/** Errors below the layout (403, 404, 500) keep the header and navigation around them. */
export function ErrorBoundary() {
  const error = useRouteError();
  return (
    <ShellFrame>
      <ErrorContent status={errorStatus(error)} detail={errorDetail(error)} />
    </ShellFrame>
  );
}

function ShellFrame({ children }: { children: ReactNode }) {
  const root = useRootData();
  const shell = useRouteLoaderData<typeof loader>("routes/_shell/route");
  return (
    <>
      <a
        href="#main-content"
        className="sr-only bg-nhs-yellow p-2 text-nhs-black focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50"
      >
        Skip to main content
      </a>
      {root?.user ? <AppHeader user={root.user} /> : null}
      <GrantBanner banner={shell?.grantBanner ?? null} />
      <ToastMessage toast={root?.toast ?? null} />
      <main id="main-content" tabIndex={-1} className="mx-auto max-w-6xl px-4 py-8">
        {children}
      </main>
      <footer className="mt-12 border-t-4 border-nhs-blue bg-white">
        <div className="mx-auto max-w-6xl px-4 py-6 text-sm text-nhs-dark-grey">
          PKB Desk — for NHS trust staff working with Patients Know Best. Contains patient
          information: do not share your screen or sign-in.
        </div>
      </footer>
    </>
  );
}
