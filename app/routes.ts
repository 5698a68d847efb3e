import { index, layout, prefix, route, type RouteConfig } from "@remix-run/route-config";

/**
 * Every URL of the portal, in one place. Each route module exports `access` (the permission its
 * loader and action demand, or `public` with a reason); app/routes.access.test.ts walks this list
 * and checks every route against every role.
 */
export default [
  route("login", "routes/login/route.tsx"),
  route("login/two-step", "routes/login.two-step/route.tsx"),
  route("auth/sso/start", "routes/auth.sso.start/route.ts"),
  route("auth/sso/callback", "routes/auth.sso.callback/route.ts"),
  route("logout", "routes/logout.tsx"),
  route("set-password/:token", "routes/set-password.$token/route.tsx"),
  route("healthz", "routes/healthz.ts"),
  route("readyz", "routes/readyz.ts"),
  route("notify/callback", "routes/notify.callback.ts"),
  // The check-in kiosk: its own frame, no staff navigation (KIOSK role only).
  route("kiosk", "routes/kiosk._index/route.tsx"),
  route("kiosk/:campaignId", "routes/kiosk.$campaignId/route.tsx"),
  layout("routes/_shell/route.tsx", [
    index("routes/_shell._index/route.tsx"),
    route("account", "routes/_shell.account/route.tsx"),
    route("account/password", "routes/_shell.account.password/route.tsx"),
    route("account/two-step", "routes/_shell.account.two-step/route.tsx"),
    ...prefix("requests", [
      index("routes/_shell.requests._index/route.tsx"),
      route("sync", "routes/_shell.requests.sync/route.tsx"),
      route("export.csv", "routes/_shell.requests.export[.csv].ts"),
      route("settings", "routes/_shell.requests.settings/route.tsx"),
      route("routing", "routes/_shell.requests.routing._index/route.tsx"),
      route("routing/:ruleId", "routes/_shell.requests.routing.$ruleId/route.tsx"),
      route(":requestId", "routes/_shell.requests.$requestId/route.tsx"),
    ]),
    ...prefix("reports", [
      index("routes/_shell.reports._index/route.tsx"),
      route("teams", "routes/_shell.reports.teams/route.tsx"),
      route("unmatched", "routes/_shell.reports.unmatched/route.tsx"),
      route("export/:report", "routes/_shell.reports.export.$report.ts"),
      route("campaigns", "routes/_shell.reports.campaigns/route.tsx"),
      route("campaigns/export/:section", "routes/_shell.reports.campaigns.export.$section.ts"),
    ]),
    ...prefix("admin", [
      route("users", "routes/_shell.admin.users._index/route.tsx"),
      route("users/new", "routes/_shell.admin.users.new/route.tsx"),
      route("users/:userId", "routes/_shell.admin.users.$userId/route.tsx"),
      route("sign-in-throttles", "routes/_shell.admin.sign-in-throttles/route.tsx"),
      route("teams", "routes/_shell.admin.teams._index/route.tsx"),
      route("teams/:teamId", "routes/_shell.admin.teams.$teamId/route.tsx"),
      route("audit", "routes/_shell.admin.audit._index/route.tsx"),
      route("audit/export.csv", "routes/_shell.admin.audit.export[.csv].ts"),
      route("jobs", "routes/_shell.admin.jobs/route.tsx"),
      route("notify", "routes/_shell.admin.notify/route.tsx"),
      route("two-step", "routes/_shell.admin.two-step/route.tsx"),
      route("sso", "routes/_shell.admin.sso/route.tsx"),
      route("pkb", "routes/_shell.admin.pkb._index/route.tsx"),
      route("pkb/new", "routes/_shell.admin.pkb.new/route.tsx"),
      route("pkb/:connectionId", "routes/_shell.admin.pkb.$connectionId/route.tsx"),
      route(
        "pkb/:connectionId/settings",
        "routes/_shell.admin.pkb.$connectionId.settings/route.tsx",
      ),
    ]),
    ...prefix("campaigns", [
      index("routes/_shell.campaigns._index/route.tsx"),
      route(":campaignId", "routes/_shell.campaigns.$campaignId/route.tsx"),
      route(":campaignId/review", "routes/_shell.campaigns.$campaignId.review/route.tsx"),
      route(":campaignId/tracking", "routes/_shell.campaigns.$campaignId.tracking.ts"),
      route(
        ":campaignId/hybrid-mail/post-list.csv",
        "routes/_shell.campaigns.$campaignId.hybrid-mail.post-list[.csv].ts",
      ),
      route(":campaignId/report", "routes/_shell.campaigns.$campaignId.report/route.tsx"),
      route(
        ":campaignId/report/export/:section",
        "routes/_shell.campaigns.$campaignId.report.export.$section.ts",
      ),
      route(
        ":campaignId/report/recipients.csv",
        "routes/_shell.campaigns.$campaignId.report.recipients[.csv].ts",
      ),
      route(
        ":campaignId/buckets/:bucket",
        "routes/_shell.campaigns.$campaignId.buckets.$bucket/route.tsx",
      ),
      route(
        ":campaignId/buckets/:bucket/list.csv",
        "routes/_shell.campaigns.$campaignId.buckets.$bucket[.csv].ts",
      ),
      route(":campaignId/templates", "routes/_shell.campaigns.$campaignId.templates/route.tsx"),
      route(":campaignId/delivery", "routes/_shell.campaigns.$campaignId.delivery/route.tsx"),
      route(
        ":campaignId/delivery/batches/:batchId/letters.pdf",
        "routes/_shell.campaigns.$campaignId.delivery.batches.$batchId.letters[.pdf].ts",
      ),
      route(
        ":campaignId/delivery/batches/:batchId/file.csv",
        "routes/_shell.campaigns.$campaignId.delivery.batches.$batchId.file[.csv].ts",
      ),
      route(
        ":campaignId/imports/:importId/errors.csv",
        "routes/_shell.campaigns.$campaignId.imports.$importId.errors[.csv].ts",
      ),
    ]),
    route("pkb/oauth/callback", "routes/_shell.pkb.oauth.callback/route.tsx"),
    route("*", "routes/_shell.$/route.tsx"),
  ]),
] satisfies RouteConfig;
