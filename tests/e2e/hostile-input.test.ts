import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineConnection } from "~/modules/campaigns/testing.server.ts";
import { setDatabase } from "~/platform/db.server.ts";
import routes from "~/routes.ts";
import {
  startPortal,
  STAFF_BY_ROLE,
  TEST_PASSWORD,
  type RunningPortal,
} from "../support/portal-process.ts";

/**
 * The hostile-input sweep (issue 10, ADR 0016) over real HTTP against the production build:
 * for every route in app/routes.ts, signed in as an administrator (and, to reach the forms an
 * administrator may not open, a campaign manager and a team lead), a NUL byte goes into every
 * query parameter the route reads, every dynamic path segment, and every field of every form the
 * rendered page shows. Nothing may answer 5xx; every 4xx carries `Cache-Control: no-store`;
 * legacy `?_data=` requests answer 4xx; and the portal logs nothing at error level.
 */
let portal: RunningPortal;
const PORTAL_KEYS = `e2e1:${Buffer.alloc(32, 7).toString("base64")}`;

beforeAll(async () => {
  process.env.ENCRYPTION_KEYS = PORTAL_KEYS;
  portal = await startPortal({ ENCRYPTION_KEYS: PORTAL_KEYS }, async (database) => {
    // Records behind the dynamic routes, so their pages (and forms) render.
    setDatabase(database);
    const connectionId = await offlineConnection();
    setDatabase(undefined);
    const db = database.prisma;
    const team = await db.team.findUniqueOrThrow({ where: { name: "Cardiology appointments" } });
    await db.campaign.create({
      data: {
        name: "Sweep campaign",
        pkbConnectionId: connectionId,
        channel: "LETTER",
        identifierKind: "NHS",
      },
    });
    await db.routingRule.create({ data: { position: 1, name: "Sweep rule", teamId: team.id } });
    await db.appointmentRequest.create({
      data: {
        grantId: randomUUID(),
        pkbMessageId: randomUUID(),
        patientPublicId: randomUUID(),
        patientDisplayName: "Sweep Patient",
        action: "CANCEL",
        rawSubject: "Request to cancel appointment",
        patientNote: "",
        receivedAt: new Date(),
        matchState: "NEEDS_MATCHING",
        matchReason: "seeded",
        teamId: team.id,
      },
    });
  });
}, 180_000);

afterAll(async () => {
  await portal?.stop();
});

interface RouteEntry {
  file: string;
  path: string;
}

function flatten(entries: typeof routes, prefix = ""): RouteEntry[] {
  return entries.flatMap((entry) => {
    const full = entry.path ? `${prefix}/${entry.path}` : prefix;
    const children = entry.children ? flatten(entry.children as typeof routes, full) : [];
    return [{ file: entry.file, path: full || "/" }, ...children];
  });
}

const ROUTES = flatten(routes);
const STATIC_PATHS = new Set(
  ROUTES.filter((route) => !route.path.includes(":")).map((r) => r.path),
);
const NUL = "a\u0000b";

/** Query parameters a route reads, found in its module and the files beside it. */
async function queryNamesOf(file: string): Promise<string[]> {
  const full = path.resolve("app", file);
  const dir = path.dirname(full);
  const files =
    path.basename(dir).startsWith("_shell") || dir.endsWith("login")
      ? (await readdir(dir))
          .filter((name) => /\.tsx?$/.test(name))
          .map((name) => path.join(dir, name))
      : [full];
  const names = new Set<string>();
  for (const source of files) {
    const text = await readFile(source, "utf8");
    for (const match of text.matchAll(/searchParams\.(?:get|getAll|has)\(\s*"([^"]+)"/g)) {
      names.add(match[1]!);
    }
  }
  return [...names];
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function attribute(attributes: string, name: string): string | null {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes);
  return match ? decodeEntities(match[1]!) : null;
}

interface Field {
  name: string;
  value: string;
  file: boolean;
}
interface FormShape {
  method: string;
  action: string;
  multipart: boolean;
  fields: Field[];
}

/** The forms a rendered page shows, with the values a browser would send by default. */
function formsIn(html: string, pageUrl: string): FormShape[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map(([, attrs, body]) => {
    const fields: Field[] = [];
    for (const [, tag, fieldAttrs] of body!.matchAll(/<(input|textarea|button)\b([^>]*)>/g)) {
      const name = attribute(fieldAttrs!, "name");
      if (!name) continue;
      const type = attribute(fieldAttrs!, "type") ?? (tag === "button" ? "submit" : "text");
      if (tag === "button" && fields.some((field) => field.name === name)) continue;
      fields.push({ name, value: attribute(fieldAttrs!, "value") ?? "x", file: type === "file" });
    }
    for (const [, selectAttrs, options] of body!.matchAll(
      /<select\b([^>]*)>([\s\S]*?)<\/select>/g,
    )) {
      const name = attribute(selectAttrs!, "name");
      if (!name) continue;
      const first = /<option\b[^>]*value="([^"]*)"/.exec(options!);
      fields.push({ name, value: first ? decodeEntities(first[1]!) : "", file: false });
    }
    return {
      method: (attribute(attrs!, "method") ?? "get").toLowerCase(),
      action: new URL(attribute(attrs!, "action") ?? pageUrl, pageUrl).href,
      multipart: (attribute(attrs!, "enctype") ?? "").includes("multipart"),
      fields,
    };
  });
}

