import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { platformStatus } from "~/platform/lifecycle.server.ts";

export const access = {
  public: true,
  reason: "readiness probe for the load balancer",
} satisfies RouteAccess;

/** Readiness: database reachable, migrations applied, workers running. Booleans only. */
export async function loader() {
  const status = await platformStatus();
  const ready = status.database && status.migrations && status.workers;
  return Response.json(
    { ready, ...status },
    { status: ready ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
