import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { clearCsrfCookie } from "~/modules/auth/csrf.server.ts";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { clearSessionCookie, endSession } from "~/modules/auth/session.server.ts";
import { prisma } from "~/platform/db.server.ts";

export const access = { loader: "read:account", action: "read:account" } satisfies RouteAccess;

// Signing out is a POST (a GET must never change state); a stray GET goes home.
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, access.loader);
  return redirect("/");
}

export async function action({ request }: ActionFunctionArgs) {
  const { session, actor, clientAddress } = await requireMutation(request, access.action);
  const db = await prisma();
  await db.$transaction(async (tx) => {
    await endSession(session.id, "logout", tx);
    await recordAudit(tx, {
      actor,
      clientAddress,
      action: "auth.logout",
      entityType: "user",
      entityId: actor.id,
    });
  });
  const headers = new Headers();
  headers.append("Set-Cookie", await clearSessionCookie());
  headers.append("Set-Cookie", await clearCsrfCookie());
  return redirect("/login", { headers });
}
