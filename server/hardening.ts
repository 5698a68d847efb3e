import type { RequestHandler } from "express";
import {
  findUnstorable,
  unstorableCharacter,
  unstorableParameterMessage,
} from "../app/platform/hostile-input.ts";

/**
 * Transport-level defences against hostile URLs (ADR 0016). They run before Remix, so no loader
 * ever sees a value PostgreSQL cannot store, and no request shape Remix would treat as an error.
 */

/**
 * Any reply that has not chosen its own caching is never cached. Pages and data set `no-store`
 * themselves (entry.server.tsx); this catches the rest — refusals (403/404/405) thrown by
 * resource routes, and the server's own 400/403 answers — so a shared proxy or the browser's
 * back button never keeps a signed-in reply. Static files set their own `Cache-Control`.
 */
export const noStoreByDefault: RequestHandler = (_req, res, next) => {
  const writeHead = res.writeHead;
  res.writeHead = function (this: typeof res, ...args: unknown[]) {
    if (!res.hasHeader("Cache-Control")) res.setHeader("Cache-Control", "no-store");
    return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
  } as typeof res.writeHead;
  next();
};

function refuse(res: Parameters<RequestHandler>[1], message: string) {
  res.status(400).type("text/plain; charset=utf-8").set("Cache-Control", "no-store").send(message);
}

/**
 * Refuses a URL whose path or query holds characters PostgreSQL cannot store (NUL, lone
 * surrogates) or broken percent-encoding, naming the parameter; and legacy `?_data=` requests,
 * which this single-fetch app never makes (Remix would log them as errors and may answer 500).
 */
export const refuseHostileUrls: RequestHandler = (req, res, next) => {
  let url: URL;
  try {
    url = new URL(req.originalUrl, "http://pkbdesk.invalid");
  } catch {
    refuse(res, "The address is not valid. Go back and try again from the page.");
    return;
  }
  if (url.searchParams.has("_data")) {
    refuse(
      res,
      "PKB Desk does not answer this kind of request (?_data=). Reload the page to get the current version.",
    );
    return;
  }
  for (const segment of url.pathname.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      refuse(res, "The address is not valid (broken %-encoding). Go back and try again.");
      return;
    }
    const problem = unstorableCharacter(decoded);
    if (problem) {
      refuse(
        res,
        `The address has ${problem} in it, which PKB Desk cannot use. Go back and try again.`,
      );
      return;
    }
  }
  const unstorable = findUnstorable(url.searchParams.entries());
  if (unstorable) {
    refuse(res, unstorableParameterMessage(unstorable));
    return;
  }
  next();
};
