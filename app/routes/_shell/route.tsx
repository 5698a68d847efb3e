import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Outlet, useRouteError } from "@remix-run/react";
import type { ReactNode } from "react";
import { ErrorContent, errorStatus, errorTitle } from "~/components/error-page.tsx";
import { AppHeader } from "~/components/app-header.tsx";
import { ToastMessage } from "~/components/toast.tsx";
import { requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { useRootData } from "~/root.tsx";

export const access = { loader: "read:dashboard" } satisfies RouteAccess;

/** The signed-in layout: skip link, header with navigation by permission, main landmark. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  return null;
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
  return (
    <ShellFrame>
      <ErrorContent status={errorStatus(useRouteError())} />
    </ShellFrame>
  );
}

function ShellFrame({ children }: { children: ReactNode }) {
  const root = useRootData();
  return (
    <>
      <a
        href="#main-content"
        className="sr-only bg-nhs-yellow p-2 text-nhs-black focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50"
      >
        Skip to main content
      </a>
      {root?.user ? <AppHeader user={root.user} /> : null}
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
