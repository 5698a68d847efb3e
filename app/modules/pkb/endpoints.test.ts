import { describe, expect, it } from "vitest";
import { endpointsForOrigin, joinUrl, pkbEndpointsSchema } from "./endpoints.ts";

describe("PKB endpoints", () => {
  it("lays every surface out under one origin, as the sandbox does", () => {
    expect(endpointsForOrigin("http://127.0.0.1:4010/ignored/path")).toEqual({
      webBaseUrl: "http://127.0.0.1:4010",
      systemTokenUrl: "http://127.0.0.1:4010/api/oauth/token",
      aggregatedTokenUrl: "http://127.0.0.1:4010/auth/realms/pkb/protocol/openid-connect/token",
      facadeBaseUrl: "http://127.0.0.1:4010/fhir",
      restBaseUrl: "http://127.0.0.1:4010/json",
      aggregatedBaseUrl: "http://127.0.0.1:4010/aggregated/fhir",
    });
    expect(joinUrl("https://pkb.example/fhir/", "/Patient/$status-query")).toBe(
      "https://pkb.example/fhir/Patient/$status-query",
    );
  });

  it("validates settings: http(s) only, no credentials or fragments, trailing slashes dropped", () => {
    const good = {
      ...endpointsForOrigin("https://pkb.example"),
      facadeBaseUrl: "https://pkb.example/fhir/",
    };
    expect(pkbEndpointsSchema.parse(good).facadeBaseUrl).toBe("https://pkb.example/fhir");
    for (const bad of [
      "ftp://pkb.example/fhir",
      "https://user:pw@pkb.example/fhir",
      "https://pkb.example/fhir#x",
      "pkb.example/fhir",
    ]) {
      expect(pkbEndpointsSchema.safeParse({ ...good, facadeBaseUrl: bad }).success, bad).toBe(
        false,
      );
    }
  });
});
