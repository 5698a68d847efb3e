import { describe, expect, it } from "vitest";
import { readForm, safeRedirect } from "./guard.server.ts";

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

describe("readForm", () => {
  function chunkedBody(totalBytes: number): ReadableStream<Uint8Array> {
    let sent = 0;
    return new ReadableStream({
      pull(controller) {
        if (sent >= totalBytes) return controller.close();
        const chunk = new TextEncoder().encode("a=".padEnd(64 * 1024, "x"));
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
  }

  it("refuses an oversized body that declares no length, with 413", async () => {
    const request = new Request("http://localhost/login", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: chunkedBody(5 * 1024 * 1024),
      duplex: "half",
    } as RequestInit);
    const thrown = await readForm(request).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(413);
  });

  it("reads an ordinary form", async () => {
    const form = await readForm(
      new Request("http://localhost/x", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "name=Cardiology&teamIds=a&teamIds=b",
      }),
    );
    expect(form.get("name")).toBe("Cardiology");
    expect(form.getAll("teamIds")).toEqual(["a", "b"]);
  });
});
