import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { inflateSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MERGE_HEADER } from "~/modules/campaigns/delivery/letter/merge-csv.server.ts";
import { longDate } from "~/modules/campaigns/delivery/recipient-content.server.ts";
import {
  configureSandboxNotify,
  SANDBOX_CALLBACK_TOKEN,
  seedGeneratedCampaign,
  type SeedRecipient,
} from "~/modules/campaigns/delivery/testing.server.ts";
import { sandboxConnection } from "~/modules/campaigns/testing.server.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import { setDatabase } from "~/platform/db.server.ts";
import { launchChromium, ukContext } from "../support/browser.ts";
import { pageChecker, signIn, statusText } from "../support/e2e-steps.ts";
import { startPortal, STAFF_BY_ROLE, type RunningPortal } from "../support/portal-process.ts";

/**
 * Invitation delivery in Chromium against the production build and the sandbox (issue 9): from a
 * campaign whose codes are generated, a campaign manager edits and previews the wording, makes a
 * letter batch and downloads its PDF and mail-merge file (read back: one A4 page per letter, the
 * expiry printed, the address inside the envelope window, never a date of birth; the PDF drawn by
 * pdf.js in Chromium to PNG), then sends the text-message wave through the sandbox's
 * Notify-compatible API. The sandbox's own record of sends is the judge: two texts per patient,
 * none to the mobile two patients share (held for a person, shown with the reason on the page).
 * Delivery receipts come back by the sandbox POSTing to the portal's /notify/callback with the
 * bearer token, and the page shows the texts delivered.
 */
let portal: RunningPortal;
let pkb: TestSandbox;
let browser: Browser;
let campaignId: string;
const PORTAL_KEYS = `e2e1:${Buffer.alloc(32, 7).toString("base64")}`;
const checkPage = pageChecker("campaign-delivery");
const OUT = path.resolve("test-results/e2e");

// Noon UTC 30 days on: the same calendar day in UK time whatever the season.
const EXPIRES = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 30 * 86_400_000);
EXPIRES.setUTCHours(12);

const PATIENTS: Array<SeedRecipient & { givenName: string; familyName: string }> = [
  {
    givenName: "Ada",
    familyName: "Lovelace",
    mobile: "+447700900101",
    address: ["Flat 2, Ivy House", "12 Ivy Lane", "Riverside"],
    postcode: "RV1 2AB",
    dateOfBirth: new Date("1975-12-10"),
  },
  {
    givenName: "Ben",
    familyName: "Okafor",
    mobile: "07700 900102",
    address: ["4 Mill Road", "Riverside"],
    postcode: "RV2 7QT",
    dateOfBirth: new Date("1988-03-09"),
  },
  {
    givenName: "Chloe",
    familyName: "Smith",
    mobile: "+447700900155",
    address: ["9 Station Street", "Northgate"],
    postcode: "NG4 1AA",
    dateOfBirth: new Date("1961-07-14"),
  },
  {
    givenName: "David",
    familyName: "Smith",
    mobile: "+447700900155",
    address: ["9 Station Street", "Northgate"],
    postcode: "NG4 1AA",
    dateOfBirth: new Date("1959-02-21"),
  },
  {
    givenName: "Erin",
    familyName: "Patel",
    mobile: "+447700900104",
    address: [],
    postcode: null,
    dateOfBirth: new Date("1993-11-30"),
  },
  {
    givenName: "Farah",
    familyName: "Khan",
    mobile: "+447700900105",
    address: ["The Old Forge", "Church Lane", "Lower Ashby", "Riverside"],
    postcode: "RV9 3XY",
    dateOfBirth: new Date("1970-05-05"),
  },
];
const WITH_ADDRESS = PATIENTS.filter((p) => p.postcode);
const SHARED = "447700900155";

/** Every way a page could print a seeded date of birth. */
function dateOfBirthForms(date: Date): string[] {
  const d = date.getUTCDate();
  const m = date.getUTCMonth() + 1;
  const y = date.getUTCFullYear();
  const dd = String(d).padStart(2, "0");
  const mm = String(m).padStart(2, "0");
  return [
    date.toISOString().slice(0, 10),
    `${dd}/${mm}/${y}`,
    `${d}/${m}/${y}`,
    longDate(date),
    `${d} ${longDate(date).split(" ")[1]}`,
  ];
}

