import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { parseEnv, ConfigError } from "../app/platform/env.server.ts";
import { getLogger } from "../app/platform/logger.server.ts";
import { maskTokens } from "../app/platform/mask-tokens.ts";
import { noStoreByDefault, refuseHostileUrls } from "./hardening.ts";
import { securityHeaders } from "./security-headers.ts";

/**
 * The HTTP server: Express in front of the Remix build. It owns what belongs to the transport —
 * security headers with a per-response CSP nonce, request ids, the client address, static files,
 * graceful shutdown — and starts the platform (database, migrations, workers) through the build's
 * entry module, so the routes and the platform share one database instance.
 */
const dev = process.argv.includes("--dev");

let env;
try {
  env = parseEnv();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`PKB Desk cannot start.\n${error.message}`);
    process.exit(1);
  }
  throw error;
}
const logger = getLogger();

type EntryModule = {
  startPlatform(): Promise<void>;
  stopPlatform(): Promise<void>;
};

const viteDevServer = dev
  ? await import("vite").then((vite) => vite.createServer({ server: { middlewareMode: true } }))
  : undefined;

async function loadBuild(): Promise<ServerBuild> {
  if (viteDevServer) {
    return (await viteDevServer.ssrLoadModule("virtual:remix/server-build")) as ServerBuild;
  }
  const buildPath = path.resolve("build/server/index.js");
  return (await import(buildPath)) as ServerBuild;
}

const app = express();
app.disable("x-powered-by");
app.set("trust proxy", env.TRUST_PROXY_HOPS);
app.use(compression());

app.use((req, res, next) => {
  // These headers are facts the server establishes; a client must not be able to supply them.
  const id = randomUUID();
  req.headers["x-request-id"] = id;
  req.headers["x-pkbdesk-client-address"] = req.ip ?? req.socket.remoteAddress ?? "unknown";
  res.locals.cspNonce = randomBytes(16).toString("base64");
  res.setHeader("X-Request-Id", id);
  for (const [name, value] of Object.entries(
    securityHeaders(res.locals.cspNonce as string, { dev, https: env.secureCookies }),
  )) {
    res.setHeader(name, value);
  }
  const started = process.hrtime.bigint();
  res.on("finish", () => {
    // Path only (query strings can carry identifiers), with token-like segments masked.
    logger.info(
      {
        requestId: id,
        method: req.method,
        path: maskTokens(req.path),
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      },
      "request",
    );
  });
  next();
});

app.use(noStoreByDefault);
// Before static files and Remix: no handler sees a NUL byte, a lone surrogate or `?_data=`.
app.use(refuseHostileUrls);

// Cross-origin submissions are refused before they reach any route (header-only, cheap). Each
// action also checks its CSRF token (app/modules/auth/csrf.server.ts).
app.use((req, res, next) => {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
  const ownOrigin = env.APP_ORIGIN ?? `${req.protocol}://${req.get("host") ?? ""}`;
  const origin = req.get("origin");
  const fetchSite = req.get("sec-fetch-site");
  if (
    (origin && origin !== ownOrigin) ||
    (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none")
  ) {
    res.status(403).type("text/plain").send("Forbidden: cross-origin request");
    return;
  }
  next();
});

if (viteDevServer) {
  app.use(viteDevServer.middlewares);
} else {
  app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
  app.use(express.static("build/client", { maxAge: "1h" }));
}

const build = await loadBuild();
const entry = build.entry.module as unknown as EntryModule;
await entry.startPlatform();

app.all(
  "*",
  createRequestHandler({
    build: viteDevServer ? () => loadBuild() : build,
    mode: dev ? "development" : "production",
    getLoadContext: (_req, res) => ({ cspNonce: res.locals.cspNonce as string }),
  }),
);

const server = app.listen(env.PORT, env.HOST, () => {
  const shown = env.HOST === "0.0.0.0" ? "localhost" : env.HOST;
  logger.info({ port: env.PORT }, "PKB Desk listening");
  console.log(`PKB Desk is running at ${env.APP_ORIGIN ?? `http://${shown}:${env.PORT}`}`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  const timer = setTimeout(() => process.exit(1), 30_000);
  // Stop taking connections and let requests in flight finish (idle keep-alive sockets are
  // closed now), then let jobs in flight finish, then close the database.
  const drained = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  try {
    await entry.stopPlatform();
    await viteDevServer?.close();
  } finally {
    clearTimeout(timer);
    process.exit(0);
  }
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
