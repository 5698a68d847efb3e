import type { ConnectionForm } from "~/modules/pkb/connection-forms.ts";
import { endpointsForOrigin } from "~/modules/pkb/endpoints.ts";
import type { RunningSandbox } from "../../sandbox/src/server.ts";

/**
 * Helpers for tests of the clinician grant against the real sandbox over HTTP: connection settings
 * for a running sandbox, and a clinician who signs in and answers PKB's consent page.
 */
export function sandboxConnection(
  sandbox: RunningSandbox,
  overrides: Partial<ConnectionForm> = {},
): ConnectionForm {
  return {
    label: `Sandbox trust ${Math.random().toString(36).slice(2, 8)}`,
    ...endpointsForOrigin(sandbox.url),
    userClientId: "pkb-desk",
    userClientSecret: "pkb-desk-sandbox-secret",
    redirectUri: "http://localhost:3000/pkb/oauth/callback",
    systemClientId: "pkb-desk-system",
    systemClientSecret: "pkb-desk-system-secret",
    aggregatedClientId: "pkb-desk-aggregated",
    aggregatedClientSecret: "pkb-desk-aggregated-secret",
    organisationPublicId: sandbox.organisations[0]!.publicId,
    nominatedTeamName: "Appointments team",
    ...overrides,
  };
}

/**
 * Opens PKB's sign-in and consent page at `authorizeUrl` and answers it as the sandbox's
 * clinician. Returns where PKB sends the browser back (the callback URL with code/state or error).
 */
export async function answerConsent(
  sandbox: RunningSandbox,
  authorizeUrl: string,
  decision: "allow" | "deny",
): Promise<URL> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${html}`);
  const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
  if (!request) throw new Error("no request id on the consent page");
  const answer = await fetch(`${sandbox.url}/apiAuthorize.action`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      request,
      decision,
      username: sandbox.demoLogin.username,
      password: sandbox.demoLogin.password,
    }),
  });
  const location = answer.headers.get("Location");
  if (answer.status !== 302 || !location) {
    throw new Error(`consent answered ${answer.status}: ${await answer.text()}`);
  }
  return new URL(location);
}

/** Calls to one sandbox endpoint since the call log was last cleared. */
export function sandboxCalls(sandbox: RunningSandbox, endpoint: string): number {
  return sandbox.app.calls.summary({ includeIdentifiers: false }).endpoints[endpoint]?.calls ?? 0;
}

/** A user-client API call with the token (the clinician's own record): 200 when it works. */
export async function tokenWorks(sandbox: RunningSandbox, token: string): Promise<number> {
  const response = await fetch(`${sandbox.url}/json/users/self`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}
