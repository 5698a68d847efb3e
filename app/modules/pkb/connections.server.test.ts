import { describe, expect, it } from "vitest";
import * as newRoute from "~/routes/_shell.admin.pkb.new/route.tsx";
import * as settingsRoute from "~/routes/_shell.admin.pkb.$connectionId.settings/route.tsx";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { post, get, settle, signedInAs } from "../../../tests/support/requests.ts";
import { ConnectionFormSchema } from "./connection-forms.ts";
import { endpointsForOrigin } from "./endpoints.ts";
import { loadConnectionCredentials } from "./connections.server.ts";
import { unseal } from "./secrets.server.ts";

/** Connection settings: field-by-field validation, secrets sealed and never sent back. */
withTestDatabase();

const ORG = "6f1c2d3e-4a5b-4c6d-8e7f-901234567890";
const valid = {
  label: "Riverside",
  ...endpointsForOrigin("https://pkb.example.nhs.uk"),
  userClientId: "pkb-desk",
  userClientSecret: "user-secret-value-1234",
  redirectUri: "https://desk.example.nhs.uk/pkb/oauth/callback",
  systemClientId: "pkb-desk-system",
  systemClientSecret: "system-secret-value-5678",
  aggregatedClientId: "pkb-desk-aggregated",
  aggregatedClientSecret: "aggregated-secret-value-9012",
  organisationPublicId: ORG,
  nominatedTeamName: "Appointments team",
};

function messages(input: Record<string, string>) {
  const result = ConnectionFormSchema.safeParse(input);
  return result.success
    ? {}
    : Object.fromEntries(result.error.issues.map((issue) => [issue.path[0], issue.message]));
}

/** Runs an action that answers with Remix's data(): its payload and status. */
async function run(action: () => Promise<unknown>) {
  try {
    const result = (await action()) as { data: unknown; init?: { status?: number } } | Response;
    if (result instanceof Response) return { status: result.status, response: result };
    return { status: result.init?.status ?? 200, data: result.data as Record<string, unknown> };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, response: thrown };
    throw thrown;
  }
}

describe("validation", () => {
  it("accepts https everywhere and http only on this machine", () => {
    expect(messages(valid)).toEqual({});
    expect(
      messages({
        ...valid,
        ...endpointsForOrigin("http://127.0.0.1:4010"),
        redirectUri: "http://localhost:3000/pkb/oauth/callback",
      }),
    ).toEqual({});
    expect(messages({ ...valid, restBaseUrl: "http://pkb.example.nhs.uk/json" })).toEqual({
      restBaseUrl:
        "The Custom REST address must use https:// (http:// is allowed only for localhost or 127.0.0.1)",
    });
    expect(messages({ ...valid, facadeBaseUrl: "ftp://pkb.example.nhs.uk/fhir" })).toEqual({
      facadeBaseUrl: "The FHIR Facade address must start with https://",
    });
    expect(messages({ ...valid, webBaseUrl: "pkb.example.nhs.uk" })).toEqual({
      webBaseUrl: "The web and sign-in address must be a full web address",
    });
    expect(messages({ ...valid, organisationPublicId: "not-a-uuid" }).organisationPublicId).toMatch(
      /public id, a UUID/,
    );
    expect(messages({ ...valid, label: " " })).toEqual({
      label: "Enter a name for this PKB organisation",
    });
    expect(messages({ ...valid, userClientId: "has space" })).toEqual({
      userClientId: "The user client id must not contain spaces or unusual characters",
    });
  });

  it("fills the six addresses from one origin, as the sandbox lays them out", () => {
    expect(endpointsForOrigin("http://127.0.0.1:4010/")).toEqual({
      webBaseUrl: "http://127.0.0.1:4010",
      systemTokenUrl: "http://127.0.0.1:4010/api/oauth/token",
      aggregatedTokenUrl: "http://127.0.0.1:4010/auth/realms/pkb/protocol/openid-connect/token",
      facadeBaseUrl: "http://127.0.0.1:4010/fhir",
      restBaseUrl: "http://127.0.0.1:4010/json",
      aggregatedBaseUrl: "http://127.0.0.1:4010/aggregated/fhir",
    });
  });
});

