import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { clientsFileSchema } from "./config.ts";
import { parseFaultFlag, type FaultTable } from "./faults.ts";
import { startTrustIdp, type RunningTrustIdp } from "./idp/server.ts";
import { DEFAULT_NOTIFY_API_KEY, DEFAULT_NOTIFY_TEMPLATES } from "./notify/config.ts";
import { startSandbox, type SandboxOptions } from "./server.ts";

const USAGE = `PKB sandbox — a scriptable Patients Know Best on localhost

Usage: npm run sandbox -- [options]

  --port N                 port (default 4010; 0 = random)
  --host H                 interface (default 127.0.0.1)
  --seed N                 population seed (default 42)
  --patients N             patients (default 2000)
  --appointments N         appointments (default 5 per patient)
  --now ISO                start the clock here (default: real now)
  --latency MS             fixed latency on every API call
  --fault SPEC             fault rule, repeatable: target:key=value,…
                           e.g. facade.generate-invitation-tokens:rate429=0.05,retryAfterSeconds=2
  --clients-file FILE      JSON {"clients":[…]} replacing the default clients
  --redirect-uri URI       extra redirect URI for the pkb-desk user client (repeatable)
  --admin-key KEY          key for /_sandbox/ controls (default sandbox-admin-key)
  --token-lifetime S       access-token lifetime in seconds (default 600)
  --session-lifetime S     refresh-token session lifetime in seconds (default 2592000)
  --public-base-url URL    absolute base for links the sandbox writes
  --strict-identifiers     reject bad check digits with 400 instead of "Not found"
  --notify-callback URL    where the Notify stand-in POSTs delivery receipts
  --notify-callback-token T  the bearer token it sends with them (10+ characters)
  --idp-port N             the trust identity provider's port (default 4011; 0 = random)
  --idp-redirect-uri URI   extra redirect URI for the portal's SSO client (repeatable)
  --without-idp            do not start the trust identity provider
  --help
`;

function main(): void {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      seed: { type: "string" },
      patients: { type: "string" },
      appointments: { type: "string" },
      now: { type: "string" },
      latency: { type: "string" },
      fault: { type: "string", multiple: true },
      "clients-file": { type: "string" },
      "redirect-uri": { type: "string", multiple: true },
      "admin-key": { type: "string" },
      "token-lifetime": { type: "string" },
      "session-lifetime": { type: "string" },
      "public-base-url": { type: "string" },
      "strict-identifiers": { type: "boolean" },
      "notify-callback": { type: "string" },
      "notify-callback-token": { type: "string" },
      "idp-port": { type: "string" },
      "idp-redirect-uri": { type: "string", multiple: true },
      "without-idp": { type: "boolean" },
      help: { type: "boolean" },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const int = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
    return n;
  };
  const faults: FaultTable = {};
  for (const flag of values.fault ?? []) Object.assign(faults, parseFaultFlag(flag));
  const options: SandboxOptions = {
    port: int("port", values.port) ?? 4010,
    ...(values.host ? { host: values.host } : {}),
    ...(values.seed ? { seed: int("seed", values.seed) } : {}),
    ...(values.patients ? { patients: int("patients", values.patients) } : {}),
    ...(values.appointments ? { appointments: int("appointments", values.appointments) } : {}),
    ...(values.now ? { now: values.now } : {}),
    ...(values.latency ? { latencyMs: int("latency", values.latency) } : {}),
    ...(values["admin-key"] ? { adminKey: values["admin-key"] } : {}),
    ...(values["token-lifetime"]
      ? { accessTokenLifetimeSeconds: int("token-lifetime", values["token-lifetime"]) }
      : {}),
    ...(values["session-lifetime"]
      ? { sessionLifetimeSeconds: int("session-lifetime", values["session-lifetime"]) }
      : {}),
    ...(values["public-base-url"] ? { publicBaseUrl: values["public-base-url"] } : {}),
    ...(values["redirect-uri"] ? { extraRedirectUris: values["redirect-uri"] } : {}),
    ...(values["strict-identifiers"] ? { strictIdentifiers: true } : {}),
    ...(values["notify-callback"]
      ? {
          notify: {
            callbackUrl: values["notify-callback"],
            callbackBearerToken: values["notify-callback-token"] ?? "",
          },
        }
      : {}),
    faults,
  };
  if (values["clients-file"]) {
    options.clients = clientsFileSchema.parse(
      JSON.parse(readFileSync(values["clients-file"], "utf8")),
    ).clients;
  }
  const started = Date.now();
  const idpPort = int("idp-port", values["idp-port"]) ?? 4011;
  const startIdp = (): Promise<RunningTrustIdp | null> =>
    values["without-idp"]
      ? Promise.resolve(null)
      : startTrustIdp({
          port: idpPort,
          ...(values.host ? { host: values.host } : {}),
          ...(values["idp-redirect-uri"] ? { extraRedirectUris: values["idp-redirect-uri"] } : {}),
        });
  Promise.all([startSandbox(options), startIdp()]).then(
    ([sandbox, idp]) => {
      const s = sandbox.summary();
      console.log(
        `PKB sandbox listening on ${sandbox.url}  (population built in ${Date.now() - started} ms)`,
      );
      console.log(`  front door: ${sandbox.url}/  (surfaces, logins, call log, population)`);
      console.log(
        `  seed ${s.seed}: ${s.counts.patients} patients, ${s.counts.appointments} appointments, ${s.counts.messages} messages, ${s.counts.documents} documents`,
      );
      console.log(
        `  demo clinician login: ${sandbox.demoLogin.username} / ${sandbox.demoLogin.password}`,
      );
      console.log("  organisations (the first is the trust):");
      for (const org of sandbox.organisations) {
        console.log(`    ${org.publicId}  ${org.odsCode}  ${org.name}`);
      }
      console.log("  clients:");
      for (const c of sandbox.clients) {
        const extra = c.kind === "user" ? `  redirect ${c.redirectUris.join(" ")}` : "";
        console.log(`    ${c.kind.padEnd(10)} ${c.id} / ${c.secret}${extra}`);
      }
      console.log(
        `  endpoints: ${sandbox.url}/apiAuthorize.action  ${sandbox.url}/fhir  ${sandbox.url}/json  ${sandbox.url}/aggregated/fhir  ${sandbox.url}/join`,
      );
      console.log(`  GOV.UK Notify: ${sandbox.url}/v2  API key ${DEFAULT_NOTIFY_API_KEY}`);
      for (const t of DEFAULT_NOTIFY_TEMPLATES) {
        console.log(`    template ${t.id}  ${t.type.padEnd(5)} ${t.name}`);
      }
      console.log(
        `  controls: ${sandbox.url}/_sandbox  (header X-Sandbox-Admin-Key: ${sandbox.adminKey})`,
      );
      if (idp) {
        console.log(`Trust identity provider (OpenID Connect) listening on ${idp.issuer}`);
        console.log(`  issuer: ${idp.issuer}  (discovery: /.well-known/openid-configuration)`);
        console.log(
          `  portal client: ${idp.client.id} / ${idp.client.secret}  redirect ${idp.client.redirectUris.join(" ")}`,
        );
        console.log("  staff (e-mail / password):");
        for (const person of idp.identities) {
          console.log(`    ${person.email} / ${person.password}  ${person.about}`);
        }
      }
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(`\n${signal}: stopping the sandbox`);
        Promise.all([sandbox.close(), idp?.close()]).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGTERM", () => stop("SIGTERM"));
    },
    (error: unknown) => {
      console.error("sandbox failed to start:", error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  console.error(USAGE);
  process.exit(2);
}
