/** Just enough HL7 v2 (ER7) to read an MDM^T02 and write an ACK. */

export interface Hl7Segment {
  name: string;
  /** fields[i] is SEG-i (for MSH, fields[1] is MSH-1, the field separator). */
  fields: string[];
}

export interface Hl7Message {
  segments: Hl7Segment[];
  componentSeparator: string;
  repetitionSeparator: string;
}

export function parseHl7(text: string): Hl7Message | undefined {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== "");
  const first = lines[0];
  if (!first?.startsWith("MSH") || first.length < 8) return undefined;
  const fieldSeparator = first[3] ?? "|";
  const encoding = first.slice(4).split(fieldSeparator)[0] ?? "^~\\&";
  const segments = lines.map((line) => {
    const parts = line.split(fieldSeparator);
    const name = parts[0] ?? "";
    // MSH-1 is the separator itself, so MSH fields are shifted by one relative to the split.
    const fields = name === "MSH" ? ["MSH", fieldSeparator, ...parts.slice(1)] : parts;
    return { name, fields };
  });
  return {
    segments,
    componentSeparator: encoding[0] ?? "^",
    repetitionSeparator: encoding[1] ?? "~",
  };
}

export function segment(message: Hl7Message, name: string): Hl7Segment | undefined {
  return message.segments.find((s) => s.name === name);
}

export function field(seg: Hl7Segment | undefined, index: number): string {
  return seg?.fields[index] ?? "";
}

export function component(message: Hl7Message, value: string, index: number): string {
  return value.split(message.componentSeparator)[index - 1] ?? "";
}

function hl7Timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

export type AckCode = "AA" | "AE" | "AR";

export function buildAck(
  request: Hl7Message | undefined,
  code: AckCode,
  text: string,
  now: number,
  controlId: string,
): string {
  const msh = request ? segment(request, "MSH") : undefined;
  const sendingApp = field(msh, 3);
  const sendingFacility = field(msh, 4);
  const version = field(msh, 12) || "2.4";
  const clean = (s: string): string => s.replace(/[|^~\\&\r\n]/g, " ");
  const lines = [
    `MSH|^~\\&|PKB|PKB|${sendingApp}|${sendingFacility}|${hl7Timestamp(now)}||ACK^T02^ACK|${controlId}|P|${version}`,
    `MSA|${code}|${field(msh, 10)}|${clean(text)}`,
  ];
  if (code !== "AA") {
    lines.push(
      `ERR|||${code === "AR" ? "200^Unsupported message type" : "204^Unknown key identifier"}^HL70357|E||||${clean(text)}`,
    );
  }
  return lines.join("\r") + "\r";
}
