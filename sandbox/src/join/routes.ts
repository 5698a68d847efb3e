import { randomBytes } from "node:crypto";
import type { Route, SandboxApp } from "../app.ts";
import { parseForm, type RequestContext } from "../http/context.ts";
import type { Reply } from "../http/reply.ts";
import {
  errorSummary,
  html,
  messagePage,
  page,
  raw,
  type FieldError,
  type SafeHtml,
} from "../pages/html.ts";
import type { Invitation, Patient } from "../population/model.ts";

const MAX_DOB_ATTEMPTS = 5;
const JOIN_SESSION_MS = 30 * 60_000;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface JoinSession {
  code: string;
  expiresAt: number;
}

type InvitationCheck =
  { ok: true; invitation: Invitation; patient: Patient } | { ok: false; reply: Reply };

function hidden(name: string, value: string | undefined): SafeHtml {
  return value === undefined
    ? raw("")
    : html`<input type="hidden" name="${name}" value="${value}" />`;
}

function field(
  id: string,
  label: string,
  type: string,
  errors: readonly FieldError[],
  options: { value?: string; autocomplete?: string; hint?: string } = {},
): SafeHtml {
  const error = errors.find((e) => e.field === id);
  const described = [options.hint ? `${id}-hint` : "", error ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  return html`<label for="${id}">${label}</label>
    ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ""}
    ${error ? html`<p class="error-message" id="${id}-error"><span class="visually-hidden">Error:</span> ${error.message}</p>` : ""}
    <input
      type="${type}"
      id="${id}"
      name="${id}"
      value="${options.value ?? ""}"
      ${options.autocomplete ? html`autocomplete="${options.autocomplete}"` : ""}
      ${described ? html`aria-describedby="${described}"` : ""}
      class="${error ? "input-error" : ""}"
      spellcheck="false"
    />`;
}

/**
 * Join PKB (pkb-api.md §7): the patient proves their date of birth, then sets an e-mail and
 * password. Registration ends every invitation the patient holds.
 */
export function joinRoutes(app: SandboxApp): Route[] {
  const { state, clock } = app;
  const attempts = new Map<string, number>();
  const sessions = new Map<string, JoinSession>();

  const organisationName = (invitation: Invitation): string =>
    state.population.organisations[invitation.orgIndex]?.name ?? "Your hospital";

  const checkInvitation = (t1: string, t2: string): InvitationCheck => {
    const invitation = state.invitationByCode(t1);
    const now = clock.now();
    if (!invitation || invitation.token !== t2.trim().toUpperCase()) {
      return {
        ok: false,
        reply: page({
          title: "We could not find your invitation",
          status: 404,
          body: html`<h1>We could not find your invitation</h1>
            <p>
              The invitation code or access code is not right. Check them against your letter or
              text message and try again.
            </p>
            <p><a href="/join">Enter your codes again</a></p>`,
        }),
      };
    }
    const patient = state.population.patients[invitation.patientIndex] as Patient;
    if (patient.registered || invitation.revokedAt !== null) {
      return {
        ok: false,
        reply: messagePage(
          "This invitation has already been used",
          [
            "You have already joined Patients Know Best, or this invitation was replaced. Sign in with your e-mail address and password instead.",
          ],
          410,
        ),
      };
    }
    if (now >= invitation.expiresAt) {
      return {
        ok: false,
        reply: messagePage(
          "This invitation has expired",
          [
            "Invitations last 30 days and this one has run out.",
            `Ask ${organisationName(invitation)} to send you a new invitation.`,
          ],
          410,
        ),
      };
    }
    return { ok: true, invitation, patient };
  };

  const codesPage = (
    ctx: RequestContext,
    errors: FieldError[],
    values: { t1?: string; t2?: string },
  ): Reply =>
    page({
      title: errors.length ? "Error: Join Patients Know Best" : "Join Patients Know Best",
      status: errors.length ? 400 : 200,
      body: html`${errorSummary(errors)}
        <h1>Join Patients Know Best</h1>
        <p class="lede">Enter the codes from your invitation letter or text message.</p>
        <form method="get" action="${ctx.url.pathname}" novalidate>
          ${field("t1", "Invitation code", "text", errors, { value: values.t1 ?? "", autocomplete: "off", hint: "10 letters and numbers, for example ABCD234EFG" })}
          ${field("t2", "Access code", "text", errors, { value: values.t2 ?? "", autocomplete: "off", hint: "10 letters and numbers" })}
          ${hidden("e", ctx.url.searchParams.get("e") ?? undefined)}
          <div class="actions"><button type="submit">Continue</button></div>
        </form>`,
    });

  const dobPage = (
    invitation: Invitation,
    t1: string,
    t2: string,
    e: string | undefined,
    errors: FieldError[],
    values: { day?: string; month?: string; year?: string } = {},
  ): Reply => {
    const error = errors[0];
    return page({
      title: errors.length ? "Error: Confirm your date of birth" : "Confirm your date of birth",
      status: errors.length ? 400 : 200,
      body: html`${errorSummary(errors)}
        <h1>Confirm your date of birth</h1>
        <p class="lede">
          ${organisationName(invitation)} has invited you to see your health records in Patients
          Know Best.
        </p>
        <p>To keep your record safe, first tell us your date of birth.</p>
        <form method="post" action="/join/verify" novalidate>
          ${hidden("t1", t1)}${hidden("t2", t2)}${hidden("e", e)}
          <fieldset role="group" aria-describedby="dob-hint${error ? " dob-error" : ""}">
            <legend>What is your date of birth?</legend>
            <p class="hint" id="dob-hint">For example, 15 3 1984</p>
            ${error ? html`<p class="error-message" id="dob-error">${error.message}</p>` : ""}
            <div class="date">
              <div>
                <label for="dob-day">Day</label
                ><input
                  class="${error ? "input-error" : ""}"
                  type="text"
                  inputmode="numeric"
                  id="dob-day"
                  name="dob-day"
                  value="${values.day ?? ""}"
                  autocomplete="bday-day"
                  maxlength="2"
                />
              </div>
              <div>
                <label for="dob-month">Month</label
                ><input
                  class="${error ? "input-error" : ""}"
                  type="text"
                  inputmode="numeric"
                  id="dob-month"
                  name="dob-month"
                  value="${values.month ?? ""}"
                  autocomplete="bday-month"
                  maxlength="2"
                />
              </div>
              <div>
                <label for="dob-year">Year</label
                ><input
                  class="year ${error ? "input-error" : ""}"
                  type="text"
                  inputmode="numeric"
                  id="dob-year"
                  name="dob-year"
                  value="${values.year ?? ""}"
                  autocomplete="bday-year"
                  maxlength="4"
                />
              </div>
            </div>
          </fieldset>
          <div class="actions"><button type="submit">Continue</button></div>
        </form>`,
    });
  };

  const accountPage = (session: string, email: string, errors: FieldError[]): Reply =>
    page({
      title: errors.length ? "Error: Create your account" : "Create your account",
      status: errors.length ? 400 : 200,
      body: html`${errorSummary(errors)}
        <h1>Create your account</h1>
        <p class="lede">
          Thank you. Now choose the e-mail address and password you will sign in with.
        </p>
        <form method="post" action="/join/register" novalidate>
          ${hidden("session", session)}
          ${field("email", "Email address", "email", errors, { value: email, autocomplete: "email" })}
          ${field("confirm-email", "Confirm email address", "email", errors, { value: "", autocomplete: "email" })}
          ${field("password", "Create a password", "password", errors, { autocomplete: "new-password", hint: "At least 8 characters, with a letter and a number" })}
          ${field("confirm-password", "Confirm password", "password", errors, { autocomplete: "new-password" })}
          <div class="actions"><button type="submit">Create account</button></div>
        </form>`,
    });

  const start = (ctx: RequestContext): Reply => {
    const q = ctx.url.searchParams;
    const t1 = q.get("t1")?.trim() ?? "";
    const t2 = q.get("t2")?.trim() ?? "";
    const e = q.get("e") ?? undefined;
    if (!q.has("t1") && !q.has("t2")) return codesPage(ctx, [], {});
    const errors: FieldError[] = [];
    if (!t1) errors.push({ field: "t1", message: "Enter your invitation code" });
    if (!t2) errors.push({ field: "t2", message: "Enter your access code" });
    if (errors.length) return codesPage(ctx, errors, { t1, t2 });
    const check = checkInvitation(t1, t2);
    if (!check.ok) return check.reply;
    return dobPage(check.invitation, t1, t2, e, []);
  };

  const verify = async (ctx: RequestContext): Promise<Reply> => {
    const form = parseForm(await ctx.readBody());
    const t1 = form.get("t1") ?? "";
    const t2 = form.get("t2") ?? "";
    const e = form.get("e");
    const check = checkInvitation(t1, t2);
    if (!check.ok) return check.reply;
    const values = {
      day: form.get("dob-day")?.trim() ?? "",
      month: form.get("dob-month")?.trim() ?? "",
      year: form.get("dob-year")?.trim() ?? "",
    };
    const fail = (message: string): Reply =>
      dobPage(check.invitation, t1, t2, e, [{ field: "dob-day", message }], values);
    if (!values.day || !values.month || !values.year) {
      return fail("Enter your date of birth, including a day, month and year");
    }
    const day = Number(values.day);
    const month = Number(values.month);
    const year = Number(values.year);
    const date = new Date(Date.UTC(year, month - 1, day));
    if (
      !/^\d{4}$/.test(values.year) ||
      date.getUTCFullYear() !== year ||
      date.getUTCMonth() !== month - 1 ||
      date.getUTCDate() !== day
    ) {
      return fail("Date of birth must be a real date");
    }
    const given = date.toISOString().slice(0, 10);
    if (given !== check.patient.birthDate) {
      const count = (attempts.get(check.invitation.code) ?? 0) + 1;
      attempts.set(check.invitation.code, count);
      if (count >= MAX_DOB_ATTEMPTS) {
        check.invitation.revokedAt = clock.now();
        return messagePage(
          "Too many attempts",
          [
            `This invitation has been locked to protect your record. Ask ${organisationName(check.invitation)} for a new invitation.`,
          ],
          403,
        );
      }
      return fail("The date of birth does not match our records");
    }
    attempts.delete(check.invitation.code);
    const session = randomBytes(18).toString("base64url");
    sessions.set(session, {
      code: check.invitation.code,
      expiresAt: clock.now() + JOIN_SESSION_MS,
    });
    return accountPage(session, e ?? "", []);
  };

  const register = async (ctx: RequestContext): Promise<Reply> => {
    const form = parseForm(await ctx.readBody());
    const sessionId = form.get("session") ?? "";
    const session = sessions.get(sessionId);
    if (!session || session.expiresAt <= clock.now()) {
      sessions.delete(sessionId);
      return messagePage(
        "Your session has timed out",
        ["Open the link in your invitation again to start over."],
        400,
      );
    }
    const invitation = state.invitationByCode(session.code);
    if (!invitation) {
      return messagePage(
        "Your session has timed out",
        ["Open the link in your invitation again to start over."],
        400,
      );
    }
    const check = checkInvitation(invitation.code, invitation.token);
    if (!check.ok) return check.reply;
    const email = (form.get("email") ?? "").trim();
    const confirmEmail = (form.get("confirm-email") ?? "").trim();
    const password = form.get("password") ?? "";
    const confirmPassword = form.get("confirm-password") ?? "";
    const errors: FieldError[] = [];
    if (!EMAIL_PATTERN.test(email)) {
      errors.push({
        field: "email",
        message: "Enter an email address in the correct format, like name@example.com",
      });
    } else if (email.toLowerCase() !== confirmEmail.toLowerCase()) {
      errors.push({ field: "confirm-email", message: "Email addresses do not match" });
    }
    if (password.length < 8 || !/[A-Za-z]/.test(password) || !/\d/.test(password)) {
      errors.push({
        field: "password",
        message: "Password must be at least 8 characters, with a letter and a number",
      });
    } else if (password !== confirmPassword) {
      errors.push({ field: "confirm-password", message: "Passwords do not match" });
    }
    if (errors.length) return accountPage(sessionId, email, errors);
    sessions.delete(sessionId);
    state.register(check.patient, clock.now(), email);
    return page({
      title: "You have joined Patients Know Best",
      body: html`<h1>You have joined Patients Know Best</h1>
        <div class="panel success">
          <p>
            Your account is ready. You can now sign in with <strong>${email}</strong> and the
            password you chose.
          </p>
        </div>
        <p>
          ${organisationName(check.invitation)} will share your letters and appointments with you
          here.
        </p>`,
    });
  };

  return [
    {
      method: "GET",
      pattern: /^\/join(?:\/([A-Za-z0-9_-]*))?\/?$/,
      endpoint: "join.start",
      handle: start,
    },
    { method: "POST", pattern: /^\/join\/verify$/, endpoint: "join.verify", handle: verify },
    { method: "POST", pattern: /^\/join\/register$/, endpoint: "join.register", handle: register },
  ];
}
