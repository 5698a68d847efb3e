import type { LoaderFunctionArgs } from "@remix-run/node";
import { notFound, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";

export const access = { loader: "read:dashboard" } satisfies RouteAccess;

/** Unknown addresses: signed-out people are sent to sign in first, so nothing is revealed. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  throw notFound();
}

// The loader always throws; the shell's error boundary renders the 404 inside the layout.
export default function NotFound() {
  return null;
}
