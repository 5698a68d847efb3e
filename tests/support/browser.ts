import { mkdir } from "node:fs/promises";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Debian's Chromium, driven by playwright-core (no browser download; DESIGN.md). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    // Date fields format by the browser's own language (from the environment on Linux), not the
    // page's: UK order (dd/mm/yyyy) needs this and the chromium-l10n package, which .ci/run installs.
    env: { ...process.env, LANGUAGE: "en_GB" },
  });
}

/** A browser profile like a trust desktop's: UK English, UK time. */
export function ukContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ locale: "en-GB", timezoneId: "Europe/London" });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.resolve("test-results/e2e");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** axe-core against WCAG 2.0–2.2 A/AA; returns the serious and critical violations. */
export async function seriousAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(" ")).slice(0, 5),
    }));
}
