import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { clearCsrfCookie } from "~/modules/auth/csrf.server.ts";
import { safeRedirect } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { readSessionToken } from "~/modules/auth/session.server.ts";
import {
  clearSsoCookie,
  completeSsoSignIn,
  SsoError,
  type SsoFailure,
} from "~/modules/auth/sso/sign-in.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

/**
 * Where the identity provider sends the browser back. The only state change on a GET, bound to
 * the one-time `state`, the browser's cookie and the PKCE verifier kept server-side (quality.md).
 */
export const access = {
  public: true,
  reason: "the identity provider's redirect back (bound to state, nonce, PKCE and a cookie)",
} satisfies RouteAccess;

const MESSAGES: Record<SsoFailure, string> = {
  "not-configured": "Signing in with your trust account is not set up. Use your password.",
  state:
    "That sign-in link was already used, has expired, or was started in another browser. Start again.",
  "idp-refused": "The trust's sign-in service did not sign you in. Start again.",
  token:
    "The trust's sign-in service answered with something PKB Desk could not trust. Start again, and tell IT if it keeps happening.",
  "email-unverified": "Your trust account has no verified e-mail address. Ask IT to add one.",
  domain:
    "Your trust account's e-mail address is not one PKB Desk accepts. Ask a PKB Desk administrator.",
  "unknown-user": "You have no PKB Desk account yet. Ask a PKB Desk administrator to create one.",
  "pending-approval":
    "Your PKB Desk account is waiting for an administrator to approve it. Ask a PKB Desk administrator, then sign in again.",
  disabled: "Your PKB Desk account is disabled. Ask a PKB Desk administrator.",
};

export async function loader({ request }: LoaderFunctionArgs) {
  const headers = new Headers({ "Set-Cookie": await clearSsoCookie() });
  try {
    const signedIn = await completeSsoSignIn(request, {
      clientAddress: clientAddress(request),
      userAgent: request.headers.get("User-Agent"),
      previousSessionToken: await readSessionToken(request),
    });
    headers.append("Set-Cookie", signedIn.setCookie);
    headers.append("Set-Cookie", await clearCsrfCookie());
    return redirect(safeRedirect(signedIn.redirectTo), { headers });
  } catch (error) {
    if (error instanceof SsoError) {
      return redirectWithToast(
        "/login",
        { kind: "error", message: MESSAGES[error.reason] },
        { headers },
      );
    }
    throw error;
  }
}
