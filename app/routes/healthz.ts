import type { RouteAccess } from "~/modules/auth/permissions.ts";

export const access = {
  public: true,
  reason: "liveness probe for the process supervisor",
} satisfies RouteAccess;

/** Liveness: the process is up and serving. Says nothing else. */
export function loader() {
  return new Response("ok\n", {
    headers: { "Content-Type": "text/plain", "Cache-Control": "no-store" },
  });
}
