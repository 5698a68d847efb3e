import { aggregatedClient } from "./aggregated-client.server.ts";
import type { ClientCredentials, PkbEndpoints } from "./endpoints.ts";
import { joinUrl } from "./endpoints.ts";
import { errorCode, maskFreeText, PkbApiError } from "./errors.ts";
import { facadeClient } from "./facade-client.server.ts";
import { createPkbHttp, type PkbHttp } from "./http.server.ts";
import { IDENTIFIER_SYSTEMS } from "./identifiers.ts";
import { restClient } from "./rest-client.server.ts";
import { aggregatedTokenSource, systemTokenSource } from "./system-tokens.server.ts";

/**
 * "Test connection": one harmless call per PKB surface, each reported in words a trust's IT lead
 * understands. Nothing here changes anything at PKB, and no patient data is read: the look-ups use
 * an NHS number that is never issued.
 */

export type ConnectionCheckName =
  "user-sign-in" | "system-token" | "facade" | "rest" | "aggregated-token" | "aggregated";

export interface ConnectionCheck {
  surface: ConnectionCheckName;
  /** What was checked, e.g. "Clinician sign-in (user client)". */
  label: string;
  ok: boolean;
  /** Not tried, because a setting is missing or an earlier check it depends on failed. */
  skipped: boolean;
  /** One sentence: what happened. */
  summary: string;
  /** What to check next, or what was confirmed. */
  detail: string;
}

export interface ConnectionSettings {
  endpoints: PkbEndpoints;
  /** The trust's organisation at PKB (`X-Org-Public-Id`). */
  organisationPublicId: string;
  userClient?: { clientId: string; redirectUri: string; scope?: string };
  systemClient?: ClientCredentials;
  aggregatedClient?: ClientCredentials;
}

export interface TestConnectionOptions {
  /** Per call. Default 10 s. */
  timeoutMs?: number;
  http?: PkbHttp;
}

/** An NHS number that passes modulus 11 and is never issued: look-ups find nobody. */
const NEVER_ISSUED_NHS_NUMBER = "4000000004";

const LABELS: Record<ConnectionCheckName, string> = {
  "user-sign-in": "Clinician sign-in (user client)",
  "system-token": "System client token (Facade)",
  facade: "FHIR Facade (status query)",
  rest: "Custom REST API",
  "aggregated-token": "Aggregated client token",
  aggregated: "Aggregated FHIR API (appointments)",
};

