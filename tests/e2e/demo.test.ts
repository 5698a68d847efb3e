import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium, screenshot } from "../support/browser.ts";
import { freePort } from "../support/portal-process.ts";

/**
 * The README's first command, as a newcomer runs it: `npm run demo` builds, starts the sandbox and
 * the portal, and prints where and how to sign in. We read the printed credentials and sign in.
 */
let demo: ChildProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  if (demo && demo.exitCode == null) {
    const exited = new Promise((resolve) => demo!.once("exit", resolve));
    // npm → sh → tsx → portal: signal the whole process group.
    process.kill(-demo.pid!, "SIGTERM");
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("npm run demo", () => {
  it("starts the sandbox and the portal, prints both addresses, and the printed admin sign-in works", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "pkbdesk-demo-"));
    const [port, sandboxPort, idpPort] = [await freePort(), await freePort(), await freePort()];
    let output = "";
    demo = spawn("npm", ["run", "demo"], {
      env: {
        ...process.env,
        PORT: String(port),
        SANDBOX_PORT: String(sandboxPort),
        IDP_PORT: String(idpPort),
        PKB_DESK_DEMO_DIR: dir,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    demo.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const started = Date.now();
    while (!output.includes("Stop with Ctrl+C")) {
      if (demo.exitCode != null) throw new Error(`demo exited:\n${output}`);
      if (Date.now() - started > 110_000) throw new Error(`demo did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(output).toContain(`Portal:       http://localhost:${port}`);
    expect(output).toContain(`PKB sandbox:  http://127.0.0.1:${sandboxPort}`);
    const password = /password for all: (\S+)\)/.exec(output)?.[1];
    expect(password).toBeTruthy();

    const metadata = await fetch(`http://127.0.0.1:${sandboxPort}/fhir/metadata`);
    expect(metadata.status).toBe(200);
    expect((await metadata.json()) as { resourceType: string }).toMatchObject({
      resourceType: "CapabilityStatement",
    });

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${port}/`);
      await page.getByLabel("E-mail address").fill("admin@demo.pkbdesk.test");
      await page.getByLabel("Password").fill(password!);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect.poll(() => page.locator("h1").textContent()).toContain("Hello, Alex Admin");
      await screenshot(page, "demo-admin-home");

      // "Sign in with your trust account" works too: the printed identity provider and person.
      expect(output).toContain(`(http://127.0.0.1:${idpPort}, a sandbox)`);
      const idpPassword = /password for all: (\S+)\):\n\s+(\S+@riverside\.nhs\.test)/.exec(output);
      expect(idpPassword).toBeTruthy();
      const staff = await browser.newPage();
      await staff.goto(`http://localhost:${port}/login`);
      await staff.getByRole("button", { name: "Sign in with your trust account" }).click();
      await staff.waitForURL((url) => url.port === String(idpPort));
      await staff.getByLabel("E-mail address").fill(idpPassword![2]!);
      await staff.getByLabel("Password").fill(idpPassword![1]!);
      await staff.getByRole("button", { name: "Sign in", exact: true }).click();
      await staff.getByRole("button", { name: "Allow", exact: true }).click();
      await expect.poll(() => staff.locator("h1").textContent()).toContain("Hello, Morgan Price");
    } finally {
      await browser.close();
    }
  });
});
