import { describe, expect, it } from "vitest";
import {
  DEFAULT_TEMPLATES,
  renderSms,
  SAMPLE_VALUES,
  templateProblems,
} from "./channel-templates.ts";
import { countSms } from "./sms-segments.ts";

describe("invitation templates", () => {
  it("the defaults pass their channel's rules", () => {
    for (const channel of ["LETTER", "SMS", "EMAIL"] as const) {
      expect(templateProblems(channel, DEFAULT_TEMPLATES[channel])).toEqual([]);
    }
  });

  it("refuses a date-of-birth placeholder with a clear message, in any spelling", () => {
    for (const dob of ["((date of birth))", "((DOB))", "((birth_date))"]) {
      const problems = templateProblems("LETTER", {
        ...DEFAULT_TEMPLATES.LETTER,
        body: `${DEFAULT_TEMPLATES.LETTER.body}\nBorn: ${dob}`,
      });
      expect(problems).toHaveLength(1);
      expect(problems[0]!.message).toMatch(/never show the date of birth/);
    }
  });

  it("a letter must print the expiry date and the codes; unknown placeholders are named", () => {
    const problems = templateProblems("LETTER", {
      subject: "Hello",
      body: "Dear ((name)), ((invitation code)) ((favourite colour))",
      linkMessage: null,
    });
    expect(problems.map((p) => p.message).join(" ")).toMatch(/include \(\(expiry date\)\)/);
    expect(problems.map((p) => p.message).join(" ")).toMatch(
      /\(\(favourite colour\)\) is not a placeholder/,
    );
    expect(problems.map((p) => p.message).join(" ")).toMatch(/access code/);
  });

  it("an SMS keeps the codes in the first message and the link in the second", () => {
    const problems = templateProblems("SMS", {
      subject: null,
      body: "Codes ((invitation code)) ((access code)) ((join link))",
      linkMessage: "((access code))",
    });
    const fields = problems.map((p) => `${p.field}: ${p.message}`);
    expect(fields.some((f) => f.startsWith("body:") && /second message/.test(f))).toBe(true);
    expect(
      fields.some((f) => f.startsWith("linkMessage:") && /include \(\(join link\)\)/.test(f)),
    ).toBe(true);
    const sms = renderSms(DEFAULT_TEMPLATES.SMS, SAMPLE_VALUES);
    expect(sms.messages[0]).toContain(SAMPLE_VALUES["invitation code"]);
    expect(sms.messages[0]).not.toContain("http");
    expect(sms.messages[1]).toContain(SAMPLE_VALUES["join link"]);
  });

  it("counts GSM-7 and UCS-2 segments as the network does", () => {
    expect(countSms("a".repeat(160))).toMatchObject({ encoding: "GSM-7", segments: 1 });
    expect(countSms("a".repeat(161))).toMatchObject({ encoding: "GSM-7", segments: 2 });
    expect(countSms("€".repeat(80))).toMatchObject({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(countSms("a".repeat(70) + "é")).toMatchObject({ encoding: "GSM-7", segments: 1 });
    expect(countSms("Zoë’s code")).toMatchObject({
      encoding: "UCS-2",
      segments: 1,
      nonGsm: ["ë", "’"],
    });
    expect(countSms("’".repeat(71))).toMatchObject({ encoding: "UCS-2", segments: 2 });
  });
});