class Client {
  private cookies = new Map<string, string>();
  readonly failures: string[] = [];
  requests = 0;

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: {
        ...(init.headers as Record<string, string>),
        Cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "),
      },
    });
    this.requests += 1;
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const label = `${init.method ?? "GET"} ${url.replace(portal.url, "")}`;
    if (response.status >= 500) this.failures.push(`${label} answered ${response.status}`);
    if (
      response.status >= 400 &&
      response.status < 500 &&
      !(response.headers.get("Cache-Control") ?? "").includes("no-store")
    ) {
      this.failures.push(`${label} answered ${response.status} without no-store`);
    }
    return response;
  }

  /** Expects a hostile request to be refused (4xx) — never served, never a 5xx. */
  async refused(url: string, init: RequestInit = {}): Promise<void> {
    const response = await this.fetch(url, init);
    await response.arrayBuffer();
    if (response.status < 400 || response.status >= 500) {
      this.failures.push(
        `${init.method ?? "GET"} ${url.replace(portal.url, "")} answered ${response.status}, not 4xx`,
      );
    }
  }

  async signIn(email: string): Promise<void> {
    const page = await (await this.fetch(`${portal.url}/login`)).text();
    const csrf = attribute(/<input\b[^>]*name="csrf"[^>]*>/.exec(page)![0], "value")!;
    const response = await this.fetch(`${portal.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ csrf, email, password: TEST_PASSWORD, redirectTo: "" }),
    });
    expect(response.status).toBe(302);
  }
}

function hostileBody(form: FormShape, target: string): BodyInit {
  if (form.multipart) {
    const body = new FormData();
    for (const field of form.fields) {
      if (field.file) body.append(field.name, new Blob(["nhs_number\n"]), "list.csv");
      else body.append(field.name, field.name === target ? NUL : field.value);
    }
    return body;
  }
  const body = new URLSearchParams();
  for (const field of form.fields) {
    body.append(field.name, field.name === target ? NUL : field.value);
  }
  return body;
}

async function sweep(client: Client): Promise<{ forms: number; fields: number }> {
  const concrete = new Map<string, string>();
  let forms = 0;
  let fields = 0;
  // Static routes first: their links give the dynamic routes real ids.
  const ordered = [...ROUTES].sort(
    (a, b) => Number(a.path.includes(":")) - Number(b.path.includes(":")),
  );
  const links = new Set<string>();
  for (const route of ordered) {
    const pattern = new RegExp(
      `^${route.path
        .replace(/:[^/]+/g, "[^/]+")
        .replace(/\*$/, ".*")
        .replace(/\/+/g, "/")}$`,
    );
    // A link to this route with a real id (not a static sibling such as /admin/users/new).
    const found = [...links].find(
      (link) => pattern.test(link) && !STATIC_PATHS.has(link) && link !== "/",
    );
    const urlPath = route.path.includes(":")
      ? (found ?? route.path.replace(/:bucket/g, "eligible").replace(/:[^/]+/g, randomUUID()))
      : route.path.replace(/\*$/, "no-such-page");
    concrete.set(route.path, urlPath);
    const pageUrl = `${portal.url}${urlPath}`;
    const response = await client.fetch(pageUrl);
    const html = (response.headers.get("Content-Type") ?? "").includes("text/html")
      ? await response.text()
      : (await response.arrayBuffer(), "");
    for (const [, href] of html.matchAll(/<a\b[^>]*href="(\/[^"#?]*)/g)) links.add(href!);

    // Every query parameter the route reads, and those its GET forms send.
    const names = new Set([...(await queryNamesOf(route.file)), "q"]);
    const pageForms = formsIn(html, pageUrl);
    for (const form of pageForms.filter((shape) => shape.method === "get")) {
      for (const field of form.fields) names.add(field.name);
    }
    for (const name of names) {
      await client.refused(`${pageUrl}?${encodeURIComponent(name)}=${encodeURIComponent(NUL)}`);
    }
    // Every dynamic path segment.
    const segments = urlPath.split("/");
    route.path.split("/").forEach((segment, index) => {
      if (segment.startsWith(":")) segments[index] = "a%00b";
    });
    if (route.path.includes(":")) await client.refused(`${portal.url}${segments.join("/")}`);
    // Legacy and single-fetch data requests for the route.
    await client.refused(`${pageUrl}?_data=${encodeURIComponent(`routes/${route.file}`)}`);
    await client.refused(`${pageUrl}?_data=`);
    const data = await client.fetch(`${pageUrl.replace(/\/$/, "/_root")}.data`);
    await data.arrayBuffer();

    // Every field of every form the page shows.
    for (const form of pageForms.filter((shape) => shape.method === "post")) {
      forms += 1;
      for (const field of form.fields) {
        if (field.name === "csrf" || field.file) continue;
        fields += 1;
        await client.refused(form.action, { method: "POST", body: hostileBody(form, field.name) });
      }
    }
  }
  return { forms, fields };
}

describe("a NUL byte in every form field and query parameter of every route", () => {
  it.each([
    ["administrator", STAFF_BY_ROLE.ADMIN.email],
    ["campaign manager", STAFF_BY_ROLE.CAMPAIGN_MANAGER.email],
    ["team lead", STAFF_BY_ROLE.TEAM_LEAD.email],
  ])(
    "as %s: never 5xx, every 4xx no-store",
    async (_role, email) => {
      const client = new Client();
      await client.signIn(email);
      const { forms, fields } = await sweep(client);
      expect(client.failures).toEqual([]);
      // The sweep really reached forms (a broken sign-in would sweep only refusals).
      expect(forms).toBeGreaterThan(2);
      expect(fields).toBeGreaterThan(2);
      expect(client.requests).toBeGreaterThan(ROUTES.length * 3);
    },
    300_000,
  );

  it("logged nothing at error level", () => {
    const errors = portal
      .logs()
      .split("\n")
      .filter((line) => /"level":(50|60)/.test(line));
    expect(errors).toEqual([]);
  });
});
