import { describe, expect, it } from "vitest";
import { maskFreeText, PkbApiError } from "./errors.ts";
import { errorFromResponse } from "./http.server.ts";

describe("PkbApiError", () => {
  it("reads PKB's three error dialects", () => {
    const fhir = errorFromResponse(
      { surface: "facade", endpoint: "status-query" },
      401,
      JSON.stringify({
        resourceType: "OperationOutcome",
        issue: [
          {
            severity: "error",
            code: "expired",
            details: {
              coding: [
                {
                  system: "http://fhir.patientsknowbest.com/codesystem/response-code",
                  code: "ACC_TOKEN_EXPIRED",
                },
              ],
            },
          },
        ],
      }),
    );
    expect(fhir).toMatchObject({ status: 401, code: "ACC_TOKEN_EXPIRED", retryable: false });
    expect(fhir.operationOutcome?.issue?.[0]?.code).toBe("expired");

    const rest = errorFromResponse(
      { surface: "rest", endpoint: "messages-after" },
      401,
      JSON.stringify({
        statusCode: 401,
        errorMessage: "The API session is no longer valid",
        developerMessage: "x",
        errorDetails: [{ errorCode: "API_SESSION_INVALID", messages: ["…"] }],
      }),
    );
    expect(rest).toMatchObject({
      code: "API_SESSION_INVALID",
      detail: "The API session is no longer valid",
    });

    const oauth = errorFromResponse(
      { surface: "user-oauth", endpoint: "token" },
      400,
      JSON.stringify({ error: "invalid_grant", error_description: "API_SESSION_INVALID" }),
    );
    expect(oauth.describe()).toBe(
      `PKB no longer accepts the clinician's grant (400, invalid_grant); someone must grant access again. PKB said: "API_SESSION_INVALID".`,
    );

    const html = errorFromResponse(
      { surface: "aggregated", endpoint: "search" },
      502,
      "<html>Bad gateway</html>",
    );
    expect(html).toMatchObject({ status: 502, code: undefined, retryable: true });
    expect(html.describe()).toBe("PKB's Aggregated FHIR API had a server error (502).");
  });

  it("masks identifiers, e-mails and token-like words in PKB's free text", () => {
    expect(
      maskFreeText(
        "Patient 943 476 5919 (0b7f1a52-1111-4111-8111-111111111111, ann@example.com) token eyJhbGciOiJIUzI1NiJ9abcdefghijkl",
      ),
    ).toBe("Patient [number] ([id], [e-mail]) token [redacted]");
    const error = new PkbApiError({
      surface: "rest",
      endpoint: "users-by-national-id",
      kind: "http",
      status: 404,
      detail: "No user with NHS number 9434765919",
    });
    expect(error.message).not.toContain("9434765919");
    expect(error.message).toContain("[number]");
  });
});