describe("the settings pages", () => {
  it("stores secrets sealed to the row, never sends them back, and keeps them when left blank", async () => {
    const admin = await signedInAs("ADMIN");
    const created = await run(() =>
      newRoute.action({ request: post("/admin/pkb/new", valid, admin), params: {}, context: {} }),
    );
    expect(created.status).toBe(302);
    const id = created.response!.headers.get("Location")!.split("/").pop()!;

    const db = await prisma();
    const row = await db.pkbConnection.findUniqueOrThrow({ where: { id } });
    for (const field of [
      "userClientSecret",
      "systemClientSecret",
      "aggregatedClientSecret",
    ] as const) {
      expect(row[field]).toMatch(/^v1\./);
      expect(row[field]).not.toContain(valid[field]);
      expect(unseal(row[field], id)).toBe(valid[field]);
    }

    const page = await settle(async () =>
      settingsRoute.loader({
        request: get(`/admin/pkb/${id}/settings`, admin),
        params: { connectionId: id },
        context: {},
      }),
    );
    const body = await page.text();
    for (const secret of [
      valid.userClientSecret,
      valid.systemClientSecret,
      valid.aggregatedClientSecret,
    ]) {
      expect(body).not.toContain(secret);
    }
    expect(body).toContain('"userClientSecret":true');

    // Edit: change one secret, leave the others blank.
    const saved = await run(() =>
      settingsRoute.action({
        request: post(
          `/admin/pkb/${id}/settings`,
          {
            ...valid,
            userClientSecret: "",
            systemClientSecret: "a-new-system-secret",
            aggregatedClientSecret: "",
          },
          admin,
        ),
        params: { connectionId: id },
        context: {},
      }),
    );
    expect(saved.status).toBe(302);
    const credentials = await loadConnectionCredentials(id);
    expect(credentials?.userClient.secret).toBe(valid.userClientSecret);
    expect(credentials?.systemClient.secret).toBe("a-new-system-secret");
    expect(credentials?.aggregatedClient.secret).toBe(valid.aggregatedClientSecret);

    const audit = await db.auditEvent.findMany({ where: { entityId: id }, orderBy: { id: "asc" } });
    expect(audit.map((event) => event.action)).toEqual([
      "pkb.connection.create",
      "pkb.connection.update",
    ]);
    expect(audit[1]!.details).toEqual({ changedFields: ["systemClientSecret"] });
    expect(JSON.stringify(audit.map((event) => event.details))).not.toContain("secret-value");
  });

  it("answers bad input with a message per field, keeps what was typed, and never echoes a secret", async () => {
    const admin = await signedInAs("ADMIN");
    const result = await run(() =>
      newRoute.action({
        request: post(
          "/admin/pkb/new",
          {
            ...valid,
            label: "Second",
            restBaseUrl: "http://pkb.example.nhs.uk/json",
            systemClientSecret: "",
          },
          admin,
        ),
        params: {},
        context: {},
      }),
    );
    expect(result.status).toBe(400);
    const data = result.data as {
      errors: Array<{ field: string }>;
      values: Record<string, string>;
    };
    expect(data.errors.map((error) => error.field)).toEqual(["restBaseUrl", "systemClientSecret"]);
    expect(data.values.restBaseUrl).toBe("http://pkb.example.nhs.uk/json");
    expect(JSON.stringify(data)).not.toContain("secret-value");

    // A required secret missing on create is named too.
    const missing = await run(() =>
      newRoute.action({
        request: post(
          "/admin/pkb/new",
          { ...valid, label: "Third", systemClientSecret: "" },
          admin,
        ),
        params: {},
        context: {},
      }),
    );
    expect(missing.status).toBe(400);
    expect((missing.data as { errors: unknown }).errors).toEqual([
      { field: "systemClientSecret", message: "Enter the system client secret" },
    ]);
    // A second organisation with the same name.
    const clash = await run(() =>
      newRoute.action({ request: post("/admin/pkb/new", valid, admin), params: {}, context: {} }),
    );
    expect((clash.data as { errors: unknown }).errors).toEqual([
      { field: "label", message: "Another PKB organisation already has this name" },
    ]);
  });
});
