import { isRouteErrorResponse } from "@remix-run/react";

/**
 * The 403/404/500 pages. They say what happened and what to do next, and nothing else: no
 * stack traces, ids or whether a record exists.
 */
const MESSAGES: Record<number, { title: string; body: string }> = {
  400: {
    title: "PKB Desk cannot use what was sent",
    body: "Go back, check what you typed and try again.",
  },
  403: {
    title: "You do not have access to this page",
    body: "Your role does not allow this. If you need access, ask an administrator of PKB Desk.",
  },
  404: {
    title: "Page not found",
    body: "Check the address, or go back to the home page. The record may not exist or may not be yours to see.",
  },
  405: { title: "That action is not possible here", body: "Go back and try again from the page." },
  413: { title: "That was too large", body: "The form you sent was larger than PKB Desk accepts." },
};

const FALLBACK = {
  title: "Sorry, there is a problem with the service",
  body: "Try again later. If this keeps happening, contact your IT service desk.",
};

export function errorTitle(status: number): string {
  return `${(MESSAGES[status] ?? FALLBACK).title} – PKB Desk`;
}

export function errorStatus(error: unknown): number {
  return isRouteErrorResponse(error) ? error.status : 500;
}

/** The reason a 400 gives (guard.server.ts `badInput`), shown instead of the generic body. */
export function errorDetail(error: unknown): string | undefined {
  if (!isRouteErrorResponse(error) || error.status !== 400) return undefined;
  const data: unknown = error.data;
  if (data && typeof data === "object" && "message" in data && typeof data.message === "string") {
    return data.message;
  }
  return undefined;
}

/** The message alone, for error boundaries inside the signed-in layout. */
export function ErrorContent({ status, detail }: { status: number; detail?: string }) {
  const message = MESSAGES[status] ?? FALLBACK;
  return (
    <div className="max-w-3xl">
      <h1 className="text-3xl font-bold">{message.title}</h1>
      <p className="mt-4 text-lg">{detail ?? message.body}</p>
      <p className="mt-6">
        <a href="/">Go to the PKB Desk home page</a>
      </p>
      <p className="mt-2 text-sm text-nhs-dark-grey">Error {status}</p>
    </div>
  );
}

/** A whole page, for errors outside the signed-in layout. */
export function ErrorPage({ status, detail }: { status: number; detail?: string }) {
  return (
    <main id="main-content" className="mx-auto max-w-6xl px-4 py-12">
      <ErrorContent status={status} detail={detail} />
    </main>
  );
}
