import { Hl7Message, Hl7Segment } from "@medplum/core";
import type { IdentifierKind } from "~/generated/prisma/enums.ts";

/**
 * HL7 v2 for hybrid mail (pkb-api.md §8): one MDM^T02 per letter, built with @medplum/core, and
 * the ACK PKB answers with, read back with it. TXA-12.1 is the document id that
 * $read-receipt-query later asks about; PID-3 carries the national number with its assigning
 * authority. PID-7 (date of birth) is deliberately left empty, as in the letter itself.
 */

/** PID-3.4 assigning authority per identifier kind (as PKB's HL7 intake reads it). */
const ASSIGNING_AUTHORITY: Record<IdentifierKind, string> = { NHS: "NHS", CHI: "CHI", HC: "HC" };

export interface MdmDocument {
  documentId: string;
  /** MSH-10; a new one per attempt is fine, TXA-12.1 is what identifies the document */
  controlId: string;
  organisationPublicId: string;
  identifierKind: IdentifierKind;
  nationalId: string;
  givenName: string | null;
  familyName: string | null;
  title: string;
  lines: string[];
  at: Date;
}

/** HL7 v2 escapes (§2.7): text with | ^ ~ \ & or line breaks must not break the message apart. */
export function escapeHl7(text: string): string {
  return text
    .replace(/\\/g, "\\E\\")
    .replace(/\|/g, "\\F\\")
    .replace(/\^/g, "\\S\\")
    .replace(/&/g, "\\T\\")
    .replace(/~/g, "\\R\\")
    .replace(/\r\n|\r|\n/g, "\\.br\\");
}

export function unescapeHl7(text: string): string {
  return text
    .replace(/\\\.br\\/g, "\n")
    .replace(/\\F\\/g, "|")
    .replace(/\\S\\/g, "^")
    .replace(/\\T\\/g, "&")
    .replace(/\\R\\/g, "~")
    .replace(/\\E\\/g, "\\");
}

function hl7Time(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

export function buildMdmT02(doc: MdmDocument): string {
  const time = hl7Time(doc.at);
  const segments = [
    new Hl7Segment([
      "MSH",
      "^~\\&",
      "PKB-DESK",
      escapeHl7(doc.organisationPublicId),
      "PKB",
      "PKB",
      time,
      "",
      "MDM^T02^MDM_T02",
      escapeHl7(doc.controlId),
      "P",
      "2.4",
    ]),
    new Hl7Segment(["EVN", "T02", time]),
    new Hl7Segment([
      "PID",
      "1",
      "",
      `${escapeHl7(doc.nationalId)}^^^${ASSIGNING_AUTHORITY[doc.identifierKind]}^NH`,
      "",
      `${escapeHl7(doc.familyName ?? "")}^${escapeHl7(doc.givenName ?? "")}`,
    ]),
    new Hl7Segment(["PV1", "1", "N"]),
    new Hl7Segment([
      "TXA",
      "1",
      `CN^${escapeHl7(doc.title)}`,
      "TX",
      time,
      "",
      time,
      "",
      "",
      "",
      "",
      "",
      escapeHl7(doc.documentId),
      "",
      "",
      "",
      "",
      "AU",
      "",
      "AV",
    ]),
    ...doc.lines.map(
      (line, index) =>
        new Hl7Segment([
          "OBX",
          String(index + 1),
          "TX",
          "LETTER^Letter",
          "",
          escapeHl7(line),
          "",
          "",
          "",
          "",
          "",
          "F",
        ]),
    ),
  ];
  return new Hl7Message(segments).toString() + "\r";
}

export interface ParsedMdm {
  messageType: string;
  documentId: string;
  nationalId: string;
  assigningAuthority: string;
  dateOfBirth: string;
  text: string;
}

/** A field's component, "" when the segment is shorter (@medplum/core answers undefined there). */
function part(segment: Hl7Segment | undefined, field: number, component?: number): string {
  if (!segment || field >= segment.fields.length) return "";
  const value = segment.getField(field);
  return component === undefined ? value.toString() : value.getComponent(component);
}

/** Reads an MDM^T02 back (tests, and anyone checking what left the building). */
export function parseMdmT02(text: string): ParsedMdm {
  const message = Hl7Message.parse(text);
  const pid = message.getSegment("PID");
  const txa = message.getSegment("TXA");
  return {
    messageType: part(message.header, 9),
    documentId: unescapeHl7(part(txa, 12, 1)),
    nationalId: unescapeHl7(part(pid, 3, 1)),
    assigningAuthority: part(pid, 3, 4),
    dateOfBirth: part(pid, 7),
    text: message
      .getAllSegments("OBX")
      .map((obx) => unescapeHl7(part(obx, 5)))
      .join("\n"),
  };
}

export type AckOutcome =
  | { kind: "accepted"; code: string }
  | { kind: "rejected"; code: string; reason: string; duplicate: boolean };

/**
 * MSA-1: AA/CA accepted; AE/AR (and CE/CR) refused with MSA-3 / ERR-8 as the reason. PKB's
 * "duplicate document" refusal is flagged: for a document we sent before without seeing the
 * answer, it means our earlier send arrived (the caller decides).
 */
export function readAck(text: string): AckOutcome {
  const message = Hl7Message.parse(text.trim());
  const msa = message.getSegment("MSA");
  if (!msa) throw new Error("The HL7 answer has no MSA segment");
  const code = part(msa, 1).trim().toUpperCase();
  if (code === "AA" || code === "CA") return { kind: "accepted", code };
  if (!["AE", "AR", "CE", "CR"].includes(code)) {
    throw new Error(`The HL7 answer has an unknown acknowledgement code (${code || "none"})`);
  }
  const err = message.getSegment("ERR");
  const reason =
    unescapeHl7(part(msa, 3)).trim() || unescapeHl7(part(err, 8)).trim() || `Refused (${code})`;
  return { kind: "rejected", code, reason, duplicate: /duplicate/i.test(reason) };
}
