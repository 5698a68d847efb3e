import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  startSandbox,
  type RunningSandbox,
  type SandboxOptions,
} from "../../../../sandbox/src/server.ts";
import { endpointsForOrigin, type ClientCredentials, type PkbEndpoints } from "../endpoints.ts";

/** Test helpers for the PKB clients: an in-process sandbox and tiny hand-written PKB stand-ins. */

export const TEST_NOW = "2026-11-21T10:00:00.000Z";

export const SYSTEM_CLIENT: ClientCredentials = {
  clientId: "pkb-desk-system",
  clientSecret: "pkb-desk-system-secret",
};
export const AGGREGATED_CLIENT: ClientCredentials = {
  clientId: "pkb-desk-aggregated",
  clientSecret: "pkb-desk-aggregated-secret",
};
export const USER_CLIENT_ID = "pkb-desk";
export const USER_REDIRECT_URI = "http://localhost:3000/pkb/oauth/callback";

export interface TestSandbox {
  sandbox: RunningSandbox;
  endpoints: PkbEndpoints;
  trustPublicId: string;
  admin(method: string, path: string, body?: unknown): Promise<LooseJson>;
  /** Calls per sandbox endpoint id since the last `clearCalls()`. */
  calls(endpoint: string): Promise<number>;
  clearCalls(): Promise<void>;
  setFaults(table: Record<string, Record<string, unknown>>): Promise<void>;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the sandbox's control answers, read loosely in tests
export type LooseJson = any;

export async function startTestSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const sandbox = await startSandbox({
    port: 0,
    patients: 300,
    seed: 7,
    now: TEST_NOW,
    frozenClock: true,
    ...options,
  });
  const admin = async (method: string, path: string, body?: unknown): Promise<LooseJson> => {
    const response = await fetch(`${sandbox.url}/_sandbox${path}`, {
      method,
      headers: {
        "x-sandbox-admin-key": sandbox.adminKey,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`sandbox control ${method} ${path}: ${response.status}`);
    return response.json();
  };
  const trust = sandbox.organisations[0];
  if (!trust) throw new Error("sandbox has no organisations");
  return {
    sandbox,
    endpoints: endpointsForOrigin(sandbox.url),
    trustPublicId: trust.publicId,
    admin,
    async calls(endpoint) {
      const log = await admin("GET", "/calls");
      return (log.endpoints[endpoint]?.calls as number | undefined) ?? 0;
    },
    async clearCalls() {
      await admin("DELETE", "/calls");
    },
    async setFaults(table) {
      await admin("PUT", "/faults", table);
    },
    close: () => sandbox.close(),
  };
}

export interface StandIn {
  url: string;
  /** Requests received, in order (method and path with query). */
  requests: string[];
  close(): Promise<void>;
}

/** A tiny HTTP server for the cases the sandbox cannot produce (garbage headers, foreign links). */
export async function startStandIn(
  handler: (req: IncomingMessage, res: ServerResponse, index: number) => void | Promise<void>,
): Promise<StandIn> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const index = requests.length;
    requests.push(`${req.method ?? ""} ${req.url ?? ""}`);
    req.resume();
    req.on("end", () => {
      void Promise.resolve(handler(req, res, index)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/fhir+json", ...headers });
  res.end(JSON.stringify(body));
}

/** A token source that always hands out one fixed token (for stand-ins that ignore auth). */
export const fixedToken = (token = "test-token") => ({
  accessToken: () => Promise.resolve(token),
  afterUnauthorized: () => Promise.resolve(token),
});
