import type { ActionFunctionArgs } from "@remix-run/node";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { acceptDeliveryReceipt } from "~/modules/notify/status-callback.server.ts";

export const access = {
  public: true,
  reason: "GOV.UK Notify's delivery receipts; each call carries the callback bearer token",
  authenticatedBy: "notify-callback-token",
} satisfies RouteAccess;

// Invitation dispatches are the only messages the portal sends through Notify: their receipts go
// to the delivery module, whose handler app/entry.server.tsx registers once at start (a call at
// this module's top level kept a server-only import in the client build, which then failed).

/** Notify POSTs here; nothing else is served (GET answers 405). */
export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") {
    return new Response("Method Not Allowed", { status: 405, headers: { allow: "POST" } });
  }
  return acceptDeliveryReceipt(request);
}

export function loader() {
  return new Response("Method Not Allowed", { status: 405, headers: { allow: "POST" } });
}
