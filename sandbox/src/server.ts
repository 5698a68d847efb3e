import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { aggregatedRoutes } from "./aggregated/routes.ts";
import type { Route, SandboxApp } from "./app.ts";
import { CallLog } from "./callLog.ts";
import { createClock, type SandboxClock } from "./clock.ts";
import {
  DEFAULT_ADMIN_KEY,
  DEFAULT_CLIENTS,
  parseClients,
  type RegisteredClient,
  type SandboxClient,
} from "./config.ts";
import { controlRoutes } from "./controls/routes.ts";
import { facadeRoutes } from "./facade/routes.ts";
import { FaultInjector, type FaultDecision, type FaultTable } from "./faults.ts";
import { hl7Routes } from "./hl7/routes.ts";
import { readRequestBody, type RequestContext } from "./http/context.ts";
import {
  fhir,
  json,
  operationOutcome,
  ReplyError,
  restError,
  text,
  type Reply,
} from "./http/reply.ts";
import { joinRoutes } from "./join/routes.ts";
import type { NotifyOptions } from "./notify/config.ts";
import { notifyControlRoutes } from "./notify/controls.ts";
import { notifyErrorReply, notifyRoutes, rateLimitMessage } from "./notify/routes.ts";
import { NotifyStore } from "./notify/store.ts";
import { oauthRoutes } from "./oauth/routes.ts";
import { OAuthStore } from "./oauth/store.ts";
import { frontDoorRoutes } from "./pages/frontDoor.ts";
import { messagePage } from "./pages/html.ts";
import { DEMO_CLINICIAN, OTHER_ORG_CLINICIAN } from "./population/generate.ts";
import { summarise, type PopulationSummary } from "./population/summary.ts";
import { restRoutes } from "./rest/routes.ts";
import { SandboxState } from "./state.ts";

export interface SandboxOptions {
  /** 0 = a random free port. Default 4010. */
  port?: number;
  host?: string;
  seed?: number;
  patients?: number;
  /** Default: five per patient. */
  appointments?: number;
  /** Fixed latency on every API call (shorthand for faults {"*": {latencyMs}}). */
  latencyMs?: number;
  adminKey?: string;
  /** Replaces the default clients (pkb-desk, pkb-desk-system, pkb-desk-aggregated). */
  clients?: SandboxClient[];
  /** Extra redirect URIs for the default user client (e.g. the portal on another port). */
  extraRedirectUris?: string[];
  accessTokenLifetimeSeconds?: number;
  /** How long refresh tokens keep working (PKB's "session"). Default 30 days. */
  sessionLifetimeSeconds?: number;
  /** Absolute base for links the sandbox writes (next pages, Keycloak issuer). Default: from the Host header. */
  publicBaseUrl?: string;
  faults?: FaultTable;
  /** The clock's starting instant (ISO-8601 or ms). Default: real now. The population is built around it. */
  now?: string | number;
  /** Stop the clock from moving by itself (it moves only when told). */
  frozenClock?: boolean;
  /** Reject identifiers that fail modulus 11 / range with 400 instead of answering "Not found". */
  strictIdentifiers?: boolean;
  /** The GOV.UK Notify stand-in: service id, API keys, templates, delivery-receipt callback. */
  notify?: NotifyOptions;
}

