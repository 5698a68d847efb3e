import chardet from "chardet";

/**
 * What kind of file an upload is, judged from its first bytes (never from its name or the
 * browser's content type, both of which the user controls): a text CSV in an encoding the portal
 * reads, or a refusal with the sentence shown to the user.
 */
export type TextEncoding = "utf-8" | "windows-1252" | "utf-16le" | "utf-16be";

export type Sniffed =
  { ok: true; encoding: TextEncoding; hadBom: boolean } | { ok: false; message: string };

export const ENCODING_LABELS: Record<TextEncoding, string> = {
  "utf-8": "UTF-8",
  "windows-1252": "Windows-1252 (Western European)",
  "utf-16le": "UTF-16",
  "utf-16be": "UTF-16 (big-endian)",
};

export const REFUSALS = {
  empty: "The file is empty. Choose the CSV file that holds the patient list.",
  zip: "This is a zip file or an Excel workbook (.xlsx) with a .csv name, not a CSV file. In Excel, choose File › Save As › “CSV UTF-8” and upload that file.",
  xls: "This is an old-style Excel workbook (.xls), not a CSV file. In Excel, choose File › Save As › “CSV UTF-8” and upload that file.",
  pdf: "This is a PDF, not a CSV file. Upload the list as a CSV file.",
  nul: "The file contains NUL bytes, so it is not a plain-text CSV file (it may be another kind of file renamed to .csv). Export the list from its system as CSV and upload that file.",
  binary:
    "The file contains binary data, not text, so it is not a CSV file. Export the list from its system as CSV and upload that file.",
  encoding: (seen: string) =>
    `The file’s character encoding (it looks like ${seen}) is not one the portal reads. Save it as “CSV UTF-8” and upload it again.`,
} as const;

/**
 * Text that is not UTF-8 from a UK system is Windows-1252 (Excel's "CSV" on Windows). chardet
 * often names a sibling single-byte code page for it (ISO-8859-1, -9, windows-1254…), so any
 * single-byte guess reads as 1252; only multi-byte encodings (Shift_JIS, GB18030, Big5, EUC-*,
 * UTF-32) are refused, since reading them as 1252 would garble every name.
 */
const MULTI_BYTE = /^(Shift_JIS|GB18030|Big5|EUC-JP|EUC-KR|ISO-2022-\w+|UTF-32\w*)$/i;

export function sniffUpload(head: Uint8Array): Sniffed {
  if (head.length === 0) return { ok: false, message: REFUSALS.empty };
  const starts = (...bytes: number[]) => bytes.every((byte, index) => head[index] === byte);
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) {
    return { ok: false, message: REFUSALS.zip };
  }
  if (starts(0xd0, 0xcf, 0x11, 0xe0)) return { ok: false, message: REFUSALS.xls };
  if (starts(0x25, 0x50, 0x44, 0x46)) return { ok: false, message: REFUSALS.pdf };
  if (starts(0xef, 0xbb, 0xbf)) return checkText(head.subarray(3), "utf-8", true);
  if (starts(0xff, 0xfe)) return { ok: true, encoding: "utf-16le", hadBom: true };
  if (starts(0xfe, 0xff)) return { ok: true, encoding: "utf-16be", hadBom: true };
  const utf16 = utf16WithoutBom(head);
  if (utf16) return { ok: true, encoding: utf16, hadBom: false };
  if (head.includes(0)) return { ok: false, message: REFUSALS.nul };
  if (isUtf8(head)) return checkText(head, "utf-8", false);
  const guess = chardet.detect(head) ?? "an unknown encoding";
  if (MULTI_BYTE.test(guess)) return { ok: false, message: REFUSALS.encoding(guess) };
  return checkText(head, "windows-1252", false);
}

function checkText(bytes: Uint8Array, encoding: TextEncoding, hadBom: boolean): Sniffed {
  if (bytes.includes(0)) return { ok: false, message: REFUSALS.nul };
  let control = 0;
  for (const byte of bytes) {
    // TAB, LF, CR are CSV's own; anything else below 0x20 (and DEL) does not belong in text.
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) {
      control++;
    }
  }
  if (control > Math.max(2, bytes.length / 200)) return { ok: false, message: REFUSALS.binary };
  return { ok: true, encoding, hadBom };
}

/** ASCII text saved as UTF-16 without a byte-order mark: every other byte is zero. */
function utf16WithoutBom(head: Uint8Array): TextEncoding | null {
  const sample = head.subarray(0, Math.min(head.length, 4096) & ~1);
  if (sample.length < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let index = 0; index < sample.length; index += 2) {
    if (sample[index] === 0) evenZeros++;
    if (sample[index + 1] === 0) oddZeros++;
  }
  const pairs = sample.length / 2;
  if (oddZeros > pairs * 0.6 && evenZeros < pairs * 0.05) return "utf-16le";
  if (evenZeros > pairs * 0.6 && oddZeros < pairs * 0.05) return "utf-16be";
  return null;
}

/** Valid UTF-8, allowing a multi-byte character cut off at the end of the sample. */
function isUtf8(head: Uint8Array): boolean {
  let end = head.length;
  // Step back over at most 3 continuation bytes and their lead byte if the sample ends mid-character.
  for (let back = 1; back <= 4 && end - back >= 0; back++) {
    const byte = head[end - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte >= 0xc0) end -= back;
    break;
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}
