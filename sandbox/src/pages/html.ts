import { randomBytes } from "node:crypto";
import type { Reply } from "../http/reply.ts";

/** Escapes text for HTML element content and double-quoted attributes. Everything dynamic goes through it. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A fragment of already-escaped HTML. Only the helpers here create one. */
export interface SafeHtml {
  readonly __html: string;
}

export function raw(html: string): SafeHtml {
  return { __html: html };
}

/** Tagged template: interpolations are escaped unless they are SafeHtml (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return raw(out);
}

function render(value: unknown): string {
  if (Array.isArray(value)) return value.map(render).join("");
  if (value && typeof value === "object" && "__html" in value) {
    return String((value as SafeHtml).__html);
  }
  if (value === undefined || value === null || value === false) return "";
  return escapeHtml(value);
}

// NHS-style palette: #005eb8 blue on white is 6.3:1; #212b32 text is 14.7:1; focus uses the
// yellow-and-black pattern so it stays visible on every background.
const STYLES = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font-family:Arial,"Helvetica Neue",Helvetica,sans-serif;font-size:1.1875rem;line-height:1.5;color:#212b32;background:#f0f4f5}
a{color:#005eb8}
a:visited{color:#330072}
a:focus,button:focus,input:focus,.skip:focus{outline:4px solid #ffeb3b;outline-offset:0;box-shadow:0 4px 0 #212b32;background-color:#ffeb3b;color:#212b32}
.skip{position:absolute;left:-9999px;top:0;padding:.5rem 1rem}
.skip:focus{left:1rem}
header{background:#005eb8;color:#fff;padding:1rem 0}
header .brand{font-weight:700;font-size:1.5rem;letter-spacing:.01em}
header .tag{display:inline-block;margin-left:.75rem;padding:.1rem .5rem;border:2px solid #fff;border-radius:4px;font-size:.9rem;font-weight:700;vertical-align:middle}
.wrap{max-width:40rem;margin:0 auto;padding:0 1rem}
main{padding:2rem 0 3rem}
.card{background:#fff;border-radius:4px;padding:1.5rem 1.5rem 1.75rem;box-shadow:0 4px 0 #d8dde0}
h1{font-size:2rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.5rem;margin:1.5rem 0 .75rem}
p{margin:0 0 1rem}
.lede{font-size:1.25rem}
label,legend{display:block;font-weight:700;margin-bottom:.25rem}
.hint{color:#4c6272;margin:0 0 .5rem;font-size:1rem}
input[type=text],input[type=email],input[type=password]{display:block;width:100%;max-width:26rem;font:inherit;padding:.4rem .5rem;border:2px solid #4c6272;border-radius:0;margin-bottom:1.25rem;background:#fff;color:#212b32}
input:focus{background:#fff}
fieldset{border:0;padding:0;margin:0 0 1rem}
.date{display:flex;gap:1rem}
.date div{display:flex;flex-direction:column}
.date input{width:4.5rem;margin-bottom:0}
.date .year{width:6.5rem}
.date label{font-weight:400}
.actions{display:flex;gap:1rem;flex-wrap:wrap;margin-top:1.5rem}
button{font:inherit;font-weight:700;border:0;border-radius:4px;padding:.6rem 1.2rem;cursor:pointer;box-shadow:0 4px 0 #00401e;background:#007f3b;color:#fff}
button.secondary{background:#4c6272;box-shadow:0 4px 0 #263139}
button:hover{filter:brightness(.92)}
.error-summary{border:4px solid #d5281b;padding:1rem 1.25rem;margin-bottom:1.5rem;background:#fff}
.error-summary h2{margin-top:0;font-size:1.25rem}
.error-message{color:#d5281b;font-weight:700;margin:0 0 .25rem}
.input-error{border-color:#d5281b !important}
.panel{border-left:8px solid #005eb8;background:#eef7ff;padding:1rem 1.25rem;margin:1rem 0}
.panel h2{margin-top:0;font-size:1.25rem}
.success{border-left-color:#007f3b;background:#e8f5ee}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}
dt{font-weight:700}
dd{margin:0}
.visually-hidden{position:absolute !important;width:1px;height:1px;margin:0;padding:0;overflow:hidden;clip:rect(0 0 0 0);border:0;white-space:nowrap}
footer{color:#4c6272;font-size:.95rem;padding:0 0 2rem}
.wrap.wide{max-width:68rem}
.table-scroll{overflow-x:auto;margin:0 0 1.5rem}
table{border-collapse:collapse;width:100%;font-size:1rem}
caption{text-align:left;font-weight:700;padding:0 0 .5rem}
th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;border-bottom:1px solid #aeb7bd}
thead th{border-bottom:2px solid #212b32}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:"Courier New",Courier,monospace;font-size:.95em;overflow-wrap:anywhere}
ul.links{padding-left:1.25rem}
`;

export interface PageOptions {
  title: string;
  body: SafeHtml;
  status?: number;
  /** Shown in the header next to the brand, e.g. "Sandbox". */
  tag?: string;
  /** A wider column, for pages with tables. */
  wide?: boolean;
}

export function page(options: PageOptions): Reply {
  const nonce = randomBytes(16).toString("base64");
  const document = html`<!doctype html>
    <html lang="en-GB">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} – Patients Know Best (sandbox)</title>
        <style nonce="${nonce}">
          ${raw(STYLES)}
        </style>
      </head>
      <body>
        <a class="skip" href="#main">Skip to main content</a>
        <header>
          <div class="${options.wide ? "wrap wide" : "wrap"}">
            <span class="brand">Patients Know Best</span
            ><span class="tag">${options.tag ?? "Sandbox"}</span>
          </div>
        </header>
        <div class="${options.wide ? "wrap wide" : "wrap"}">
          <main id="main" tabindex="-1">
            <div class="card">${options.body}</div>
          </main>
          <footer>
            <p>
              This is the PKB Desk sandbox: a stand-in for Patients Know Best used for testing and
              training. It holds only synthetic data.
            </p>
          </footer>
        </div>
      </body>
    </html>`;
  return {
    status: options.status ?? 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'`,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
    },
    body: document.__html,
  };
}

export interface FieldError {
  field: string;
  message: string;
}

export function errorSummary(errors: readonly FieldError[]): SafeHtml {
  if (errors.length === 0) return raw("");
  return html`<div
    class="error-summary"
    role="alert"
    aria-labelledby="error-summary-title"
    tabindex="-1"
  >
    <h2 id="error-summary-title">There is a problem</h2>
    <ul>
      ${errors.map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>`)}
    </ul>
  </div>`;
}

export function messagePage(title: string, paragraphs: readonly string[], status: number): Reply {
  return page({
    title,
    status,
    body: html`<h1>${title}</h1>
      ${paragraphs.map((p) => html`<p>${p}</p>`)}`,
  });
}