/** The text of a pdfkit PDF: each Flate stream inflated, its TJ arrays' hex strings decoded. */
function pdfText(pdf: Buffer): string {
  const source = pdf.toString("latin1");
  const out: string[] = [];
  for (const stream of source.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(stream[1]!, "latin1")).toString("latin1");
    } catch {
      continue; // an image or an uncompressed stream: no text
    }
    for (const match of content.matchAll(/\[((?:<[0-9a-fA-F]*>\s*-?[\d.]*\s*)+)\]\s*TJ/g)) {
      const hexes = [...match[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((m) => m[1]!);
      out.push(hexes.map((h) => Buffer.from(h, "hex").toString("latin1")).join(""));
    }
  }
  return out.join("\n");
}

async function downloadFile(page: Page, name: string): Promise<Buffer> {
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name }).first().click(),
  ]);
  return readFile((await file.path())!);
}

async function tableCells(page: Page, testId: string): Promise<string[][]> {
  return page
    .getByTestId(testId)
    .locator("tr")
    .evaluateAll((rows) =>
      rows.map((row) =>
        Array.from(row.querySelectorAll("th, td")).map((cell) => cell.textContent?.trim() ?? ""),
      ),
    );
}

/** The delivery page's count for a channel row and state column ("0" when the column is absent). */
async function countOf(page: Page, channel: string, state: string): Promise<string> {
  if ((await page.getByTestId("delivery-counts").count()) === 0) return "0";
  const [header, ...rows] = await tableCells(page, "delivery-counts");
  const column = header!.indexOf(state);
  const row = rows.find((r) => r[0] === channel);
  return column < 0 || !row ? "0" : row[column]!;
}

interface PdfJsPage {
  width: number;
  height: number;
  items: Array<{ str: string; x: number; baseline: number; size: number }>;
}

/** Runs in the browser page: pdf.js renders the first `save` pages and reads every page's text. */
const PDFJS_PAGE_SCRIPT = `
import * as pdfjs from "/build/pdf.mjs";
pdfjs.GlobalWorkerOptions.workerSrc = "/build/pdf.worker.mjs";
window.renderLetters = async (save) => {
  const doc = await pdfjs.getDocument({ url: "/letters.pdf", standardFontDataUrl: "/standard_fonts/" }).promise;
  const out = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const pdfPage = await doc.getPage(n);
    const viewport = pdfPage.getViewport({ scale: 1 });
    if (n <= save) {
      const scaled = pdfPage.getViewport({ scale: 1.5 });
      const canvas = document.createElement("canvas");
      canvas.id = "page-" + n;
      canvas.width = scaled.width;
      canvas.height = scaled.height;
      canvas.style.display = "block";
      canvas.style.margin = "8px";
      document.getElementById("pages").append(canvas);
      await pdfPage.render({ canvas, canvasContext: canvas.getContext("2d"), viewport: scaled }).promise;
    }
    const text = await pdfPage.getTextContent();
    out.push({
      width: viewport.width,
      height: viewport.height,
      items: text.items.filter((item) => item.str && item.transform).map((item) => ({
        str: item.str,
        x: item.transform[4],
        // the baseline, from the top of the page, and the font size
        baseline: viewport.height - item.transform[5],
        size: item.height || 0,
      })),
    });
  }
  return out;
};
`;

/**
 * pdf.js (pdfjs-dist) in Chromium draws the letters to canvases from a page the test serves
 * itself; returns each page's size and text items with their positions from the top-left, in
 * points, and saves page images as PNG.
 */