export interface RunningSandbox {
  url: string;
  port: number;
  adminKey: string;
  clients: RegisteredClient[];
  organisations: PopulationSummary["organisations"];
  demoLogin: { username: string; password: string };
  otherOrganisationLogin: { username: string; password: string };
  /** Direct access for tests in the same process. */
  app: SandboxApp;
  clock: SandboxClock;
  summary(): PopulationSummary;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function surfaceOf(pathname: string): string {
  if (pathname.startsWith("/fhir")) return "facade";
  if (pathname.startsWith("/aggregated")) return "aggregated";
  if (pathname.startsWith("/json")) return "rest";
  if (pathname.startsWith("/join")) return "join";
  if (pathname.startsWith("/services/hl7")) return "hl7";
  if (pathname.startsWith("/v2/")) return "notify";
  if (pathname.startsWith("/_sandbox")) return "controls";
  if (pathname === "/" || pathname.startsWith("/sandbox/")) return "front";
  return "oauth";
}

/** The reply an injected error gets, in the dialect of the surface it hits. */
function faultReply(endpoint: string, decision: Extract<FaultDecision, { kind: "error" }>): Reply {
  const headers: Record<string, string> = decision.retryAfter
    ? { "retry-after": decision.retryAfter }
    : {};
  const surface = endpoint.split(".")[0];
  const message =
    decision.status === 429
      ? "Too many requests"
      : decision.status === 503
        ? "Service unavailable"
        : decision.status === 502
          ? "Bad gateway"
          : "Internal server error";
  switch (surface) {
    case "facade":
    case "aggregated":
      return fhir(
        decision.status,
        operationOutcome(
          decision.status === 429
            ? "throttled"
            : decision.status === 500
              ? "exception"
              : "transient",
          message,
        ),
        headers,
      );
    case "rest":
      return restError(decision.status, "SERVICE_ERROR", message, message, headers).reply;
    case "notify":
      return notifyErrorReply(
        decision.status,
        [
          decision.status === 429
            ? { error: "RateLimitError", message: rateLimitMessage(3000) }
            : { error: "Exception", message: "Internal server error" },
        ],
        headers,
      );
    case "hl7":
      return {
        ...text(decision.status, message),
        headers: { ...text(decision.status, message).headers, ...headers },
      };
    case "join":
      return {
        ...messagePage(message, ["Please try again in a few minutes."], decision.status),
        status: decision.status,
      };
    default:
      return json(
        decision.status,
        {
          error: decision.status === 429 ? "slow_down" : "temporarily_unavailable",
          error_description: message,
        },
        headers,
      );
  }
}

function notFound(pathname: string): Reply {
  switch (surfaceOf(pathname)) {
    case "facade":
    case "aggregated":
      return fhir(404, operationOutcome("not-supported", `No such endpoint: ${pathname}`));
    case "join":
      return messagePage("Page not found", ["Check the address and try again."], 404);
    case "notify":
      return json(404, {
        result: "error",
        message: "The requested URL was not found on the server.",
      });
    default:
      return json(404, { error: "not_found" });
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const start =
    options.now === undefined
      ? Date.now()
      : typeof options.now === "number"
        ? options.now
        : Date.parse(options.now);
  if (Number.isNaN(start)) throw new Error(`invalid 'now': ${String(options.now)}`);
  const clock = createClock({ start, frozen: options.frozenClock ?? false });
  const seed = options.seed ?? 42;
  const state = new SandboxState({
    seed,
    patients: options.patients ?? 2000,
    ...(options.appointments !== undefined ? { appointments: options.appointments } : {}),
    anchor: start,
  });
  const clients = parseClients(options.clients ?? DEFAULT_CLIENTS);
  if (options.extraRedirectUris?.length) {
    for (const client of clients) {
      if (client.kind === "user") client.redirectUris.push(...options.extraRedirectUris);
    }
  }
  const faults = new FaultInjector(
    {
      ...(options.latencyMs ? { "*": { latencyMs: options.latencyMs } } : {}),
      ...(options.faults ?? {}),
    },
    seed,
  );
  const app: SandboxApp = {
    state,
    clock,
    oauth: new OAuthStore({
      accessTokenMs: (options.accessTokenLifetimeSeconds ?? 600) * 1000,
      sessionMs: (options.sessionLifetimeSeconds ?? 30 * 86_400) * 1000,
      codeMs: 60_000,
    }),
    clients: new Map(clients.map((c) => [c.id, c])),
    faults,
    calls: new CallLog(),
    notify: new NotifyStore(clock, options.notify),
    adminKey: options.adminKey ?? DEFAULT_ADMIN_KEY,
    settings: { strictIdentifiers: options.strictIdentifiers ?? false },
  };
  const routes: Route[] = [
    ...oauthRoutes(app),
    ...facadeRoutes(app),
    ...restRoutes(app),
    ...aggregatedRoutes(app),
    ...joinRoutes(app),
    ...hl7Routes(app),
    ...notifyRoutes(app),
    ...controlRoutes(app),
    ...notifyControlRoutes(app),
    ...frontDoorRoutes(app),
  ];

  const hanging = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = performance.now();
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://sandbox.invalid");
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      pathname = url.pathname;
    }
    const candidates = routes.filter((r) => r.pattern.test(pathname));
    const route = candidates.find((r) => r.method === method);
    const endpoint = route?.endpoint ?? `${surfaceOf(pathname)}.unknown`;
    // The body is read as it arrives, before any injected latency, so a caller that gives up
    // during the latency still leaves a request that is handled: the server has it in full, as a
    // real one would ("slow, then done anyway" is the unknown-outcome case clients must survive).
    const body = readRequestBody(req);
    body.catch(() => undefined);
    const ctx: RequestContext = {
      req,
      url,
      method,
      endpoint,
      params: route ? (route.pattern.exec(pathname)?.slice(1) ?? []) : [],
      baseUrl:
        options.publicBaseUrl?.replace(/\/$/, "") ?? `http://${req.headers.host ?? "127.0.0.1"}`,
      log: {},
      poisonIdentifiers:
        route && route.faultable !== false ? app.faults.poisonIdentifiers(endpoint) : new Set(),
      readBody: () => body,
    };
    let reply: Reply;
    let fault: FaultDecision = { kind: "none" };
    if (route && route.faultable !== false) {
      const latency = app.faults.latencyFor(endpoint);
      if (latency > 0) await sleep(latency);
      // Retry-After HTTP-dates are about real waiting, so they use the real clock, not the sandbox's.
      fault = app.faults.decide(endpoint, Date.now());
    }
    if (fault.kind === "hang") {
      // Never answer; the socket is closed when the client gives up or the sandbox stops.
      hanging.add(req.socket);
      req.socket.once("close", () => hanging.delete(req.socket));
      app.calls.record({
        at: new Date(clock.now()).toISOString(),
        method,
        endpoint,
        status: 0,
        durationMs: 0,
        fault: "hang",
      });
      return;
    }
    if (fault.kind === "error") {
      reply = faultReply(endpoint, fault);
    } else if (!route) {
      reply =
        candidates.length > 0 ? json(405, { error: "method_not_allowed" }) : notFound(pathname);
    } else {
      try {
        reply = await route.handle(ctx);
      } catch (error) {
        if (error instanceof ReplyError) {
          reply = error.reply;
        } else {
          console.error(
            `sandbox: ${endpoint} failed:`,
            error instanceof Error ? error.message : "unknown error",
          );
          reply = json(500, { error: "server_error" });
        }
      }
    }
    // The front door's own pages are for people looking around, not calls a test counts.
    if (!endpoint.startsWith("front.")) {
      app.calls.record({
        at: new Date(clock.now()).toISOString(),
        method,
        endpoint,
        status: fault.kind === "reset-after-commit" ? 0 : reply.status,
        durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
        ...(ctx.log.clientId ? { clientId: ctx.log.clientId } : {}),
        ...(ctx.log.identifiers !== undefined ? { identifiers: ctx.log.identifiers } : {}),
        ...(fault.kind !== "none"
          ? { fault: fault.kind === "error" ? `error-${fault.status}` : fault.kind }
          : {}),
      });
    }
    if (fault.kind === "reset-after-commit") {
      // The work is done; the caller never learns it.
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body ?? "");
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4010, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  const urlHost =
    host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}`;
  app.notify.start();
  let closed = false;
  return {
    url,
    port: address.port,
    adminKey: app.adminKey,
    clients,
    organisations: summarise(state, clock.now(), 0).organisations,
    demoLogin: { ...DEMO_CLINICIAN },
    otherOrganisationLogin: { ...OTHER_ORG_CLINICIAN },
    app,
    clock,
    summary: () => summarise(state, clock.now()),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.notify.stop();
      for (const socket of hanging) socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
