import { randomUUID } from "node:crypto";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Role } from "~/generated/prisma/enums.ts";
import { hasPermission, type Permission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import { withTestDatabase } from "../tests/support/database.ts";
import {
  csrfCookie,
  get,
  post,
  settle,
  signedInAs,
  type Identity,
} from "../tests/support/requests.ts";
import routes from "./routes.ts";

/**
 * The route × role matrix. Walks every route in app/routes.ts (plus root), and for every role
 * checks that each loader and action admits exactly the roles its declared permission allows,
 * that signed-out people are sent to sign in, and that actions refuse a missing CSRF token.
 * A new route without an `access` declaration, or one that does not enforce it, fails here.
 */
withTestDatabase();
afterAll(() => stopJobRuntime());

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

const ALL_ROUTES: RouteEntry[] = [{ file: "root.tsx", path: "/" }, ...flatten(routes)];

// Concrete URLs for dynamic segments: ids that exist nowhere, so permitted roles get 404, not 403.
function concrete(routePath: string): string {
  return (
    routePath
      .replace(
        /:userId|:teamId|:requestId|:connectionId|:campaignId|:importId|:batchId/g,
        randomUUID(),
      )
      .replace(/:token/g, "not-a-real-token")
      .replace(/:bucket/g, "eligible")
      // a real campaign report section, so permitted roles reach the CSV itself (200, audited)
      .replace(/:section/g, "funnel")
      .replace(/\*$/, "no-such-page")
      .replace(/\/+/g, "/")
  );
}

type RouteModule = {
  access?: RouteAccess;
  loader?: (args: {
    request: Request;
    params: Record<string, string>;
    context: object;
  }) => Promise<unknown> | unknown;
  action?: (args: {
    request: Request;
    params: Record<string, string>;
    context: object;
  }) => Promise<unknown> | unknown;
};

async function load(file: string): Promise<RouteModule> {
  return (await import(/* @vite-ignore */ path.resolve("app", file))) as RouteModule;
}

function paramsFor(routePath: string, url: string): Record<string, string> {
  const names = [...routePath.matchAll(/:(\w+)/g)].map((match) => match[1]!);
  const values = url.split("/");
  const keys = routePath.split("/");
  const params: Record<string, string> = {};
  keys.forEach((key, index) => {
    if (key.startsWith(":")) params[key.slice(1)] = values[index]!;
    if (key === "*") params["*"] = values.slice(index).join("/");
  });
  for (const name of names) params[name] ??= "";
  return params;
}

const identities = new Map<Role, Identity>();
async function identity(role: Role): Promise<Identity> {
  if (!identities.has(role)) identities.set(role, await signedInAs(role, ["Matrix team"]));
  return identities.get(role)!;
}

function isLoginRedirect(response: Response): boolean {
  return (
    response.status >= 300 &&
    response.status < 400 &&
    (response.headers.get("Location") ?? "").startsWith("/login")
  );
}

describe("every route declares its access", () => {
  it.each(ALL_ROUTES)("$file", async ({ file }) => {
    const module = await load(file);
    expect(module.access, `${file} must export access`).toBeDefined();
    const access = module.access!;
    if ("public" in access) {
      expect(access.reason.length).toBeGreaterThan(5);
      return;
    }
    if (module.loader) expect(access.loader, `${file}: loader without a permission`).toBeDefined();
    if (module.action) expect(access.action, `${file}: action without a permission`).toBeDefined();
  });
});

const protectedRoutes = await Promise.all(
  ALL_ROUTES.map(async (route) => ({ ...route, module: await load(route.file) })),
).then((all) => all.filter((route) => route.module.access && !("public" in route.module.access)));

const publicActions = await Promise.all(
  ALL_ROUTES.map(async (route) => ({ ...route, module: await load(route.file) })),
).then((all) =>
  all.filter(
    (route) =>
      route.module.access &&
      "public" in route.module.access &&
      !route.module.access.authenticatedBy &&
      route.module.action,
  ),
);

// Machine-to-machine routes (Notify's delivery receipts) carry no CSRF token: they must refuse
// any call without their own credential, whatever cookies or CSRF token it brings.
const machineActions = await Promise.all(
  ALL_ROUTES.map(async (route) => ({ ...route, module: await load(route.file) })),
).then((all) =>
  all.filter(
    (route) =>
      route.module.access &&
      "public" in route.module.access &&
      route.module.access.authenticatedBy &&
      route.module.action,
  ),
);

describe.each(machineActions)("machine action $path ($file)", ({ path: routePath, module }) => {
  const url = concrete(routePath);
  const params = paramsFor(routePath, url);
  it("refuses a post without its bearer token, even with a session and a CSRF token", async () => {
    const admin = await signedInAs(Role.ADMIN);
    const { csrf } = await csrfCookie();
    for (const request of [
      post(url, {}, admin, { csrf: null }),
      post(url, {}, { ...admin, csrf }),
      post(url, {}, admin, { headers: { Authorization: "Bearer not-the-token" } }),
    ]) {
      const result = await settle(async () => module.action!({ request, params, context: {} }));
      expect(result.status).toBe(401);
    }
  });
});

describe.each(publicActions)("public action $path ($file)", ({ path: routePath, module }) => {
  const url = concrete(routePath);
  const params = paramsFor(routePath, url);
  it("refuses a post without a CSRF token, and from another origin", async () => {
    const { csrf, cookie } = await csrfCookie();
    const withoutToken = await settle(async () =>
      module.action!({ request: post(url, {}, { cookie }, { csrf: null }), params, context: {} }),
    );
    expect(withoutToken.status).toBe(403);
    const crossOrigin = await settle(async () =>
      module.action!({
        request: post(url, {}, { cookie, csrf }, { headers: { Origin: "https://evil.example" } }),
        params,
        context: {},
      }),
    );
    expect(crossOrigin.status).toBe(403);
    const withToken = await settle(async () =>
      module.action!({ request: post(url, {}, { cookie, csrf }), params, context: {} }),
    );
    expect(withToken.status).not.toBe(403);
  });
});

describe.each(protectedRoutes)("$path ($file)", ({ path: routePath, file, module }) => {
  const access = module.access as { loader?: Permission; action?: Permission };
  const url = concrete(routePath);
  const params = paramsFor(routePath, url);

  if (module.loader && access.loader) {
    const permission = access.loader;
    it("loader sends signed-out people to sign in", async () => {
      const response = await settle(async () =>
        module.loader!({ request: get(url), params, context: {} }),
      );
      expect(isLoginRedirect(response)).toBe(true);
    });
    it.each(Object.values(Role))(`loader: %s is allowed only with ${permission}`, async (role) => {
      const response = await settle(async () =>
        module.loader!({ request: get(url, await identity(role)), params, context: {} }),
      );
      if (hasPermission(role, permission)) {
        expect(response.status).not.toBe(403);
        expect(isLoginRedirect(response)).toBe(false);
      } else if (role === "KIOSK" && url === "/" && file === "routes/_shell/route.tsx") {
        // The one exception: a kiosk signs in like staff and lands on "/", which sends it to its
        // own screens; every other staff page is still 403 to it.
        expect(response.status).toBe(302);
        expect(response.headers.get("Location")).toBe("/kiosk");
      } else {
        expect(response.status).toBe(403);
      }
    });
  }

  if (module.action && access.action) {
    const permission = access.action;
    it("action sends signed-out people to sign in", async () => {
      const response = await settle(async () =>
        module.action!({ request: post(url, {}), params, context: {} }),
      );
      expect(isLoginRedirect(response)).toBe(true);
    });
    it.each(Object.values(Role))(
      `action: %s is allowed only with ${permission}, and only with a CSRF token`,
      async (role) => {
        // A fresh identity: some actions (sign out, end other sessions) end sessions.
        const who = await signedInAs(role, ["Matrix team"]);
        const withoutToken = await settle(async () =>
          module.action!({ request: post(url, {}, who, { csrf: null }), params, context: {} }),
        );
        expect(withoutToken.status).toBe(403);
        const withToken = await settle(async () =>
          module.action!({ request: post(url, {}, who), params, context: {} }),
        );
        if (hasPermission(role, permission)) {
          expect(withToken.status).not.toBe(403);
          expect(isLoginRedirect(withToken) && routePath !== "/logout").toBe(false);
        } else {
          expect(withToken.status).toBe(403);
        }
      },
    );
  }
});
