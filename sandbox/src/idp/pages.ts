import { randomBytes } from "node:crypto";
import { html, raw, type SafeHtml } from "../pages/html.ts";
import type { StaffIdentity } from "./identities.ts";

/**
 * The identity provider's own pages: sign-in, consent, errors and sign-out. Plain server-rendered
 * HTML (no script), English, one h1 each, every field labelled, errors summarised and linked to
 * their field; colours at AA contrast or better. They look like a trust's sign-in, not like PKB.
 */
export interface IdpPage {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const STYLES = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font-family:"Segoe UI",Arial,Helvetica,sans-serif;font-size:1.125rem;line-height:1.5;color:#1b1b1b;background:#f2f2f2}
a{color:#0a58a8}
a:focus,button:focus,input:focus,.skip:focus{outline:3px solid #ffbf47;outline-offset:0;box-shadow:0 0 0 5px #1b1b1b}
.skip{position:absolute;left:-9999px;top:0;padding:.5rem 1rem;background:#ffbf47;color:#1b1b1b}
.skip:focus{left:1rem}
header{background:#1f3864;color:#fff;padding:.9rem 0}
header .brand{font-weight:700;font-size:1.25rem}
header .tag{display:inline-block;margin-left:.75rem;padding:0 .45rem;border:2px solid #fff;border-radius:3px;font-size:.85rem;font-weight:700;vertical-align:middle}
.wrap{max-width:34rem;margin:0 auto;padding:0 1rem}
main{padding:2rem 0}
.card{background:#fff;border:1px solid #c8c8c8;padding:1.5rem 1.5rem 1.75rem}
h1{font-size:1.75rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
p{margin:0 0 1rem}
label{display:block;font-weight:700;margin-bottom:.25rem}
input[type=email],input[type=password]{display:block;width:100%;font:inherit;padding:.4rem .5rem;border:2px solid #595959;margin-bottom:1.25rem;background:#fff;color:#1b1b1b}
.input-error{border-color:#b10e1e !important}
.error-message{color:#b10e1e;font-weight:700;margin:0 0 .25rem}
.error-summary{border:4px solid #b10e1e;padding:1rem 1.25rem;margin-bottom:1.5rem}
.error-summary h2{margin-top:0}
.actions{display:flex;gap:1rem;flex-wrap:wrap;margin-top:1rem}
button{font:inherit;font-weight:700;border:0;padding:.55rem 1.2rem;cursor:pointer;background:#1f3864;color:#fff}
button.secondary{background:#fff;color:#1f3864;border:2px solid #1f3864}
ul{margin:0 0 1rem;padding-left:1.25rem}
table{border-collapse:collapse;width:100%;font-size:.95rem;margin:0 0 1rem}
caption{text-align:left;font-weight:700;padding-bottom:.25rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #c8c8c8}
code{font-family:Consolas,"Courier New",monospace;overflow-wrap:anywhere}
footer{color:#4a4a4a;font-size:.95rem;padding:0 0 2rem}
.visually-hidden{position:absolute !important;width:1px;height:1px;margin:0;padding:0;overflow:hidden;clip:rect(0 0 0 0);border:0;white-space:nowrap}
`;

function layout(title: string, body: SafeHtml, status = 200): IdpPage {
  const nonce = randomBytes(16).toString("base64");
  const document = html`<!doctype html>
    <html lang="en-GB">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} – Riverside staff sign-in (sandbox)</title>
        <style nonce="${nonce}">
          ${raw(STYLES)}
        </style>
      </head>
      <body>
        <a class="skip" href="#main">Skip to main content</a>
        <header>
          <div class="wrap">
            <span class="brand">Riverside University Hospitals staff sign-in</span
            ><span class="tag">Sandbox</span>
          </div>
        </header>
        <div class="wrap">
          <main id="main" tabindex="-1">
            <div class="card">${body}</div>
          </main>
          <footer>
            <p>
              A stand-in for the trust's identity provider, for testing and training PKB Desk. Every
              account here is synthetic.
            </p>
          </footer>
        </div>
      </body>
    </html>`;
  return {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; frame-ancestors 'none'`,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
    },
    body: document.__html,
  };
}

function identitiesTable(identities: readonly StaffIdentity[], password: string | null): SafeHtml {
  return html`<h2>Sandbox staff</h2>
    <p>
      Synthetic people for testing and
      training${password ? html`; the password for each is <code>${password}</code>` : ""}.
    </p>
    <table>
      <caption class="visually-hidden">
        Sandbox staff accounts
      </caption>
      <thead>
        <tr>
          <th scope="col">E-mail address</th>
          <th scope="col">Who</th>
        </tr>
      </thead>
      <tbody>
        ${identities.map(
          (identity) =>
            html`<tr>
              <td><code>${identity.email}</code></td>
              <td>${identity.name}, ${identity.about}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function loginPage(options: {
  uid: string;
  clientName: string;
  email?: string;
  error?: string;
  identities: readonly StaffIdentity[];
  /** Shown when every identity shares one password (the defaults). */
  sharedPassword: string | null;
}): IdpPage {
  const { uid, error } = options;
  return layout(
    error ? "Error: Sign in" : "Sign in",
    html`${
        error
          ? html`<div class="error-summary" role="alert" aria-labelledby="problem" tabindex="-1">
              <h2 id="problem">There is a problem</h2>
              <ul>
                <li><a href="#email">${error}</a></li>
              </ul>
            </div>`
          : ""
      }
      <h1>Sign in with your trust account</h1>
      <p>${options.clientName} is asking you to sign in.</p>
      <form method="post" action="/interaction/${uid}/login" novalidate>
        ${error ? html`<p class="error-message" id="email-error">${error}</p>` : ""}
        <label for="email">E-mail address</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          spellcheck="false"
          value="${options.email ?? ""}"
          ${raw(error ? 'class="input-error" aria-describedby="email-error"' : "")}
          required
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>
      <form method="post" action="/interaction/${uid}/abort">
        <div class="actions">
          <button type="submit" class="secondary">Cancel and go back</button>
        </div>
      </form>
      ${identitiesTable(options.identities, options.sharedPassword)}`,
    error ? 401 : 200,
  );
}

const SCOPE_WORDS: Record<string, string> = {
  openid: "Who you are (an identifier that never changes)",
  email: "Your e-mail address",
  profile: "Your name",
};

export function consentPage(options: {
  uid: string;
  clientName: string;
  personName: string;
  scopes: string[];
}): IdpPage {
  return layout(
    "Allow access",
    html`<h1>Allow ${options.clientName} to know who you are?</h1>
      <p>You are signed in as ${options.personName}. ${options.clientName} will receive:</p>
      <ul>
        ${options.scopes.map((scope) => html`<li>${SCOPE_WORDS[scope] ?? scope}</li>`)}
        <li>The trust groups you are in (they decide your role and team)</li>
      </ul>
      <form method="post" action="/interaction/${options.uid}/confirm">
        <div class="actions"><button type="submit">Allow</button></div>
      </form>
      <form method="post" action="/interaction/${options.uid}/abort">
        <div class="actions">
          <button type="submit" class="secondary">Do not allow</button>
        </div>
      </form>`,
  );
}

export function messagePage(title: string, paragraphs: readonly string[], status: number): IdpPage {
  return layout(
    title,
    html`<h1>${title}</h1>
      ${paragraphs.map((paragraph) => html`<p>${paragraph}</p>`)}`,
    status,
  );
}

export function frontPage(options: {
  issuer: string;
  clientId: string;
  identities: readonly StaffIdentity[];
  sharedPassword: string | null;
}): IdpPage {
  return layout(
    "Trust identity provider",
    html`<h1>Trust identity provider (sandbox)</h1>
      <p>
        An OpenID Connect provider built on the certified <code>oidc-provider</code> library, for
        PKB Desk's "Sign in with your trust account".
      </p>
      <h2>For PKB Desk's single sign-on settings</h2>
      <ul>
        <li>Issuer: <code>${options.issuer}</code></li>
        <li>Discovery: <code>${options.issuer}/.well-known/openid-configuration</code></li>
        <li>Client id: <code>${options.clientId}</code> (the secret is printed by the command)</li>
      </ul>
      ${identitiesTable(options.identities, options.sharedPassword)}`,
  );
}

/** oidc-provider's own pages (errors, sign-out), in the same look. The form is the library's. */
export function logoutPage(form: string): IdpPage {
  return layout(
    "Sign out",
    html`<h1>Sign out of your trust account?</h1>
      ${raw(form)}
      <div class="actions">
        <button type="submit" form="op.logoutForm" value="yes" name="logout">
          Yes, sign me out
        </button>
        <button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>
      </div>`,
  );
}
