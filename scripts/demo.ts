import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { openDatabase, setDatabase } from "../app/platform/db.server.ts";
import { upsertStaffAccount } from "../app/modules/auth/staff-seed.server.ts";
import { saveTwoStepPolicy } from "../app/modules/auth/two-step/policy.server.ts";
import { loadSsoConfig, saveSsoSettings } from "../app/modules/auth/sso/settings.server.ts";
import { SYSTEM_ACTOR } from "../app/modules/audit/audit.server.ts";
import { endpointsForOrigin } from "../app/modules/pkb/endpoints.ts";
import { ensureConnection } from "../app/modules/pkb/connections.server.ts";
import type { Role } from "../app/generated/prisma/enums.ts";
import { startSandbox } from "../sandbox/src/server.ts";
import { startTrustIdp, type RunningTrustIdp } from "../sandbox/src/idp/server.ts";

/**
 * `npm run demo`: everything on this machine with no set-up — builds the portal, prepares the
 * embedded database with demo staff accounts, starts the PKB sandbox with its synthetic
 * population, starts the portal wired to it, and prints where and how to sign in.
 * Demo secrets and passwords are generated once and kept in ./data/demo.json.
 */
const DATA_DIR = path.resolve(process.env.PKB_DESK_DEMO_DIR ?? "data");
const PORT = Number(process.env.PORT ?? 3000);
const SANDBOX_PORT = Number(process.env.SANDBOX_PORT ?? 4010);
const IDP_PORT = Number(process.env.IDP_PORT ?? 4011);

interface DemoState {
  sessionSecret: string;
  encryptionKeys: string;
  password: string;
}

