/**
 * A valid PDF with one line of Helvetica text per page, built by hand (with a correct xref
 * table) so tests can upload and parse real PDFs without fixture files.
 */
export function minimalPdf(pages: string[]): Uint8Array {
  const objects: string[] = [];
  const pageIds = pages.map((_, index) => 4 + index * 2);
  objects[1] = "<</Type/Catalog/Pages 2 0 R>>";
  objects[2] = `<</Type/Pages/Kids[${pageIds.map((id) => `${id} 0 R`).join(" ")}]/Count ${pages.length}>>`;
  objects[3] = "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>";
  pages.forEach((text, index) => {
    const pageId = 4 + index * 2;
    const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`);
    const content = `BT /F1 18 Tf 72 700 Td (${escaped}) Tj ET`;
    objects[pageId] = `<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents ${pageId + 1} 0 R/Resources<</Font<</F1 3 0 R>>>>>>`;
    objects[pageId + 1] = `<</Length ${content.length}>>\nstream\n${content}\nendstream`;
  });
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id += 1) {
    offsets[id] = body.length;
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = body.length;
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id += 1) body += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<</Size ${objects.length}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(body);
}
