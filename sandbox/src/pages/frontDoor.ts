import type { Route, SandboxApp } from "../app.ts";
import type { RequestContext } from "../http/context.ts";
import type { Reply } from "../http/reply.ts";
import { DEMO_CLINICIAN, OTHER_ORG_CLINICIAN } from "../population/generate.ts";
import { summarise } from "../population/summary.ts";
import { notifyPageRoute } from "../notify/page.ts";
import { html, page, type SafeHtml } from "./html.ts";

/**
 * The sandbox's front door: what lives where, how to sign in, and read-only views of the call log
 * and the population. These pages need no admin key because the sandbox holds only synthetic data
 * and they change nothing; every control that changes state still needs `X-Sandbox-Admin-Key`.
 * Secrets (client secrets, the admin key) are never shown.
 */

const SURFACES: { name: string; method: string; path: string; note: string }[] = [
  {
    name: "Clinician sign-in and consent (user OAuth)",
    method: "GET",
    path: "/apiAuthorize.action",
    note: "authorization code, PKCE S256",
  },
  { name: "User token", method: "POST", path: "/apiToken.action", note: "code and refresh" },
  {
    name: "System token (Facade)",
    method: "POST",
    path: "/api/oauth/token",
    note: "client credentials, HTTP Basic",
  },
  {
    name: "Aggregated token (Keycloak)",
    method: "POST",
    path: "/auth/realms/pkb/protocol/openid-connect/token",
    note: "client credentials, form body",
  },
  {
    name: "FHIR Facade (STU3)",
    method: "POST",
    path: "/fhir",
    note: "$status-query, $generate-invitation-tokens, $read-receipt-query",
  },
  {
    name: "Custom REST (JSON)",
    method: "GET",
    path: "/json",
    note: "messages after a time, users, record access tokens",
  },
  {
    name: "Aggregated FHIR (R4)",
    method: "GET",
    path: "/aggregated/fhir",
    note: "Appointment and Patient searches",
  },
  { name: "Join PKB (patient registration)", method: "GET", path: "/join", note: "?t1&t2&e" },
  { name: "HL7 v2 intake (MDM^T02)", method: "POST", path: "/services/hl7", note: "letters" },
  {
    name: "GOV.UK Notify API v2 (text messages, e-mails)",
    method: "POST",
    path: "/v2/notifications",
    note: "/sms, /email, GET /{id}; JWT (HS256, iss = service id)",
  },
];

const CONTROLS: { method: string; path: string; does: string }[] = [
  { method: "GET", path: "/_sandbox/", does: "clock, population, clients and faults (JSON)" },
  { method: "GET", path: "/_sandbox/patients?category=eligible", does: "patients by category" },
  { method: "POST", path: "/_sandbox/messages", does: "a patient asks to cancel or change" },
  { method: "POST", path: "/_sandbox/clock", does: "move the sandbox clock" },
  { method: "PUT", path: "/_sandbox/faults", does: "inject latency, errors, hangs, resets" },
  { method: "GET", path: "/_sandbox/calls", does: "the call log (JSON)" },
  { method: "GET", path: "/_sandbox/notify/sends", does: "what Notify was asked to send (JSON)" },
  {
    method: "POST",
    path: "/_sandbox/notify/outcomes",
    does: "how Notify's sends to a recipient end",
  },
  { method: "PUT", path: "/_sandbox/notify/callback", does: "Notify's delivery-receipt callback" },
  { method: "POST", path: "/_sandbox/reset", does: "back to the seed" },
];

