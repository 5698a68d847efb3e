import PDFDocument from "pdfkit";
import QRCode from "qrcode";
import { renderLetter, type ChannelTemplate } from "../templates/channel-templates.ts";
import { longDate } from "../recipient-content.server.ts";
import type { LetterRow } from "./letter-rows.server.ts";

/**
 * Print-ready invitation letters, one A4 page each, in the NHS letter layout: the trust's name
 * top right, the address in the window of a DL/C5 window envelope (20 mm from the left, 50 mm from
 * the top, 90 × 35 mm — BS EN ISO 269 / Royal Mail guidance), date and reference beside it, then
 * the heading and the letter. Never the date of birth: the template refuses it and the row does
 * not carry it. Built with pdfkit (standard Helvetica: no font files to ship).
 */

const MM = 72 / 25.4;
const NHS_BLUE = "#005EB8";
const TEXT = "#212B32";
const GREY = "#4C6272";

export const ADDRESS_WINDOW = { x: 20 * MM, y: 50 * MM, width: 90 * MM, height: 35 * MM };

export interface LetterPdfOptions {
  /** Off only in tests, to read the text back. */
  compress?: boolean;
  /** A QR code of the join link beside the codes. */
  qr?: boolean;
  /** The date printed on the letters. */
  date: Date;
  trustName: string;
}

export function createLetterDocument(options: LetterPdfOptions): PDFKit.PDFDocument {
  return new PDFDocument({
    size: "A4",
    margin: 20 * MM,
    compress: options.compress ?? true,
    autoFirstPage: false,
    bufferPages: false,
    info: { Title: "Invitations to Patients Know Best", Author: options.trustName },
  });
}

export async function addLetter(
  doc: PDFKit.PDFDocument,
  template: ChannelTemplate,
  row: LetterRow,
  options: LetterPdfOptions,
): Promise<void> {
  doc.addPage();
  const { width } = doc.page;
  const right = width - 20 * MM;
  const letter = renderLetter(template, row.values);

  // Letterhead: the organisation, in NHS blue, top right.
  doc.font("Helvetica-Bold").fontSize(14).fillColor(NHS_BLUE);
  doc.text(options.trustName, 20 * MM, 15 * MM, { width: right - 20 * MM, align: "right" });
  doc.font("Helvetica").fontSize(9).fillColor(GREY);
  doc.text("Patients Know Best invitations", { width: right - 20 * MM, align: "right" });

  // Address window: the addressee's name, then the address (Royal Mail: name on the first line).
  doc.font("Helvetica").fontSize(11).fillColor(TEXT);
  doc.text(
    [row.values.name, ...row.address, row.postcode].join("\n"),
    ADDRESS_WINDOW.x,
    ADDRESS_WINDOW.y,
    {
      width: ADDRESS_WINDOW.width,
      height: ADDRESS_WINDOW.height,
      lineGap: 1,
    },
  );

  // Date and reference, beside the window.
  const metaX = 125 * MM;
  doc.fontSize(10).fillColor(TEXT);
  doc.text(`Date: ${longDate(options.date)}`, metaX, ADDRESS_WINDOW.y, { width: right - metaX });
  doc.text(`Our reference: ${row.dispatchId.slice(0, 8).toUpperCase()}`, { width: right - metaX });
  doc.text(`Codes expire: ${row.values["expiry date"]}`, { width: right - metaX });

  // Heading and body.
  const top = ADDRESS_WINDOW.y + ADDRESS_WINDOW.height + 12 * MM;
  doc.font("Helvetica-Bold").fontSize(14).fillColor(TEXT);
  doc.text(letter.heading, 20 * MM, top, { width: right - 20 * MM });
  doc.moveDown(0.6);
  doc.font("Helvetica").fontSize(11);
  const bodyWidth = options.qr ? right - 20 * MM - 36 * MM : right - 20 * MM;
  const bodyTop = doc.y;
  doc.text(letter.body, 20 * MM, bodyTop, { width: bodyWidth, lineGap: 2 });

  if (options.qr) {
    const png = await QRCode.toBuffer(row.values["join link"], {
      errorCorrectionLevel: "M",
      margin: 1,
      width: 240,
    });
    doc.image(png, right - 30 * MM, bodyTop, { width: 30 * MM });
    doc.fontSize(8).fillColor(GREY);
    doc.text("Scan to join", right - 30 * MM, bodyTop + 31 * MM, {
      width: 30 * MM,
      align: "center",
    });
  }

  // Footer, inside the bottom margin: pdfkit starts a new page for text placed below the margin,
  // which made every letter two pages (the second holding only this line) until the browser test
  // counted them. The margin is lifted for this one line and put back.
  const bottomMargin = doc.page.margins.bottom;
  doc.page.margins.bottom = 0;
  doc.fontSize(8).fillColor(GREY);
  doc.text(
    `Invitation codes are personal: do not share them. They stop working on ${row.values["expiry date"]}.`,
    20 * MM,
    doc.page.height - 20 * MM,
    { width: right - 20 * MM, align: "center", lineBreak: false },
  );
  doc.page.margins.bottom = bottomMargin;
}

/** Streams a whole batch as one PDF: pages are written as they are made (backpressure-free). */
export async function writeLetters(
  doc: PDFKit.PDFDocument,
  template: ChannelTemplate,
  rows: AsyncIterable<LetterRow>,
  options: LetterPdfOptions,
): Promise<number> {
  let pages = 0;
  for await (const row of rows) {
    await addLetter(doc, template, row, options);
    pages++;
  }
  if (pages === 0) {
    doc.addPage();
    doc.font("Helvetica").fontSize(12).text("This batch holds no letters.");
  }
  doc.end();
  return pages;
}
