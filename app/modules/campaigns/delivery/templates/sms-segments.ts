/**
 * How many SMS fragments a text costs. GSM 03.38: 160 characters in one message, 153 per fragment
 * when split; the extension characters count twice. Any other character switches the whole
 * message to UCS-2: 70, or 67 per fragment (counted in UTF-16 units, as phones do).
 */
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION = "^{}\\[~]|€\f";
const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export interface SmsCount {
  encoding: "GSM-7" | "UCS-2";
  /** characters as the network counts them (extension characters are 2 in GSM-7) */
  units: number;
  segments: number;
  /** the characters that forced UCS-2, to show the author */
  nonGsm: string[];
}

export function countSms(text: string): SmsCount {
  let gsmUnits = 0;
  const nonGsm = new Set<string>();
  for (const ch of text) {
    if (BASIC.has(ch)) gsmUnits += 1;
    else if (EXTENSION.has(ch)) gsmUnits += 2;
    else nonGsm.add(ch);
  }
  if (nonGsm.size === 0) {
    return {
      encoding: "GSM-7",
      units: gsmUnits,
      segments: gsmUnits === 0 ? 0 : gsmUnits <= 160 ? 1 : Math.ceil(gsmUnits / 153),
      nonGsm: [],
    };
  }
  const units = text.length;
  return {
    encoding: "UCS-2",
    units,
    segments: units <= 70 ? 1 : Math.ceil(units / 67),
    nonGsm: [...nonGsm],
  };
}