export async function testConnection(
  settings: ConnectionSettings,
  options: TestConnectionOptions = {},
): Promise<ConnectionCheck[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // Fast answers for a person waiting at a button: one attempt per call, no backoff.
  const http = options.http ?? createPkbHttp({ timeoutMs, maxAttempts: 1 });
  const { endpoints } = settings;
  const pass = (
    surface: ConnectionCheckName,
    summary: string,
    detail: string,
  ): ConnectionCheck => ({
    surface,
    label: LABELS[surface],
    ok: true,
    skipped: false,
    summary,
    detail,
  });
  const skip = (surface: ConnectionCheckName, summary: string): ConnectionCheck => ({
    surface,
    label: LABELS[surface],
    ok: false,
    skipped: true,
    summary,
    detail: "",
  });
  const fail = (surface: ConnectionCheckName, error: unknown, url: string): ConnectionCheck => ({
    surface,
    label: LABELS[surface],
    ok: false,
    skipped: false,
    summary:
      error instanceof PkbApiError ? error.describe() : "The check failed in an unexpected way.",
    detail: advice(error, url, settings),
  });

  const userSignIn = settings.userClient
    ? checkUserSignIn(settings.userClient, endpoints, http).then(
        (outcome): ConnectionCheck => ({
          surface: "user-sign-in",
          label: LABELS["user-sign-in"],
          skipped: false,
          ...outcome,
        }),
        (error: unknown) => fail("user-sign-in", error, authorizeUrl(endpoints)),
      )
    : Promise.resolve(skip("user-sign-in", "No user client id is set."));

  const systemChecks = (async (): Promise<ConnectionCheck[]> => {
    if (!settings.systemClient) {
      return [
        skip("system-token", "No system client id and secret are set."),
        skip("facade", "Not tried: no system client."),
        skip("rest", "Not tried: no system client."),
      ];
    }
    const token = systemTokenSource(endpoints, settings.systemClient, { http });
    try {
      await token.accessToken();
    } catch (error) {
      return [
        fail("system-token", error, endpoints.systemTokenUrl),
        skip("facade", "Not tried: PKB gave no system token."),
        skip("rest", "Not tried: PKB gave no system token."),
      ];
    }
    const tokenCheck = pass(
      "system-token",
      "PKB issued a system token.",
      "The system client's id and secret were accepted.",
    );
    const nobody = { system: IDENTIFIER_SYSTEMS.nhs, value: NEVER_ISSUED_NHS_NUMBER };
    const facade = facadeClient({
      endpoints,
      organisationPublicId: settings.organisationPublicId,
      token,
      http,
    })
      .statusQuery([nobody])
      .then(
        () =>
          pass(
            "facade",
            "The Facade answered a status query for the organisation.",
            "The system token and the organisation public id were accepted.",
          ),
        (error: unknown) => fail("facade", error, endpoints.facadeBaseUrl),
      );
    const rest = restClient({
      endpoints,
      token,
      organisationPublicId: settings.organisationPublicId,
      http,
    })
      .userByNationalId("nhs", NEVER_ISSUED_NHS_NUMBER)
      .then(
        () =>
          pass(
            "rest",
            "The Custom REST API answered a patient look-up.",
            "The system token was accepted (the test number belongs to nobody, as expected).",
          ),
        (error: unknown) => fail("rest", error, endpoints.restBaseUrl),
      );
    return [tokenCheck, ...(await Promise.all([facade, rest]))];
  })();

  const aggregatedChecks = (async (): Promise<ConnectionCheck[]> => {
    if (!settings.aggregatedClient) {
      return [
        skip("aggregated-token", "No Aggregated client id and secret are set."),
        skip("aggregated", "Not tried: no Aggregated client."),
      ];
    }
    const token = aggregatedTokenSource(endpoints, settings.aggregatedClient, { http });
    try {
      await token.accessToken();
    } catch (error) {
      return [
        fail("aggregated-token", error, endpoints.aggregatedTokenUrl),
        skip("aggregated", "Not tried: PKB gave no Aggregated token."),
      ];
    }
    const read = await aggregatedClient({ endpoints, token, http })
      .searchAppointments(
        { system: IDENTIFIER_SYSTEMS.nhs, value: NEVER_ISSUED_NHS_NUMBER },
        { count: 1, maxPages: 1 },
      )
      .then(
        () =>
          pass(
            "aggregated",
            "The Aggregated API answered an appointment search.",
            "The Aggregated token was accepted.",
          ),
        (error: unknown) => fail("aggregated", error, endpoints.aggregatedBaseUrl),
      );
    return [
      pass(
        "aggregated-token",
        "PKB's Aggregated token server issued a token.",
        "The Aggregated client's id and secret were accepted.",
      ),
      read,
    ];
  })();

  const [user, system, aggregated] = await Promise.all([
    userSignIn,
    systemChecks,
    aggregatedChecks,
  ]);
  return [user, ...system, ...aggregated];
}

function authorizeUrl(endpoints: PkbEndpoints): string {
  return joinUrl(endpoints.webBaseUrl, "apiAuthorize.action");
}

/**
 * Opens PKB's authorisation page the way a clinician's browser would. PKB answers its sign-in
 * page for a client it knows and an error page (no redirect) for an unknown client or redirect
 * address (pkb-api.md §2). Nothing is granted: the page is never submitted.
 */
