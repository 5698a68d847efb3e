import { describe, expect, it } from "vitest";
import { safeRedirect } from "./guard.server.ts";

describe("safeRedirect (no open redirect)", () => {
  it.each([
    ["/admin/users?x=1#top", "/admin/users?x=1#top"],
    ["/", "/"],
    // Encoded CR/LF stays encoded: a path, not a header break.
    ["/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"],
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
    "/\\t/evil.example",
    "",
    null,
    undefined,
  ])("falls back for %j", (input) => {
    expect(safeRedirect(input as string | null | undefined)).toBe("/");
  });

  it.each([
    "/.//evil.example/x",
    "/..//evil.example/x",
    "/%2e//evil.example",
    "/a/../..//evil.example",
  ])("falls back to the home page for dot-segment trick %j", (input) => {
    expect(safeRedirect(input)).toBe("/");
  });

  it("falls back to the home page for an absolute URL", () => {
    expect(safeRedirect("https://evil.example/")).toBe("/");
    expect(safeRedirect("//evil.example")).toBe("/");
  });
});
