import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { requirePublicMutation, safeRedirect } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { SsoError, startSsoSignIn } from "~/modules/auth/sso/sign-in.server.ts";
import { getLogger } from "~/platform/logger.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

/**
 * "Sign in with your trust account": a POST with the CSRF token (so another site cannot start a
 * round trip in someone's browser), answered with a redirect to the identity provider.
 */
export const access = {
  public: true,
  reason: "starts signing in through the trust's identity provider",
} satisfies RouteAccess;

export async function action({ request }: ActionFunctionArgs) {
  const form = await requirePublicMutation(request);
  const redirectTo = safeRedirect(form.get("redirectTo"));
  try {
    const { url, setCookie } = await startSsoSignIn(redirectTo);
    return redirect(url, { headers: { "Set-Cookie": setCookie } });
  } catch (error) {
    if (error instanceof SsoError) {
      return redirectWithToast("/login", {
        kind: "error",
        message: "Signing in with your trust account is not set up. Use your password.",
      });
    }
    getLogger().warn(
      { err: { name: (error as Error).name, message: (error as Error).message } },
      "identity provider unreachable",
    );
    return redirectWithToast("/login", {
      kind: "error",
      message: "The trust's sign-in service did not answer. Try again in a minute.",
    });
  }
}
