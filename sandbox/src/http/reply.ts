/**
 * Handlers return a Reply instead of writing to the socket, so the server can apply
 * reset-after-commit (do the work, then drop the connection) uniformly, and log every status.
 */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Thrown by a handler to stop early with a finished reply (auth failures, validation errors). */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`reply ${reply.status}`);
  }
}

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...NO_STORE, ...headers },
    body: JSON.stringify(body),
  };
}

export function fhir(
  status: number,
  resource: unknown,
  headers: Record<string, string> = {},
): Reply {
  return {
    status,
    headers: { "content-type": "application/fhir+json; charset=utf-8", ...NO_STORE, ...headers },
    body: JSON.stringify(resource),
  };
}

export function redirect(location: string): Reply {
  return { status: 302, headers: { location, ...NO_STORE } };
}

export function text(
  status: number,
  body: string,
  contentType = "text/plain; charset=utf-8",
): Reply {
  return { status, headers: { "content-type": contentType, ...NO_STORE }, body };
}

export const PKB_RESPONSE_CODE_SYSTEM = "http://fhir.patientsknowbest.com/codesystem/response-code";

export type PkbResponseCode =
  | "BAD_AUTHENTICATION"
  | "ACC_TOKEN_EXPIRED"
  | "API_SESSION_EXPIRED"
  | "API_SESSION_INVALID"
  | "USER_TYPE_NOT_PERM"
  | "ACCESS_FROZEN_OUTWARD";

/** FHIR OperationOutcome (the shape is the same in STU3 and R4 for what we use). */
export function operationOutcome(
  issueCode: string,
  diagnostics: string,
  pkbCode?: PkbResponseCode,
): Record<string, unknown> {
  return {
    resourceType: "OperationOutcome",
    issue: [
      {
        severity: "error",
        code: issueCode,
        ...(pkbCode
          ? {
              details: {
                coding: [{ system: PKB_RESPONSE_CODE_SYSTEM, code: pkbCode }],
                text: pkbCode,
              },
            }
          : {}),
        diagnostics,
      },
    ],
  };
}

export function fhirError(
  status: number,
  issueCode: string,
  diagnostics: string,
  pkbCode?: PkbResponseCode,
  headers: Record<string, string> = {},
): ReplyError {
  return new ReplyError(fhir(status, operationOutcome(issueCode, diagnostics, pkbCode), headers));
}

/** The Custom REST error body (pkb-api.md §5). */
export function restError(
  status: number,
  errorCode: string,
  message: string,
  /** PKB sometimes sends null here (its recordAccessToken example does). */
  developerMessage: string | null = message,
  headers: Record<string, string> = {},
): ReplyError {
  return new ReplyError(
    json(
      status,
      {
        statusCode: status,
        errorMessage: message,
        developerMessage,
        errorDetails: [{ errorCode, messages: [message] }],
      },
      headers,
    ),
  );
}
