import type { IncomingMessage } from "node:http";
import type { DocumentSource, UploadedForm } from "@/server/knowledge/documents";
import { AppError } from "@/server/errors";
import { readBody, readJsonBody } from "./request-body";

/**
 * The body of an upload route (a route with `upload` in rest-routes.ts): a multipart/form-data
 * form — a browser's file upload — or, for API clients that have text rather than a file, JSON.
 * Read with the route's own cap instead of the 256 KiB every other route has, under the same
 * rules (request-body.ts): a declared Content-Length over it is refused before a byte is read,
 * a body that streams past it as soon as it does. The form is parsed by Node's own fetch
 * implementation (undici's multipart parser).
 */

/** Room for the multipart envelope (boundaries, part headers, the small text fields) on top of the file itself. */
export const FORM_ENVELOPE_BYTES = 64 * 1024;

export async function readUploadBody(request: IncomingMessage, maxFileBytes: number): Promise<DocumentSource> {
  const contentType = request.headers["content-type"] ?? "";
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType === "application/json") return { json: await readJsonBody(request, maxFileBytes + FORM_ENVELOPE_BYTES) };
  if (mediaType !== "multipart/form-data") {
    throw new AppError(
      "unsupported_media_type",
      "Send the document as multipart/form-data (the file in a `file` field) or as JSON {title, text}",
      "content-type",
    );
  }
  const bytes = await readBody(request, maxFileBytes + FORM_ENVELOPE_BYTES);
  let form: FormData;
  try {
    form = await new Request("http://upload.invalid/", {
      method: "POST",
      headers: { "content-type": contentType },
      body: new Uint8Array(bytes),
    }).formData();
  } catch {
    throw new AppError("bad_request", "The request body is not valid multipart/form-data", "body");
  }
  return { form: await uploadedForm(form) };
}

/** The form's first `file` part and its text fields (later values of a repeated field win, as in a URL query). */
async function uploadedForm(form: FormData): Promise<UploadedForm> {
  const uploaded: UploadedForm = { fields: {} };
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") uploaded.fields[name] = value;
    else if (name === "file" && !uploaded.file) uploaded.file = { name: value.name, bytes: new Uint8Array(await value.arrayBuffer()) };
  }
  return uploaded;
}
