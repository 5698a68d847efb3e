import { describe, expect, it } from "vitest";
import { safeRedirect } from "./guard.server.ts";

describe("safeRedirect (no open redirect)", () => {
  it.each([
    ["/admin/users?x=1#top", "/admin/users?x=1#top"],
    ["/", "/"],
  ])("keeps the same-site path %s", (input, expected) => {
    expect(safeRedirect(input)).toBe(expected);
  });

  it.each([
    "https://evil.example/",
    "//evil.example/path",
    "/\\\\evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/%0d%0aSet-Cookie:x",
    "/\\t/evil.example",
    "",
    null,
    undefined,
  ])("falls back for %j", (input) => {
    const result = safeRedirect(input as string | null | undefined);
    expect(result.startsWith("/")).toBe(true);
    expect(result.startsWith("//")).toBe(false);
    expect(new URL(result, "http://pkbdesk.invalid").host).toBe("pkbdesk.invalid");
  });

  it("falls back to the home page for an absolute URL", () => {
    expect(safeRedirect("https://evil.example/")).toBe("/");
    expect(safeRedirect("//evil.example")).toBe("/");
  });
});
