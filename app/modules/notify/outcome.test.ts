import { describe, expect, it } from "vitest";
import { classifySendFailure, classifySendResponse, maskNotifyMessage } from "./outcome.ts";

/** The classification table of ADR 0015, row by row, for answers the sandbox does not produce. */
describe("classifySendResponse", () => {
  const id = "3f1e8a9b-2c4d-4e6f-8a0b-1c2d3e4f5a6b";

  it("is sent only with a readable Notify id; a 201 without one is unknown", () => {
    expect(classifySendResponse(201, { id, reference: "d-1" }, {})).toEqual({
      kind: "sent",
      notifyId: id,
      reference: "d-1",
    });
    expect(classifySendResponse(201, "<html>ok</html>", {}).kind).toBe("outcome-unknown");
    expect(classifySendResponse(201, { id: "nope" }, {}).kind).toBe("outcome-unknown");
  });

  it("treats gateway answers (502, 504) as unknown, and Notify's 500 and 503 as temporary", () => {
    expect(classifySendResponse(504, "Gateway Timeout", {})).toMatchObject({
      kind: "outcome-unknown",
      httpStatus: 504,
    });
    expect(classifySendResponse(502, null, {}).kind).toBe("outcome-unknown");
    expect(classifySendResponse(500, null, {})).toMatchObject({
      kind: "temporary-failure",
      cause: "notify-error",
    });
    expect(classifySendResponse(503, null, { "retry-after": "30" })).toMatchObject({
      kind: "temporary-failure",
      retryAfterSeconds: 30,
    });
  });

  it("reads Retry-After as seconds or as an HTTP-date, and ignores garbage", () => {
    const now = Date.parse("2026-12-03T10:00:00Z");
    const at = new Date(now + 20_000).toUTCString();
    expect(classifySendResponse(429, null, { "retry-after": at }, now)).toMatchObject({
      retryAfterSeconds: 20,
    });
    expect(classifySendResponse(429, null, { "retry-after": "soon" }, now)).toMatchObject({
      cause: "rate-limited",
      retryAfterSeconds: null,
    });
  });

  it("treats a refused key, a wrong address or a redirect as a configuration problem", () => {
    for (const status of [401, 403, 404, 301, 415]) {
      expect(classifySendResponse(status, null, {})).toMatchObject({
        kind: "temporary-failure",
        cause: "configuration",
      });
    }
  });
});

describe("classifySendFailure", () => {
  it("is temporary when the request never left, unknown when it did", () => {
    expect(classifySendFailure(false, "ECONNREFUSED")).toMatchObject({
      kind: "temporary-failure",
      cause: "unreachable",
    });
    expect(classifySendFailure(true, "ECONNRESET").kind).toBe("outcome-unknown");
    expect(classifySendFailure(true, "ETIMEDOUT").kind).toBe("outcome-unknown");
  });
});

describe("maskNotifyMessage", () => {
  it("hides numbers and addresses a message might quote", () => {
    expect(maskNotifyMessage("Can't send to 07700 900123 or ann@example.com")).toBe(
      "Can't send to [number] or [e-mail]",
    );
    expect(maskNotifyMessage("phone_number Not a UK mobile number")).toBe(
      "phone_number Not a UK mobile number",
    );
  });
});
