import { describe, expect, it } from "vitest";
import { currentSection } from "./app-header.tsx";

describe("the main navigation's current section", () => {
  it("is the longest section a page falls under, and only that one", () => {
    expect(currentSection("/requests")).toBe("/requests");
    expect(currentSection("/requests/3f0c1d2e-0000-4000-8000-000000000001")).toBe("/requests");
    expect(currentSection("/requests/routing")).toBe("/requests/routing");
    expect(currentSection("/requests/routing/new")).toBe("/requests/routing");
    expect(currentSection("/requests/sync")).toBe("/requests/sync");
    expect(currentSection("/requests-elsewhere")).toBeUndefined();
    expect(currentSection("/")).toBeUndefined();
    expect(currentSection("/admin/users/abc")).toBe("/admin/users");
  });
});
