import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_RESPONSE_BYTES } from "./http.server.ts";
import { endpointsForOrigin } from "./endpoints.ts";
import { classifyTokenError, refreshTokens } from "./oauth-client.server.ts";
import type { ConnectionCredentials } from "./connections.server.ts";
import { sendJson, startStandIn } from "./testing/pkb-sandbox.ts";

/** The clinician's token calls against a stand-in token endpoint that misbehaves. */
function credentialsFor(origin: string): ConnectionCredentials {
  return {
    id: "00000000-0000-4000-8000-000000000000",
    endpoints: endpointsForOrigin(origin),
    userClient: { id: "desk", secret: "s3cret", redirectUri: `${origin}/pkb/oauth/callback` },
    systemClient: { id: "sys", secret: "x" },
    aggregatedClient: { id: "agg", secret: "y" },
    organisationPublicId: "0f8fad5b-d9cb-469f-a165-70867728950e",
    nominatedTeamName: "Team",
  };
}

describe("user token calls", () => {
  it("refuses a token answer larger than the response cap instead of reading it all", async () => {
    const padding = "z".repeat(DEFAULT_MAX_RESPONSE_BYTES + 1024);
    const standIn = await startStandIn((_req, res) =>
      sendJson(res, 200, {
        access_token: "new-access",
        refresh_token: "new-refresh",
        token_type: "Bearer",
        expires_in: 600,
        padding,
      }),
    );
    try {
      const error = await refreshTokens(credentialsFor(standIn.url), "old-refresh").catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      // The grant is left as it was and the next attempt may succeed.
      expect(classifyTokenError(error).kind).toBe("transient");
    } finally {
      await standIn.close();
    }
  });

  it("still reads an ordinary token answer", async () => {
    const standIn = await startStandIn((_req, res) =>
      sendJson(res, 200, {
        access_token: "new-access",
        refresh_token: "new-refresh",
        token_type: "Bearer",
        expires_in: 600,
      }),
    );
    try {
      const tokens = await refreshTokens(credentialsFor(standIn.url), "old-refresh");
      expect(tokens).toMatchObject({ accessToken: "new-access", refreshToken: "new-refresh" });
    } finally {
      await standIn.close();
    }
  });
});
