import { z } from "zod";

/** Registered OAuth clients. The defaults are what the portal and the demo use with zero config. */
export const userScopeSchema = z.enum(["PATIENT", "CLINICIAN", "TEAMCOORD"]);

export const sandboxClientSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("user"),
    id: z.string().min(1),
    secret: z.string().min(1),
    name: z.string().default("PKB Desk"),
    owner: z.string().default("PKB Desk (sandbox)"),
    redirectUris: z.array(z.string().url()).min(1),
    scopes: z.array(userScopeSchema).default(["CLINICIAN", "TEAMCOORD"]),
  }),
  z.object({
    kind: z.literal("system"),
    id: z.string().min(1),
    secret: z.string().min(1),
    name: z.string().default("System client"),
    /** Organisation public ids that have authorised this client; "*" = every seeded organisation. */
    organisations: z.array(z.string()).default(["*"]),
  }),
  z.object({
    kind: z.literal("aggregated"),
    id: z.string().min(1),
    secret: z.string().min(1),
    name: z.string().default("Aggregated client"),
    organisations: z.array(z.string()).default(["*"]),
  }),
]);

export type SandboxClient = z.input<typeof sandboxClientSchema>;
export type RegisteredClient = z.output<typeof sandboxClientSchema>;

export const clientsFileSchema = z.object({ clients: z.array(sandboxClientSchema) });

export const DEFAULT_ADMIN_KEY = "sandbox-admin-key";
export const ADMIN_KEY_HEADER = "x-sandbox-admin-key";

export const DEFAULT_CLIENTS: SandboxClient[] = [
  {
    kind: "user",
    id: "pkb-desk",
    secret: "pkb-desk-sandbox-secret",
    name: "PKB Desk",
    owner: "Riverside University Hospitals NHS Foundation Trust",
    redirectUris: [
      "http://localhost:3000/pkb/oauth/callback",
      "http://127.0.0.1:3000/pkb/oauth/callback",
    ],
    scopes: ["CLINICIAN", "TEAMCOORD"],
  },
  {
    kind: "system",
    id: "pkb-desk-system",
    secret: "pkb-desk-system-secret",
    name: "PKB Desk (system)",
    organisations: ["*"],
  },
  {
    kind: "aggregated",
    id: "pkb-desk-aggregated",
    secret: "pkb-desk-aggregated-secret",
    name: "PKB Desk (aggregated)",
    organisations: ["*"],
  },
];

export function parseClients(input: unknown): RegisteredClient[] {
  return z.array(sandboxClientSchema).parse(input);
}