async function renderWithPdfJs(pdf: Buffer, pagesToSave: number): Promise<PdfJsPage[]> {
  const root = path.resolve("node_modules/pdfjs-dist");
  const context = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
  const page = await context.newPage();
  const types: Record<string, string> = {
    ".mjs": "text/javascript",
    ".pfb": "application/octet-stream",
    ".ttf": "font/ttf",
  };
  await page.route("http://pdf.test/**", async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === "/") {
      return route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><html lang="en"><head><title>Letters</title></head>
          <body style="margin:0;background:#888"><main id="pages"></main>
          <script type="module">${PDFJS_PAGE_SCRIPT}</script></body></html>`,
      });
    }
    if (url.pathname === "/letters.pdf") {
      return route.fulfill({ contentType: "application/pdf", body: pdf });
    }
    const file = path.join(root, path.normalize(url.pathname));
    if (!file.startsWith(root)) return route.fulfill({ status: 404 });
    return route.fulfill({
      contentType: types[path.extname(file)] ?? "application/octet-stream",
      body: await readFile(file),
    });
  });
  await page.goto("http://pdf.test/");
  await page.waitForFunction(() => "renderLetters" in window);
  const pages = (await page.evaluate(
    (save) =>
      (window as unknown as { renderLetters: (save: number) => Promise<unknown> }).renderLetters(
        save,
      ),
    pagesToSave,
  )) as PdfJsPage[];
  await mkdir(OUT, { recursive: true });
  for (let n = 1; n <= Math.min(pagesToSave, pages.length); n++) {
    await page.locator(`#page-${n}`).screenshot({
      path: path.join(OUT, `campaign-delivery-letter-page-${n}.png`),
    });
  }
  await context.close();
  return pages;
}

beforeAll(async () => {
  pkb = await startTestSandbox({
    patients: 50,
    now: new Date().toISOString(),
    frozenClock: false,
  });
  process.env.ENCRYPTION_KEYS = PORTAL_KEYS;
  portal = await startPortal({ ENCRYPTION_KEYS: PORTAL_KEYS }, async (database) => {
    setDatabase(database);
    const connectionId = await sandboxConnection(
      pkb.sandbox.url,
      pkb.trustPublicId,
      "Riverside University Hospitals",
    );
    ({ campaignId } = await seedGeneratedCampaign(connectionId, PATIENTS, {
      expiresAt: EXPIRES,
      name: "Spring invitations",
    }));
    await configureSandboxNotify(pkb.sandbox.url);
    setDatabase(undefined);
  });
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
  await pkb?.close();
});