async function loadDemoState(): Promise<DemoState> {
  const file = path.join(DATA_DIR, "demo.json");
  if (existsSync(file)) return JSON.parse(await readFile(file, "utf8")) as DemoState;
  const state: DemoState = {
    sessionSecret: randomBytes(32).toString("base64url"),
    encryptionKeys: `demo1:${randomBytes(32).toString("base64")}`,
    // Readable, long, random: fine for a demo on localhost; each machine gets its own.
    password: `demo-${randomBytes(9).toString("base64url")}`,
  };
  await mkdir(DATA_DIR, { recursive: true });
  await writeFile(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

const DEMO_STAFF: Array<{ email: string; displayName: string; role: Role; teamNames: string[] }> = [
  { email: "admin@demo.pkbdesk.test", displayName: "Alex Admin", role: "ADMIN", teamNames: [] },
  {
    email: "campaigns@demo.pkbdesk.test",
    displayName: "Casey Campaigns",
    role: "CAMPAIGN_MANAGER",
    teamNames: [],
  },
  {
    email: "lead@demo.pkbdesk.test",
    displayName: "Lee Lead",
    role: "TEAM_LEAD",
    teamNames: ["Cardiology appointments", "Dermatology appointments"],
  },
  {
    email: "handler@demo.pkbdesk.test",
    displayName: "Harper Handler",
    role: "REQUEST_HANDLER",
    teamNames: ["Cardiology appointments"],
  },
  { email: "viewer@demo.pkbdesk.test", displayName: "Vic Viewer", role: "VIEWER", teamNames: [] },
];

async function main() {
  console.log("Building PKB Desk…");
  const build = spawnSync("npx", ["remix", "vite:build"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (build.status !== 0) throw new Error("the build failed");

  const state = await loadDemoState();
  // The connection's client secrets are sealed with the key the portal will run with.
  process.env.ENCRYPTION_KEYS = state.encryptionKeys;

  console.log("Starting the PKB sandbox…");
  const callback = `http://localhost:${PORT}/pkb/oauth/callback`;
  const sandbox = await startSandbox({ port: SANDBOX_PORT, extraRedirectUris: [callback] });
  console.log("Starting the trust's identity provider…");
  const idp = await startTrustIdp({
    port: IDP_PORT,
    extraRedirectUris: [`http://localhost:${PORT}/auth/sso/callback`],
  });

  const dataDir = path.join(DATA_DIR, "pglite");
  console.log("Preparing the embedded database…");
  const database = await openDatabase({ dataDir });
  for (const staff of DEMO_STAFF) {
    await upsertStaffAccount(database.prisma, { ...staff, password: state.password });
  }
  // The sandbox's trust, ready for a clinician to grant access (Administration → PKB connection).
  setDatabase(database);
  // The demo's printed password signs every demo account in: two-step sign-in is not required
  // (an administrator turns it on under "Sign-in security"; ADR 0017). Only on first start: a
  // rule the demo's admin chose later is kept.
  if ((await database.prisma.twoStepRolePolicy.count()) === 0) {
    await saveTwoStepPolicy(
      {
        ADMIN: false,
        CAMPAIGN_MANAGER: false,
        TEAM_LEAD: false,
        REQUEST_HANDLER: false,
        VIEWER: false,
        KIOSK: false,
      },
      { actor: SYSTEM_ACTOR, clientAddress: null },
    );
  }
  await connectTrustIdp(idp);
  const trust = sandbox.organisations[0]!;
  const client = (kind: "user" | "system" | "aggregated") => {
    const found = sandbox.clients.find((candidate) => candidate.kind === kind);
    if (!found) throw new Error(`the sandbox has no ${kind} client`);
    return found;
  };
  await ensureConnection(
    {
      label: `${trust.name} (PKB sandbox)`,
      ...endpointsForOrigin(sandbox.url),
      userClientId: client("user").id,
      userClientSecret: client("user").secret,
      redirectUri: callback,
      systemClientId: client("system").id,
      systemClientSecret: client("system").secret,
      aggregatedClientId: client("aggregated").id,
      aggregatedClientSecret: client("aggregated").secret,
      organisationPublicId: trust.publicId,
      nominatedTeamName: "Appointments team",
    },
    { actor: SYSTEM_ACTOR, clientAddress: null },
  );
  setDatabase(undefined);
  await database.close();

  const portal = spawn(process.execPath, ["--import", "tsx", "server/index.ts"], {
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(PORT),
      APP_ORIGIN: `http://localhost:${PORT}`,
      PGLITE_DATA_DIR: dataDir,
      SESSION_SECRET: state.sessionSecret,
      ENCRYPTION_KEYS: state.encryptionKeys,
      PKB_BASE_URL: sandbox.url,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
  });

  const stop = async () => {
    portal.kill("SIGTERM");
    await Promise.all([sandbox.close(), idp.close()]);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  portal.on("exit", (code) => {
    void Promise.all([sandbox.close(), idp.close()]).finally(() => process.exit(code ?? 0));
  });

  await waitForReady(`http://localhost:${PORT}/readyz`);
  const width = Math.max(...DEMO_STAFF.map((staff) => staff.email.length));
  const idpWidth = Math.max(...idp.identities.map((person) => person.email.length));
  console.log(`
────────────────────────────────────────────────────────────────────────
 PKB Desk demo is running (embedded database in ${path.relative(process.cwd(), dataDir)})

   Portal:       http://localhost:${PORT}
   PKB sandbox:  ${sandbox.url}   (clinician login ${sandbox.demoLogin.username} / ${sandbox.demoLogin.password})

 Sign in to the portal with any of these (password for all: ${state.password}):
${DEMO_STAFF.map((staff) => `   ${staff.email.padEnd(width)}  ${staff.role.toLowerCase().replace("_", " ")}`).join("\n")}

 Or press "Sign in with your trust account" and sign in at the trust's identity provider
 (${idp.issuer}, a sandbox) as one of these (password for all: ${idp.identities[0]!.password}):
${idp.identities.map((person) => `   ${person.email.padEnd(idpWidth)}  ${person.about}`).join("\n")}
 Their groups give them their role and team on first sign-in (Administration → Single sign-on).

 Two-step sign-in is not required for the demo accounts; turn it on for a role under
 "Sign-in security", or for yourself under "Your account" → two-step sign-in.

 PKB connection: the sandbox's trust is set up. Sign in as the administrator, open
 "PKB connection" and press "Grant access" to sign in there as the sandbox's clinician.

 Stop with Ctrl+C.
────────────────────────────────────────────────────────────────────────`);
}

/**
 * "Sign in with your trust account" against the sandbox's identity provider: issuer, client, the
 * trust's domain and its group → role and team lines. Stored on first start; later starts only
 * follow the provider's address and client (an admin's other choices, e.g. SSO only, are kept),
 * unless the admin pointed single sign-on at another provider.
 */
async function connectTrustIdp(idp: RunningTrustIdp) {
  const existing = await loadSsoConfig();
  if (existing && !/^http:\/\/(127\.0\.0\.1|localhost):\d+$/.test(existing.issuer)) return;
  const mapping = idp.suggestedMapping;
  await saveSsoSettings(
    {
      enabled: existing?.enabled ?? true,
      issuer: idp.issuer,
      clientId: idp.client.id,
      clientSecret: idp.client.secret,
      allowedDomains: existing?.allowedDomains ?? [...mapping.allowedDomains],
      unknownUsers: existing?.unknownUsers ?? "CREATE",
      defaultRole: existing?.defaultRole ?? "VIEWER",
      groupRoles: existing?.groupRoles ?? mapping.groupRoles.map((line) => ({ ...line })),
      groupTeams: existing?.groupTeams ?? mapping.groupTeams.map((line) => ({ ...line })),
      ssoOnly: existing?.ssoOnly ?? false,
      breakGlassEmails: existing?.breakGlassEmails ?? [],
    },
    { actor: SYSTEM_ACTOR, clientAddress: null },
  );
}

async function waitForReady(url: string) {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the portal did not become ready at ${url}`);
}

main().catch((error: unknown) => {
  console.error(
    `The demo could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
