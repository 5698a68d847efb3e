import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { SandboxOptions } from "../../sandbox/src/server.ts";
import { processCpuSeconds } from "./bench-database.ts";

export interface SandboxProcess {
  url: string;
  adminKey: string;
  trustPublicId: string;
  /** The sandbox process's own CPU seconds so far (user + system), from /proc. */
  cpuSeconds(): number | null;
  close(): Promise<void>;
}

/** Starts the sandbox in a child process (bench/support/sandbox-child.ts) and waits until it listens. */
export async function startSandboxProcess(options: SandboxOptions): Promise<SandboxProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/support/sandbox-child.ts", JSON.stringify(options)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for await (const line of createInterface({ input: child.stdout! })) {
    if (!line.startsWith("{")) continue;
    const ready = JSON.parse(line) as Pick<SandboxProcess, "url" | "adminKey" | "trustPublicId">;
    return {
      ...ready,
      cpuSeconds: () => processCpuSeconds(child.pid!),
      close: async () => {
        child.kill("SIGTERM");
        await exited;
      },
    };
  }
  throw new Error("the sandbox process ended before it was ready");
}
