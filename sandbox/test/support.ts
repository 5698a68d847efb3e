import { startSandbox, type RunningSandbox, type SandboxOptions } from "../src/server.ts";

/** Every test file gets its own small sandbox on a random port, with a fixed, frozen clock. */
export const TEST_NOW = "2026-11-21T10:00:00.000Z";

export function startTestSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({
    port: 0,
    patients: 300,
    seed: 7,
    now: TEST_NOW,
    frozenClock: true,
    ...options,
  });
}

export const SYSTEMS = {
  nhs: "https://fhir.nhs.uk/Id/nhs-number",
  chi: "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53",
  hc: "urn:uuid:1479257a-ce8f-482a-89fa-429ac066c158",
  publicId: "http://fhir.patientsknowbest.com/id/public-id",
} as const;

export interface Identifier {
  system: string;
  value: string;
}

/** Document identifiers (TXA-12.1) need no system. */
export interface ParameterIdentifier {
  system?: string;
  value: string;
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
}

export async function systemToken(
  sb: RunningSandbox,
  id = "pkb-desk-system",
  secret = "pkb-desk-system-secret",
): Promise<string> {
  const res = await fetch(`${sb.url}/api/oauth/token`, {
    method: "POST",
    headers: {
      authorization: basic(id, secret),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  if (res.status !== 200) throw new Error(`system token: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function aggregatedToken(sb: RunningSandbox): Promise<string> {
  const res = await fetch(`${sb.url}/auth/realms/pkb/protocol/openid-connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: "pkb-desk-aggregated",
      client_secret: "pkb-desk-aggregated-secret",
      grant_type: "client_credentials",
    }),
  });
  if (res.status !== 200) throw new Error(`aggregated token: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function parametersOf(
  name: string,
  identifiers: readonly ParameterIdentifier[],
): Record<string, unknown> {
  return {
    resourceType: "Parameters",
    parameter: identifiers.map((valueIdentifier) => ({ name, valueIdentifier })),
  };
}

export async function facade(
  sb: RunningSandbox,
  operation:
    | "Patient/$status-query"
    | "Organization/$generate-invitation-tokens"
    | "DocumentReference/$read-receipt-query",
  body: unknown,
  options: { token?: string | null; org?: string | null; contentType?: string } = {},
): Promise<{ status: number; body: FhirParameters & Record<string, unknown>; headers: Headers }> {
  const token = options.token === undefined ? await systemToken(sb) : options.token;
  const org = options.org === undefined ? sb.organisations[0]?.publicId : options.org;
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/fhir+json",
    accept: "application/fhir+json",
  };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (org !== null && org !== undefined) headers["x-org-public-id"] = org;
  const res = await fetch(`${sb.url}/fhir/${operation}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text
      ? (JSON.parse(text) as FhirParameters & Record<string, unknown>)
      : ({} as FhirParameters & Record<string, unknown>),
    headers: res.headers,
  };
}

export interface FhirPart {
  name: string;
  part?: FhirPart[];
  valueIdentifier?: Identifier;
  valueBoolean?: boolean;
  valueDate?: string;
  valueDateTime?: string;
  valueString?: string;
}

export interface FhirParameters {
  resourceType: string;
  parameter?: FhirPart[];
  issue?: {
    severity: string;
    code: string;
    diagnostics?: string;
    details?: { coding?: { system: string; code: string }[] };
  }[];
}

export function partsByName(p: FhirPart): Record<string, FhirPart> {
  return Object.fromEntries((p.part ?? []).map((x) => [x.name, x]));
}

export async function admin(
  sb: RunningSandbox,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> & { [k: string]: unknown } }> {
  const res = await fetch(`${sb.url}/_sandbox${path}`, {
    method,
    headers: { "x-sandbox-admin-key": sb.adminKey, "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Signs in on the consent page like a person would, and returns the redirect the browser would follow. */
export async function consent(
  authorizeUrl: string,
  options: { username?: string; password?: string; decision?: "allow" | "deny" } = {},
): Promise<{ status: number; location: string | null; html: string }> {
  const page = await fetch(authorizeUrl, { redirect: "manual" });
  const html = await page.text();
  if (page.status !== 200) {
    return { status: page.status, location: page.headers.get("location"), html };
  }
  const request = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const origin = new URL(authorizeUrl).origin;
  const res = await fetch(`${origin}/apiAuthorize.action`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      request,
      username: options.username ?? "clinician@sandbox.test",
      password: options.password ?? "sandbox-clinician",
      decision: options.decision ?? "allow",
    }),
  });
  return { status: res.status, location: res.headers.get("location"), html: await res.text() };
}

/** A clinician's access token through the real consent page (no PKCE, client secret in the form). */
export async function userTokens(
  sb: RunningSandbox,
  login: { username: string; password: string } = {
    username: "clinician@sandbox.test",
    password: "sandbox-clinician",
  },
): Promise<{ access_token: string; refresh_token?: string }> {
  const redirect = "http://localhost:3000/pkb/oauth/callback";
  const { location } = await consent(
    `${sb.url}/apiAuthorize.action?response_type=code&client_id=pkb-desk&scope=CLINICIAN&redirect_uri=${encodeURIComponent(redirect)}`,
    login,
  );
  const code = new URL(location ?? "http://x/").searchParams.get("code") ?? "";
  const res = await fetch(`${sb.url}/apiToken.action`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirect,
      client_id: "pkb-desk",
      client_secret: "pkb-desk-sandbox-secret",
    }),
  });
  if (res.status !== 200) throw new Error(`user token: ${res.status}`);
  return (await res.json()) as { access_token: string; refresh_token?: string };
}

/** Tests inspect JSON responses loosely; the contract tests assert the shapes they care about. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseJson = any;

export async function getJson(
  url: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: LooseJson; headers: Headers }> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...headers },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
