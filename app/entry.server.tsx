import { PassThrough } from "node:stream";
import {
  createReadableStreamFromReadable,
  type AppLoadContext,
  type EntryContext,
  type HandleDataRequestFunction,
} from "@remix-run/node";
import { isRouteErrorResponse } from "@remix-run/react";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { registerDeliveryReceipts } from "./modules/campaigns/delivery/receipts.server.ts";
import { getLogger } from "./platform/logger.server.ts";
import { NonceProvider } from "./platform/nonce.tsx";
import { maskTokens } from "./platform/mask-tokens.ts";
import { requestId } from "./platform/request-context.server.ts";

export { startPlatform, stopPlatform, platformStatus } from "./platform/lifecycle.server.ts";

// Notify's delivery receipts (POST /notify/callback) go to the invitation-delivery module. Once,
// at start: not in the route module, whose top-level call broke the client build, and not per
// call, which replaced a handler set later (a test's).
registerDeliveryReceipts();

const ABORT_DELAY_MS = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = typeof loadContext.cspNonce === "string" ? loadContext.cspNonce : "";
  const waitForAll = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  // Pages can show patient data: never cache them anywhere.
  responseHeaders.set("Cache-Control", "no-store");
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer
          context={remixContext}
          url={request.url}
          abortDelay={ABORT_DELAY_MS}
          nonce={nonce}
        />
      </NonceProvider>,
      {
        nonce,
        [waitForAll ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) {
            getLogger().error({ err: error, requestId: requestId(request) }, "render error");
          }
        },
      },
    );
    setTimeout(abort, ABORT_DELAY_MS + 1000);
  });
}

export const handleDataRequest: HandleDataRequestFunction = (response) => {
  response.headers.set("Cache-Control", "no-store");
  return response;
};

export function handleError(error: unknown, { request }: { request: Request }) {
  if (request.signal.aborted) return;
  const path = maskTokens(new URL(request.url).pathname);
  // A 4xx that Remix raises itself (a GET to a route that only takes POSTs, say) is the caller's
  // mistake, not a fault: note it, without paging anyone through an error-level line.
  if (isRouteErrorResponse(error) && error.status < 500) {
    getLogger().info(
      { status: error.status, requestId: requestId(request), path },
      "refused request",
    );
    return;
  }
  // Log the error type and stack, never the request body (it can hold patient data).
  getLogger().error({ err: error, requestId: requestId(request), path }, "unhandled error");
}