async function checkUserSignIn(
  userClient: NonNullable<ConnectionSettings["userClient"]>,
  endpoints: PkbEndpoints,
  http: PkbHttp,
): Promise<{ ok: boolean; summary: string; detail: string }> {
  const url = new URL(authorizeUrl(endpoints));
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: userClient.clientId,
    redirect_uri: userClient.redirectUri,
    scope: userClient.scope ?? "CLINICIAN",
    state: "pkb-desk-connection-test",
  }).toString();
  const response = await http.send({
    surface: "user-oauth",
    endpoint: "authorize",
    method: "GET",
    url: url.href,
    headers: { accept: "text/html" },
    acceptRedirects: true,
    acceptStatus: (status) => status >= 400 && status < 500,
  });
  if (response.status >= 200 && response.status < 300) {
    return {
      ok: true,
      summary: "PKB's sign-in page knows the user client.",
      detail: "The client id and the redirect address are registered with PKB.",
    };
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get("location") ?? "";
    if (location.startsWith(userClient.redirectUri)) {
      const error = new URL(location).searchParams.get("error") ?? "unknown";
      return {
        ok: false,
        summary: `PKB knows the user client but refused the request (${error}).`,
        detail:
          error === "invalid_scope"
            ? "The client is not allowed the CLINICIAN scope: ask PKB to enable it."
            : "Ask PKB to check the user client's settings.",
      };
    }
    // Some PKB set-ups send the browser on to a separate sign-in page.
    return {
      ok: true,
      summary: "PKB's authorisation address answered and sends clinicians on to sign in.",
      detail: "The client id was not refused.",
    };
  }
  if (response.status === 404) {
    return {
      ok: false,
      summary: "PKB's sign-in address was not found (404).",
      detail: `Check the web address: PKB Desk looked for ${url.origin}${url.pathname}.`,
    };
  }
  const heading = /<h1[^>]*>([^<]{1,120})<\/h1>/i.exec(response.text)?.[1]?.trim();
  return {
    ok: false,
    summary: `PKB's sign-in page refused the user client id or its redirect address (${response.status}).`,
    detail: `${heading ? `PKB's page says "${maskFreeText(heading)}". ` : ""}Check the user client id and that ${userClient.redirectUri} is registered with PKB exactly as written.`,
  };
}

function advice(error: unknown, url: string, settings: ConnectionSettings): string {
  if (!(error instanceof PkbApiError)) {
    return "Try again; if it keeps failing, tell PKB Desk's support.";
  }
  switch (error.kind) {
    case "timeout":
      return `Check the address (${url}) and that the firewall or proxy lets PKB Desk reach it.`;
    case "network":
      return errorCode(error) === "ENOTFOUND" || errorCode(error) === "EAI_AGAIN"
        ? `Check the host name in ${url}.`
        : `Check the address and port (${url}) and that the firewall or proxy lets PKB Desk reach it.`;
    case "refused-redirect":
    case "refused-link":
      return `Check the address (${url}): PKB Desk only talks to the configured host.`;
    case "invalid-response":
      return `Check the address (${url}): something answered there, but not as PKB would.`;
    case "link-loop":
    case "page-budget":
      return "Tell PKB: its paging links misbehaved.";
    case "http":
      break;
  }
  switch (error.status) {
    case 400:
    case 401:
      if (error.surface === "system-token") return "Check the system client id and secret.";
      if (error.surface === "aggregated-token") return "Check the Aggregated client id and secret.";
      return "Check the client settings; the token was not accepted.";
    case 403:
      return `PKB knows the client but refused access for organisation ${settings.organisationPublicId}: check the organisation public id and ask PKB to authorise the client for it.`;
    case 404:
      return `Check the address (${url}): PKB has nothing there.`;
    case 429:
      return "PKB is busy; try again in a minute.";
    default:
      return (error.status ?? 0) >= 500
        ? "PKB had a problem of its own; try again later, and tell PKB if it persists."
        : "Check the settings for this surface.";
  }
}