function table(caption: string, head: SafeHtml, rows: SafeHtml[]): SafeHtml {
  // A focusable, labelled scroll region so keyboard users can scroll wide tables (WCAG 2.1.1).
  return html`<div class="table-scroll" role="region" aria-label="${caption}" tabindex="0">
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        ${head}
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

const nav = html`<nav aria-label="Sandbox pages">
  <ul class="links">
    <li><a href="/">Front door</a></li>
    <li><a href="/sandbox/calls">Call log</a></li>
    <li><a href="/sandbox/population">Population</a></li>
    <li><a href="/sandbox/notify">Notify sends</a></li>
  </ul>
</nav>`;

export function frontDoorRoutes(app: SandboxApp): Route[] {
  const { state, clock } = app;

  const home = (ctx: RequestContext): Reply => {
    const summary = summarise(state, clock.now(), 0);
    const clients = [...app.clients.values()];
    return page({
      title: "PKB sandbox",
      wide: true,
      body: html`<h1>PKB sandbox</h1>
        <p class="lede">
          A stand-in for Patients Know Best that PKB Desk talks to over real HTTP. Every patient
          here is synthetic.
        </p>
        <dl>
          <dt>Address</dt>
          <dd><code>${ctx.baseUrl}</code></dd>
          <dt>Sandbox clock</dt>
          <dd>${new Date(clock.now()).toISOString()}</dd>
          <dt>Population seed</dt>
          <dd>${summary.seed}</dd>
        </dl>
        ${nav}

        <h2 id="surfaces">Surfaces</h2>
        ${table(
          "PKB surfaces and their addresses",
          html`<tr>
            <th scope="col">Surface</th>
            <th scope="col">Method</th>
            <th scope="col">Address</th>
            <th scope="col">Notes</th>
          </tr>`,
          SURFACES.map(
            (s) =>
              html`<tr>
                <th scope="row">${s.name}</th>
                <td>${s.method}</td>
                <td><code>${ctx.baseUrl}${s.path}</code></td>
                <td>${s.note}</td>
              </tr>`,
          ),
        )}

        <h2 id="sign-in">Demo clinician sign-in</h2>
        <p>
          When PKB Desk sends you to PKB to grant access, sign in on the consent page with one of
          these:
        </p>
        ${table(
          "Clinician logins",
          html`<tr>
            <th scope="col">Who</th>
            <th scope="col">Username</th>
            <th scope="col">Password</th>
          </tr>`,
          [
            html`<tr>
              <th scope="row">The trust's clinician (Appointments team)</th>
              <td><code>${DEMO_CLINICIAN.username}</code></td>
              <td><code>${DEMO_CLINICIAN.password}</code></td>
            </tr>`,
            html`<tr>
              <th scope="row">A clinician of the second organisation</th>
              <td><code>${OTHER_ORG_CLINICIAN.username}</code></td>
              <td><code>${OTHER_ORG_CLINICIAN.password}</code></td>
            </tr>`,
          ],
        )}

        <h2 id="clients">Registered clients</h2>
        <p>Client secrets are not shown here; they are in the sandbox's README or clients file.</p>
        ${table(
          "OAuth clients",
          html`<tr>
            <th scope="col">Client id</th>
            <th scope="col">Kind</th>
            <th scope="col">Redirect addresses or organisations</th>
          </tr>`,
          clients.map(
            (c) =>
              html`<tr>
                <th scope="row"><code>${c.id}</code></th>
                <td>
                  ${
                    c.kind === "user"
                      ? "user (authorization code)"
                      : c.kind === "system"
                        ? "system (client credentials, Facade)"
                        : "Aggregated (client credentials)"
                  }
                </td>
                <td>
                  ${
                    c.kind === "user"
                      ? c.redirectUris.map((u) => html`<code>${u}</code><br />`)
                      : c.organisations.includes("*")
                        ? "every organisation"
                        : c.organisations.join(", ")
                  }
                </td>
              </tr>`,
          ),
        )}

        <h2 id="organisations">Organisations</h2>
        ${table(
          "Organisations and their public ids",
          html`<tr>
            <th scope="col">Organisation</th>
            <th scope="col">ODS code</th>
            <th scope="col">Public id (X-Org-Public-Id)</th>
          </tr>`,
          summary.organisations.map(
            (o, i) =>
              html`<tr>
                <th scope="row">${o.name}${i === 0 ? " (the trust)" : ""}</th>
                <td>${o.odsCode}</td>
                <td><code>${o.publicId}</code></td>
              </tr>`,
          ),
        )}

        <h2 id="controls">Simulation controls</h2>
        <p>
          These change the simulation, so each needs the header
          <code>X-Sandbox-Admin-Key</code> with the sandbox's admin key. The
          <a href="/sandbox/calls">call log</a> and the
          <a href="/sandbox/population">population summary</a> can be read here without it.
        </p>
        ${table(
          "Control calls",
          html`<tr>
            <th scope="col">Method</th>
            <th scope="col">Address</th>
            <th scope="col">Does</th>
          </tr>`,
          CONTROLS.map(
            (c) =>
              html`<tr>
                <td>${c.method}</td>
                <td><code>${c.path}</code></td>
                <td>${c.does}</td>
              </tr>`,
          ),
        )}`,
    });
  };

  const calls = (): Reply => {
    const log = app.calls.summary({ includeIdentifiers: false });
    const endpoints = Object.entries(log.endpoints).sort(([a], [b]) => a.localeCompare(b));
    const recent = [...log.recent].reverse();
    return page({
      title: "Call log",
      wide: true,
      body: html`<h1>Call log</h1>
        <p>
          What the sandbox was asked to do since it started or was last cleared. Identifier values
          are never logged, only how many were in a batch.
          <a href="/sandbox/calls">Refresh</a>
        </p>
        ${nav}
        <h2 id="by-endpoint">Calls by endpoint</h2>
        ${
          endpoints.length === 0
            ? html`<p>No calls yet.</p>`
            : table(
                "Calls by endpoint",
                html`<tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col" class="num">Calls</th>
                  <th scope="col">By status</th>
                  <th scope="col" class="num">Injected faults</th>
                  <th scope="col" class="num">Most identifiers</th>
                </tr>`,
                endpoints.map(
                  ([endpoint, counter]) =>
                    html`<tr>
                      <th scope="row"><code>${endpoint}</code></th>
                      <td class="num">${counter.calls}</td>
                      <td>
                        ${Object.entries(counter.byStatus)
                          .map(([status, n]) => `${status === "0" ? "no answer" : status}: ${n}`)
                          .join(", ")}
                      </td>
                      <td class="num">${counter.faults}</td>
                      <td class="num">${counter.maxIdentifiers || ""}</td>
                    </tr>`,
                ),
              )
        }
        <h2 id="tokens">Invitation tokens issued</h2>
        <dl>
          <dt>Patients given tokens</dt>
          <dd>${log.tokens.identifiers}</dd>
          <dt>Token pairs issued</dt>
          <dd>${log.tokens.pairs}</dd>
          <dt>Patients given more than one pair</dt>
          <dd>${log.tokens.issuedMoreThanOnce}</dd>
        </dl>
        <h2 id="recent">Most recent calls</h2>
        ${
          recent.length === 0
            ? html`<p>No calls yet.</p>`
            : table(
                "Most recent calls, newest first",
                html`<tr>
                  <th scope="col">At (sandbox clock)</th>
                  <th scope="col">Method</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col" class="num">Status</th>
                  <th scope="col" class="num">Time (ms)</th>
                  <th scope="col">Client</th>
                  <th scope="col" class="num">Identifiers</th>
                  <th scope="col">Fault</th>
                </tr>`,
                recent.map(
                  (c) =>
                    html`<tr>
                      <td>${c.at}</td>
                      <td>${c.method}</td>
                      <td><code>${c.endpoint}</code></td>
                      <td class="num">${c.status === 0 ? "none" : c.status}</td>
                      <td class="num">${c.durationMs}</td>
                      <td>${c.clientId ?? ""}</td>
                      <td class="num">${c.identifiers ?? ""}</td>
                      <td>${c.fault ?? ""}</td>
                    </tr>`,
                ),
              )
        }`,
    });
  };

  const population = (): Reply => {
    const summary = summarise(state, clock.now());
    return page({
      title: "Population",
      wide: true,
      body: html`<h1>Population</h1>
        <p>
          The synthetic population, built from seed ${summary.seed} around ${summary.anchor}. Sample
          identifiers are synthetic too (NHS numbers in the never-issued 9xx range).
        </p>
        ${nav}
        <h2 id="counts">Counts</h2>
        ${table(
          "How many of each",
          html`<tr>
            <th scope="col">What</th>
            <th scope="col" class="num">Count</th>
          </tr>`,
          Object.entries(summary.counts).map(
            ([what, n]) =>
              html`<tr>
                <th scope="row">${what}</th>
                <td class="num">${n}</td>
              </tr>`,
          ),
        )}
        <h2 id="samples">Sample identifiers by category</h2>
        ${table(
          "Sample identifiers (the trust's view)",
          html`<tr>
            <th scope="col">Category</th>
            <th scope="col">Identifiers</th>
          </tr>`,
          Object.entries(summary.samples).map(
            ([category, ids]) =>
              html`<tr>
                <th scope="row">${category}</th>
                <td>${ids.map((id) => html`<code>${id.value}</code> `)}</td>
              </tr>`,
          ),
        )}`,
    });
  };

  return [
    { method: "GET", pattern: /^\/$/, endpoint: "front.home", handle: home, faultable: false },
    {
      // Browsers ask for it on every page; a quiet "no content" keeps the call log clean.
      method: "GET",
      pattern: /^\/favicon\.ico$/,
      endpoint: "front.favicon",
      handle: () => ({ status: 204, headers: { "cache-control": "max-age=86400" } }),
      faultable: false,
    },
    {
      method: "GET",
      pattern: /^\/sandbox\/calls\/?$/,
      endpoint: "front.calls",
      handle: calls,
      faultable: false,
    },
    {
      method: "GET",
      pattern: /^\/sandbox\/population\/?$/,
      endpoint: "front.population",
      handle: population,
      faultable: false,
    },
    notifyPageRoute(app, nav),
  ];
}