describe("invitation delivery", () => {
  it("wording, letters and the merge file, then the SMS wave through Notify with receipts", async () => {
    const context = await ukContext(browser);
    const page = await context.newPage();
    await signIn(page, portal.url, STAFF_BY_ROLE.CAMPAIGN_MANAGER.email);
    await page.goto(`${portal.url}/campaigns/${campaignId}/delivery`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Delivery");
    await checkPage(page, "start");

    // --- Wording: the letter refuses a date of birth; the edited wording is saved.
    await page.getByRole("link", { name: "Invitation wording" }).click();
    await page.waitForURL(/\/templates/);
    const heading = "Your personal invitation to Patients Know Best";
    await page.getByLabel("Heading").fill(heading);
    const letterBody = page.getByLabel("Letter", { exact: true });
    const original = await letterBody.inputValue();
    await letterBody.fill(`${original}\nYour date of birth: ((date of birth))`);
    await expect.poll(() => page.getByText("This wording cannot be saved yet").count()).toBe(1);
    await expect.poll(() => page.getByText(/\(\(date of birth\)\) is not allowed/).count()).toBe(1);
    await checkPage(page, "letter-wording-refused");
    await letterBody.fill(original);
    await expect.poll(() => page.getByTestId("preview").textContent()).toContain(heading);
    await page.getByRole("button", { name: "Save wording" }).click();
    await expect.poll(() => statusText(page)).toContain("Saved the letter wording.");
    await checkPage(page, "letter-wording");

    // The texts: two messages with their counts; the first is edited and previewed live.
    await page
      .getByRole("navigation", { name: "Channel" })
      .getByRole("link", { name: "Text message" })
      .click();
    await page.waitForURL(/channel=SMS/);
    const firstText =
      "((trust name)): join Patients Know Best. Invitation code ((invitation code)), access code ((access code)). Valid until ((expiry date)). The link follows.";
    await page.getByLabel("First text: the codes").fill(firstText);
    await expect
      .poll(() => page.getByTestId("preview").textContent())
      .toContain("Riverside University Hospitals: join Patients Know Best.");
    expect(await page.getByTestId("preview").textContent()).toContain("Text 2 of 2");
    expect(await page.getByTestId("count-sms-1").textContent()).toMatch(
      /\d+ characters · GSM-7 · \d text/,
    );
    await page.getByRole("button", { name: "Save wording" }).click();
    await expect.poll(() => statusText(page)).toContain("Saved the text message wording.");
    await checkPage(page, "sms-wording");
    await page
      .getByRole("navigation", { name: "Channel" })
      .getByRole("link", { name: "E-mail" })
      .click();
    await page.waitForURL(/channel=EMAIL/);
    await expect
      .poll(() => page.getByTestId("preview").textContent())
      .toMatch(/\/join\?t1=\w+&t2=\w+&e=alex\.morgan%40example\.com/);
    await checkPage(page, "email-wording");

    // --- Letters: one batch, its PDF and its merge file.
    await page.getByRole("link", { name: "Delivery", exact: true }).click();
    await page.waitForURL(/\/delivery$/);
    await page.getByRole("button", { name: "Make a letter batch" }).click();
    await expect
      .poll(() => statusText(page))
      .toContain(`Made a batch of ${WITH_ADDRESS.length} letters`);
    // The patient without an address is named, with the reason.
    expect(await page.getByText("1 patient cannot be sent a letter").count()).toBe(1);
    await checkPage(page, "letter-batch");

    const pdf = await downloadFile(page, "Letters (PDF)");
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const text = pdfText(pdf);
    const expiry = longDate(EXPIRES);
    for (const patient of WITH_ADDRESS) {
      expect(text).toContain(`Dear ${patient.givenName} ${patient.familyName},`);
      expect(text).toContain(patient.postcode!);
    }
    expect(text).not.toContain("Erin Patel");
    expect(text.split(heading)).toHaveLength(WITH_ADDRESS.length + 1);
    expect(text.split(`stop working on ${expiry}`).length).toBeGreaterThan(WITH_ADDRESS.length);
    expect(text.split(`Codes expire: ${expiry}`)).toHaveLength(WITH_ADDRESS.length + 1);
    for (const patient of PATIENTS) {
      for (const form of dateOfBirthForms(patient.dateOfBirth!)) expect(text).not.toContain(form);
    }
    // One A4 page per letter (595.28 × 841.89 pt).
    const pageObjects = pdf.toString("latin1").match(/\/Type \/Page\b/g) ?? [];
    expect(pageObjects).toHaveLength(WITH_ADDRESS.length);

    const rendered = await renderWithPdfJs(pdf, 2);
    expect(rendered).toHaveLength(WITH_ADDRESS.length);
    for (const letter of rendered) {
      expect(Math.round(letter.width)).toBe(595);
      expect(Math.round(letter.height)).toBe(842);
    }
    // The address sits in the window of a DL window envelope: 20 mm from the left, 50 mm from
    // the top, 90 × 35 mm.
    const mm = 72 / 25.4;
    const first = rendered[0]!;
    const firstPatient = WITH_ADDRESS.find((p) =>
      first.items.some((i) => i.str.includes(`Dear ${p.givenName} ${p.familyName}`)),
    )!;
    const addressee = `${firstPatient.givenName} ${firstPatient.familyName}`;
    for (const line of [addressee, ...firstPatient.address!, firstPatient.postcode!]) {
      const item = first.items.find((i) => i.str === line);
      expect(item, line).toBeDefined();
      expect(item!.x).toBeGreaterThanOrEqual(20 * mm - 0.5);
      expect(item!.x).toBeLessThan(110 * mm);
      // Helvetica's ascent and descent are 0.718 and 0.207 of the font size.
      expect(item!.baseline - 0.718 * item!.size).toBeGreaterThanOrEqual(50 * mm - 0.5);
      expect(item!.baseline + 0.207 * item!.size).toBeLessThanOrEqual(85 * mm);
    }
    const pageText = first.items.map((i) => i.str).join("\n");
    expect(pageText).toContain(`Codes expire: ${expiry}`);
    for (const form of dateOfBirthForms(firstPatient.dateOfBirth!)) {
      expect(pageText).not.toContain(form);
    }

    const merge = parse(await downloadFile(page, "Mail-merge file (CSV)"), {
      bom: true,
    }) as string[][];
    expect(merge[0]).toEqual(MERGE_HEADER);
    expect(merge[0]!.join(" ")).not.toMatch(/birth|dob/i);
    const rows = merge.slice(1);
    expect(rows.map((r) => r[1]).sort()).toEqual(
      WITH_ADDRESS.map((p) => `${p.givenName} ${p.familyName}`).sort(),
    );
    for (const row of rows) {
      expect(row[MERGE_HEADER.indexOf("expiry_date")]).toBe(expiry);
      expect(row[MERGE_HEADER.indexOf("heading")]).toBe(heading);
      expect(row[MERGE_HEADER.indexOf("join_link")]).toContain(
        `${pkb.sandbox.url}/join?t1=${row[MERGE_HEADER.indexOf("invitation_code")]}&t2=`,
      );
    }
    const mergeText = merge.flat().join("\n");
    for (const patient of PATIENTS) {
      for (const form of dateOfBirthForms(patient.dateOfBirth!)) {
        expect(mergeText).not.toContain(form);
      }
    }

    // --- The SMS wave through the sandbox's Notify; receipts come back to /notify/callback.
    await pkb.admin("DELETE", "/notify/sends");
    await pkb.admin("PUT", "/notify/settings", {
      sendingAfterSeconds: 0,
      deliveredAfterSeconds: 0,
    });
    await pkb.admin("PUT", "/notify/callback", {
      url: `${portal.url}/notify/callback`,
      bearerToken: SANDBOX_CALLBACK_TOKEN,
    });
    await page.getByRole("button", { name: "Send text messages" }).click();
    await expect.poll(() => statusText(page)).toContain("Started the text message wave.");
    await checkPage(page, "sms-wave-started");
    const sent = PATIENTS.filter((p) => p.mobile !== "+447700900155");
    await expect
      .poll(
        async () => {
          await page.reload();
          return {
            wave: (await page.getByTestId("waves").textContent())?.includes("finished"),
            delivered: await countOf(page, "Text message", "Delivered"),
            held: await countOf(page, "Text message", "Held for review"),
          };
        },
        { timeout: 90_000, interval: 1_000 },
      )
      .toEqual({ wave: true, delivered: String(sent.length), held: "2" });

    // The sandbox's record: exactly two texts per patient, none to the shared mobile.
    const record = await pkb.admin("GET", "/notify/sends?type=sms&limit=1000");
    const expected = Object.fromEntries(
      sent.map((p) => [`sms:${p.mobile!.replace(/\D/g, "").replace(/^0/, "44")}`, 2]),
    );
    expect(record.perRecipient).toEqual(expected);
    expect(Object.keys(record.perRecipient)).not.toContain(`sms:${SHARED}`);
    const sends = record.sends as Array<{
      body: string;
      reference: string;
      callback: { state: string; lastResult: string };
    }>;
    expect(sends).toHaveLength(sent.length * 2);
    const codesTexts = sends.filter((s) => s.reference.endsWith(".1"));
    expect(codesTexts).toHaveLength(sent.length);
    for (const s of codesTexts) {
      expect(s.body).toMatch(/^Riverside University Hospitals: join Patients Know Best\./);
      expect(s.body).toContain(`Valid until ${expiry}`);
      expect(s.body).not.toContain("http");
    }
    for (const s of sends.filter((s) => s.reference.endsWith(".2"))) {
      expect(s.body).toMatch(new RegExp(`${pkb.sandbox.url}/join\\?t1=\\w+&t2=\\w+$`));
    }
    // Every receipt reached the portal and was accepted with the bearer token.
    for (const s of sends) {
      expect(s.callback).toMatchObject({ state: "delivered", lastResult: "204" });
    }

    // The shared mobile waits for a person, with the reason.
    const waiting = await tableCells(page, "attention");
    const held = waiting.filter((row) => row[2] === "Held for review");
    expect(held).toHaveLength(2);
    expect(held.map((row) => row[0]).join(" ")).toContain("Chloe Smith");
    expect(held.map((row) => row[0]).join(" ")).toContain("David Smith");
    for (const row of held) {
      expect(row[1]).toBe("Text message");
      expect(row[3]).toContain("this mobile number also belongs to 1 other patient");
    }
    await checkPage(page, "sms-wave-done");
    await context.close();
  });
});
