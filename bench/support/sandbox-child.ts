/**
 * A PKB sandbox in its own process for benchmarks (PKB is another machine in real life: its CPU
 * must not share the portal's event loop). argv[2] is the JSON of SandboxOptions; prints one JSON
 * line {url, adminKey, trustPublicId} when listening and closes on SIGTERM.
 */
import { startSandbox, type SandboxOptions } from "../../sandbox/src/server.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as SandboxOptions;
const sandbox = await startSandbox({ port: 0, ...options });
process.stdout.write(
  `${JSON.stringify({
    url: sandbox.url,
    adminKey: sandbox.adminKey,
    trustPublicId: sandbox.organisations[0]!.publicId,
  })}\n`,
);
process.on("SIGTERM", () => {
  void sandbox.close().then(() => process.exit(0));
});
