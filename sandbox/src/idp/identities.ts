/**
 * The sandbox trust's staff directory: a few synthetic people as the trust's identity provider
 * (think Microsoft Entra ID) knows them. E-mails are on the trust's domain and verified; the
 * `groups` claim carries the directory groups an installation maps to PKB Desk roles and teams.
 * One person is from an agency domain the portal should not accept.
 */
export const TRUST_STAFF_DOMAIN = "riverside.nhs.test";

/** Every identity's password: synthetic people on a sandbox, printed by the CLI and the demo. */
export const STAFF_IDENTITY_PASSWORD = "sandbox-staff";

export interface StaffIdentity {
  /** Stable, opaque subject (like Entra's object id). */
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string;
  givenName: string;
  familyName: string;
  groups: string[];
  password: string;
  /** What this identity is for, in a word or two (the CLI and the login page print it). */
  about: string;
}

/** Directory groups, named as a trust's IT would name them. */
export const STAFF_GROUPS = {
  campaignManagers: "pkb-desk-campaign-managers",
  requestHandlers: "pkb-desk-request-handlers",
  teamLeads: "pkb-desk-team-leads",
  viewers: "pkb-desk-viewers",
  cardiology: "cardiology-appointments",
  dermatology: "dermatology-appointments",
} as const;

export const DEFAULT_STAFF_IDENTITIES: StaffIdentity[] = [
  {
    sub: "5f0c6a1e-2b7d-4c1a-9e57-0c3b8d2a7f01",
    email: `morgan.price@${TRUST_STAFF_DOMAIN}`,
    emailVerified: true,
    name: "Morgan Price",
    givenName: "Morgan",
    familyName: "Price",
    groups: [STAFF_GROUPS.campaignManagers],
    password: STAFF_IDENTITY_PASSWORD,
    about: "campaign manager",
  },
  {
    sub: "8a3e1d44-6c0f-4b9e-a2d5-71f4e9c0b302",
    email: `riya.shah@${TRUST_STAFF_DOMAIN}`,
    emailVerified: true,
    name: "Riya Shah",
    givenName: "Riya",
    familyName: "Shah",
    groups: [STAFF_GROUPS.requestHandlers, STAFF_GROUPS.cardiology],
    password: STAFF_IDENTITY_PASSWORD,
    about: "request handler, cardiology appointments",
  },
  {
    sub: "c27b9f60-1e5a-4d83-b6f0-3a9d5e8c1403",
    email: `tom.okafor@${TRUST_STAFF_DOMAIN}`,
    emailVerified: true,
    name: "Tom Okafor",
    givenName: "Tom",
    familyName: "Okafor",
    groups: [STAFF_GROUPS.viewers],
    password: STAFF_IDENTITY_PASSWORD,
    about: "viewer",
  },
  {
    sub: "e91d2c35-7a4b-4f06-8d1e-5b6c0f2a9504",
    email: "jo.locum@locum-agency.test",
    emailVerified: true,
    name: "Jo Locum",
    givenName: "Jo",
    familyName: "Locum",
    groups: [],
    password: STAFF_IDENTITY_PASSWORD,
    about: "agency locum, not on the trust's domain",
  },
];

/**
 * What an installation of PKB Desk would enter at /admin/sso to use this provider: the allowed
 * domain and the group lines. Plain data, so the demo can store it without this folder knowing
 * anything about the portal.
 */
export const SUGGESTED_PORTAL_MAPPING = {
  allowedDomains: [TRUST_STAFF_DOMAIN],
  groupRoles: [
    { group: STAFF_GROUPS.campaignManagers, role: "CAMPAIGN_MANAGER" },
    { group: STAFF_GROUPS.teamLeads, role: "TEAM_LEAD" },
    { group: STAFF_GROUPS.requestHandlers, role: "REQUEST_HANDLER" },
    { group: STAFF_GROUPS.viewers, role: "VIEWER" },
  ],
  groupTeams: [
    { group: STAFF_GROUPS.cardiology, team: "Cardiology appointments" },
    { group: STAFF_GROUPS.dermatology, team: "Dermatology appointments" },
  ],
} as const;

export interface IdpClient {
  id: string;
  secret: string;
  redirectUris: string[];
}

/** The portal's registration with the trust's provider. */
export const DEFAULT_IDP_CLIENT: IdpClient = {
  id: "pkb-desk-sso",
  secret: "pkb-desk-sso-sandbox-secret",
  redirectUris: [
    "http://localhost:3000/auth/sso/callback",
    "http://127.0.0.1:3000/auth/sso/callback",
  ],
};
