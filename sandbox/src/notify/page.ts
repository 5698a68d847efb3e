import type { Route, SandboxApp } from "../app.ts";
import type { RequestContext } from "../http/context.ts";
import type { Reply } from "../http/reply.ts";
import { html, page, type SafeHtml } from "../pages/html.ts";
import { sendCounts } from "./controls.ts";
import { notifyTime } from "./store.ts";

/**
 * `/sandbox/notify`: the text messages and e-mails the sandbox's Notify was asked to send, newest
 * first, with where each stands. Read-only and keyless like the call log: every recipient here is
 * synthetic (the population's drama-range mobiles and example.com addresses).
 */

const SHOWN = 200;

const CALLBACK_WORDS = {
  "not-due": "not yet due",
  pending: "waiting to be sent",
  delivered: "sent",
  failed: "given up",
  "not-configured": "no callback set",
} as const;

export function notifyPageRoute(app: SandboxApp, nav: SafeHtml): Route {
  const { notify } = app;
  const handle = (ctx: RequestContext): Reply => {
    const all = notify.all();
    const counts = sendCounts(all);
    const byStatus: Record<string, number> = {};
    for (const s of all) {
      const status = notify.statusOf(s);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
    const recent = all.slice(-SHOWN).reverse();
    const callback = notify.callback();
    return page({
      title: "Notify sends",
      wide: true,
      tag: "Sandbox · Notify",
      body: html`<h1>Notify sends</h1>
        <p>
          Text messages and e-mails sent through the sandbox's GOV.UK Notify API at
          <code>${ctx.baseUrl}/v2/notifications</code>. Statuses move with the sandbox clock.
          <a href="/sandbox/notify">Refresh</a>
        </p>
        ${nav}
        <h2 id="summary">Summary</h2>
        <dl>
          <dt>Notifications</dt>
          <dd>${all.length}</dd>
          <dt>By status</dt>
          <dd>
            ${
              Object.keys(byStatus).length === 0
                ? "none yet"
                : Object.entries(byStatus)
                    .map(([status, n]) => `${status}: ${n}`)
                    .join(", ")
            }
          </dd>
          <dt>Recipients sent more than once</dt>
          <dd>${counts.sentMoreThanOnce.length}</dd>
          <dt>Delivery-receipt callback</dt>
          <dd>${callback ? html`<code>${callback.url}</code>` : "not configured"}</dd>
        </dl>
        <h2 id="sends">Most recent sends</h2>
        ${
          recent.length === 0
            ? html`<p>Nothing sent yet.</p>`
            : html`<div
                class="table-scroll"
                role="region"
                aria-label="Most recent sends, newest first"
                tabindex="0"
              >
                <table>
                  <caption>
                    Most recent sends, newest first${all.length > SHOWN ? ` (last ${SHOWN})` : ""}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Created (sandbox clock)</th>
                      <th scope="col">Type</th>
                      <th scope="col">To</th>
                      <th scope="col">Reference</th>
                      <th scope="col">Status</th>
                      <th scope="col">Callback</th>
                      <th scope="col">Message</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${recent.map(
                      (s) =>
                        html`<tr>
                          <td>${notifyTime(s.createdAt)}</td>
                          <td>${s.type === "sms" ? "text message" : "e-mail"}</td>
                          <td><code>${s.to}</code></td>
                          <td>${s.reference ?? ""}</td>
                          <td>${notify.statusOf(s)}</td>
                          <td>
                            ${CALLBACK_WORDS[s.callback.state]}${
                              s.callback.attempts > 0
                                ? ` (${s.callback.attempts} attempt${s.callback.attempts === 1 ? "" : "s"}, last ${s.callback.lastResult ?? ""})`
                                : ""
                            }
                          </td>
                          <td>
                            ${s.subject ? html`<strong>${s.subject}</strong><br />` : ""}${s.body}
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }`,
    });
  };
  return {
    method: "GET",
    pattern: /^\/sandbox\/notify\/?$/,
    endpoint: "front.notify",
    handle,
    faultable: false,
  };
}
