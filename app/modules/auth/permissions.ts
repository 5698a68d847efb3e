import type { Role } from "~/generated/prisma/enums.ts";

/**
 * Typed permission strings, `action:entity[:scope]` (after the Epic Stack). `team` scope means
 * "within the teams the signed-in user belongs to", decided from the session, never the URL.
 */
export const PERMISSIONS = [
  "read:dashboard",
  "read:user",
  "create:user",
  "update:user",
  "read:team",
  "manage:team",
  "read:audit",
  "export:audit",
  "read:job",
  "retry:job",
  "read:report",
  "read:request:team",
  "update:request:team",
  "read:request:unrouted",
  "assign:request:team",
  "sync:request",
  "manage:routing",
  /** team SLA targets, working day and closures: leads for their teams, admins for all + trust-wide */
  "manage:service-level",
  "read:campaign",
  "manage:campaign",
  /** campaign funnels, registrations and hybrid-mail counts (no patient data): managers, viewers */
  "read:campaign-report",
  /** the recipient-level campaign export (identifiers, names, outcomes): campaign managers only */
  "export:campaign-recipients",
  "manage:pkb-grant",
  /** GOV.UK Notify settings (API key, templates, callback token) and "Test connection": admins */
  "manage:notify",
  /** see the "PKB grant needs re-authorisation" banner (admins and team leads, H6) */
  "read:pkb-grant-health",
  "read:account",
  /** the check-in kiosk screens (the KIOSK role has nothing else) */
  "use:kiosk",
  /** two-step sign-in policy and resets, trust SSO settings (ADR 0017): admins */
  "manage:sign-in",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/**
 * What each role may do. Least privilege: admins run the system (people, teams, audit, jobs,
 * the PKB grant) but do not work patients' requests or campaigns; viewers see reports only.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  ADMIN: [
    "read:dashboard",
    "read:account",
    "read:user",
    "create:user",
    "update:user",
    "read:team",
    "manage:team",
    "read:audit",
    "export:audit",
    "read:job",
    "retry:job",
    "read:report",
    "manage:pkb-grant",
    "manage:notify",
    "manage:sign-in",
    "sync:request",
    "read:pkb-grant-health",
    "manage:service-level",
    /** every team's routing rules (leads manage their own teams'); no request is shown */
    "manage:routing",
  ],
  CAMPAIGN_MANAGER: [
    "read:dashboard",
    "read:account",
    "read:campaign",
    "manage:campaign",
    "read:report",
    "read:campaign-report",
    "export:campaign-recipients",
  ],
  TEAM_LEAD: [
    "read:dashboard",
    "read:account",
    "read:team",
    "read:request:team",
    "update:request:team",
    "read:request:unrouted",
    "assign:request:team",
    "sync:request",
    "manage:routing",
    "manage:service-level",
    "read:report",
    "read:pkb-grant-health",
  ],
  REQUEST_HANDLER: [
    "read:dashboard",
    "read:account",
    "read:request:team",
    "update:request:team",
    "read:report",
  ],
  VIEWER: ["read:dashboard", "read:account", "read:report", "read:campaign-report"],
  /** a shared device in a waiting area: the kiosk screens only, no staff pages, no patient lists */
  KIOSK: ["use:kiosk"],
};

export const ROLE_LABELS: Record<Role, string> = {
  ADMIN: "Administrator",
  CAMPAIGN_MANAGER: "Campaign manager",
  TEAM_LEAD: "Team lead",
  REQUEST_HANDLER: "Request handler",
  VIEWER: "Viewer (reports only)",
  KIOSK: "Check-in kiosk",
};

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/**
 * What a route demands. Every route module exports one; `public` is for the handful of pages a
 * signed-out person must reach (sign-in, set-password, health checks). The route × role test
 * (app/routes.access.test.ts) fails for a route module that has no declaration or does not enforce it.
 */
export type RouteAccess =
  | {
      public: true;
      reason: string;
      /**
       * A machine-to-machine route (no browser, no session, no CSRF token) that authenticates
       * each call itself, e.g. Notify's delivery receipts with their bearer token.
       */
      authenticatedBy?: "notify-callback-token";
    }
  | { loader?: Permission; action?: Permission };
