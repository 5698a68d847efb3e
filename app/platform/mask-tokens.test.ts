import { describe, expect, it } from "vitest";
import { maskTokens } from "./mask-tokens.ts";

describe("maskTokens", () => {
  it("masks a set-password token but keeps ids and words", () => {
    expect(maskTokens("/set-password/Jx2m3kQ9vT0bZ8yWc4rN1uHa6sLd5eFgPq7oIiK-_aM")).toBe(
      "/set-password/:redacted",
    );
    expect(maskTokens("/admin/users/0b6f0c8e-4a1e-4f55-9c2b-2f1f7b0c9d11")).toBe(
      "/admin/users/0b6f0c8e-4a1e-4f55-9c2b-2f1f7b0c9d11",
    );
    expect(maskTokens("/admin/audit/export.csv")).toBe("/admin/audit/export.csv");
  });
});
