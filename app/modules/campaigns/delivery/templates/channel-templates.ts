import { z } from "zod";
import {
  checkPlaceholders,
  renderTemplate,
  usesPlaceholder,
  type PlaceholderValues,
  type TemplateProblem,
} from "./placeholders.ts";
import { countSms, type SmsCount } from "./sms-segments.ts";

/**
 * The three invitation templates, their rules and their rendering. Rules come from pkb-api.md §7
 * and quality.md: letters never print the date of birth and always print the expiry date; text
 * messages go as two messages (codes, then the link) so neither is split; e-mails carry the Join
 * link.
 */

export type TemplateChannel = "LETTER" | "SMS" | "EMAIL";

export interface ChannelTemplate {
  subject: string | null;
  body: string;
  /** SMS only: the second message. */
  linkMessage: string | null;
}

/** Notify refuses text messages longer than this (six fragments of GSM-7). */
export const SMS_MAX_CHARACTERS = 918;

export const DEFAULT_TEMPLATES: Record<TemplateChannel, ChannelTemplate> = {
  LETTER: {
    subject: "Your invitation to Patients Know Best",
    body: [
      "Dear ((name)),",
      "",
      "((trust name)) invites you to join Patients Know Best (PKB), a secure online service where you can see your hospital letters, test results and appointments, and message your care team.",
      "",
      "To join, go to the web address below, or scan the code, and enter these codes when asked:",
      "",
      "Invitation code: ((invitation code))",
      "Access code: ((access code))",
      "",
      "((join link))",
      "",
      "You will be asked to confirm your date of birth and to choose a password. These codes can only be used once and stop working on ((expiry date)).",
      "",
      "If you do not want to join, you do not need to do anything. Your care will not change.",
      "",
      "Yours sincerely,",
      "",
      "The Patient Engagement Team",
      "((trust name))",
    ].join("\n"),
    linkMessage: null,
  },
  SMS: {
    subject: null,
    body: "((trust name)): you are invited to join Patients Know Best. Invitation code ((invitation code)), access code ((access code)). The codes expire on ((expiry date)). The link follows in a second message.",
    linkMessage: "Join Patients Know Best here: ((join link))",
  },
  EMAIL: {
    subject: "Your invitation to join Patients Know Best",
    body: [
      "Dear ((name)),",
      "",
      "((trust name)) invites you to join Patients Know Best, a secure online service where you can see your hospital letters, results and appointments.",
      "",
      "Join here: ((join link))",
      "",
      "If the link asks for them, your invitation code is ((invitation code)) and your access code is ((access code)).",
      "",
      "You will be asked to confirm your date of birth and choose a password. This invitation expires on ((expiry date)).",
      "",
      "If you did not expect this e-mail, you can ignore it.",
      "",
      "((trust name))",
    ].join("\n"),
    linkMessage: null,
  },
};

export const templateFormSchema = z.object({
  channel: z.enum(["LETTER", "SMS", "EMAIL"]),
  subject: z.string().trim().max(200).optional(),
  body: z.string().trim().min(1, "Write the message").max(5000),
  linkMessage: z.string().trim().max(SMS_MAX_CHARACTERS).optional(),
});
export type TemplateForm = z.infer<typeof templateFormSchema>;

/** Everything wrong with a template for its channel, each naming its field. */
export function templateProblems(
  channel: TemplateChannel,
  template: ChannelTemplate,
): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const subject = template.subject ?? "";
  const link = template.linkMessage ?? "";
  const need = (
    field: string,
    text: string,
    placeholder: Parameters<typeof usesPlaceholder>[1],
    why: string,
  ) => {
    if (!usesPlaceholder(text, placeholder)) problems.push({ field, message: why });
  };
  if (channel === "LETTER") {
    problems.push(...checkPlaceholders("subject", "Heading", subject));
    problems.push(...checkPlaceholders("body", "Letter", template.body));
    need(
      "body",
      template.body,
      "expiry date",
      "Letter: include ((expiry date)) — every letter says when its codes stop working.",
    );
    need("body", template.body, "invitation code", "Letter: include ((invitation code)).");
    need("body", template.body, "access code", "Letter: include ((access code)).");
  } else if (channel === "SMS") {
    problems.push(...checkPlaceholders("body", "First message", template.body));
    problems.push(...checkPlaceholders("linkMessage", "Second message", link));
    need("body", template.body, "invitation code", "First message: include ((invitation code)).");
    need("body", template.body, "access code", "First message: include ((access code)).");
    if (usesPlaceholder(template.body, "join link")) {
      problems.push({
        field: "body",
        message:
          "First message: the ((join link)) goes in the second message, so the codes and the link each arrive whole.",
      });
    }
    need("linkMessage", link, "join link", "Second message: include ((join link)).");
    for (const code of ["invitation code", "access code"] as const) {
      if (usesPlaceholder(link, code)) {
        problems.push({
          field: "linkMessage",
          message: `Second message: ((${code})) belongs in the first message.`,
        });
      }
    }
  } else {
    problems.push(...checkPlaceholders("subject", "Subject", subject));
    problems.push(...checkPlaceholders("body", "E-mail", template.body));
    if (!subject.trim()) {
      problems.push({ field: "subject", message: "Subject: write a subject line." });
    }
    need("body", template.body, "join link", "E-mail: include ((join link)).");
    need("body", template.body, "expiry date", "E-mail: include ((expiry date)).");
  }
  return problems;
}

export interface RenderedSms {
  messages: [string, string];
  counts: [SmsCount, SmsCount];
}

export function renderSms(template: ChannelTemplate, values: PlaceholderValues): RenderedSms {
  const messages: [string, string] = [
    renderTemplate(template.body, values),
    renderTemplate(template.linkMessage ?? "", values),
  ];
  return { messages, counts: [countSms(messages[0]), countSms(messages[1])] };
}

export function renderEmail(
  template: ChannelTemplate,
  values: PlaceholderValues,
): { subject: string; body: string } {
  return {
    subject: renderTemplate(template.subject ?? "", values),
    body: renderTemplate(template.body, values),
  };
}

export function renderLetter(
  template: ChannelTemplate,
  values: PlaceholderValues,
): { heading: string; body: string } {
  return {
    heading: renderTemplate(template.subject ?? "", values),
    body: renderTemplate(template.body, values),
  };
}

/** Made-up values for the preview: nobody's real codes. */
export const SAMPLE_VALUES: PlaceholderValues = {
  name: "Alex Morgan",
  "given name": "Alex",
  "family name": "Morgan",
  "invitation code": "K7QF2M9XRT",
  "access code": "83D1PZ",
  "join link": "https://join.example.nhs.uk/join?t1=K7QF2M9XRT&t2=83D1PZ",
  "expiry date": "4 January 2027",
  "trust name": "Example NHS Foundation Trust",
};
