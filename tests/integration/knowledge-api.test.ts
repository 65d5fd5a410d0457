import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { getDb } from "@/server/db/client";
import { createTeamWithMembers } from "../support/fixtures";
import { sessionCookie, useApiServer } from "../support/api-server";
import { minimalPdf } from "../support/minimal-pdf";

/**
 * The knowledge base over REST, as the dashboard and API clients use it: multipart uploads and
 * JSON text, replace and delete, list and search — with the upload's own size cap (a small one
 * here), type checks by content, roles, and the same-origin rule for uploads a signed-in browser
 * makes.
 */
const MAX_UPLOAD = 1024 * 1024;
process.env.CHORUS_KNOWLEDGE_MAX_UPLOAD_BYTES = String(MAX_UPLOAD);
const api = useApiServer();

async function team() {
  const { team, callers } = await createTeamWithMembers();
  const key = async (role: "admin" | "user" | "viewer") => ({
    authorization: `Bearer ${(await createApiKey({ teamId: team.id, role, name: role })).key}`,
  });
  const { cookie } = await sessionCookie({ userId: callers.user.userId!, teamId: team.id });
  return { team, user: await key("user"), viewer: await key("viewer"), cookie };
}

const documentCount = (teamId: string) => getDb().knowledgeDocument.count({ where: { teamId } });

function form(file: Uint8Array | string, name: string, fields: Record<string, string> = {}) {
  const body = new FormData();
  body.set("file", new Blob([typeof file === "string" ? file : new Uint8Array(file)]), name);
  for (const [field, value] of Object.entries(fields)) body.set(field, value);
  return body;
}

const send = (method: string, path: string, headers: Record<string, string>, body?: BodyInit) =>
  fetch(`${api.baseURL}${path}`, { method, headers, body });

describe("uploading", () => {
  it("a signed-in browser uploads a Markdown file from Chorus's page; it is listed, readable and found", async () => {
    const { team: t, cookie } = await team();
    const markdown = "# Harbour pilots\n\nA pilot boards each ship at the fairway buoy and steers it through the channel.";
    const created = await send(
      "POST",
      "/api/v1/knowledge",
      { cookie, origin: api.baseURL },
      form(markdown, "pilots.md", { title: "Pilots" }),
    );
    expect(created.status).toBe(201);
    const document = await created.json();
    expect(document).toMatchObject({ title: "Pilots", fileName: "pilots.md", contentType: "text/markdown", chunkCount: 1, sample: false });
    expect(document.sizeBytes).toBe(new TextEncoder().encode(markdown).length);
    expect(created.headers.get("location")).toBe(`/api/v1/knowledge/${document.id}`);

    const list = await (await send("GET", "/api/v1/knowledge", { cookie })).json();
    expect(list).toMatchObject({ total: 1, documents: [{ id: document.id, title: "Pilots" }] });
    const read = await (await send("GET", `/api/v1/knowledge/${document.id}?chunks=true`, { cookie })).json();
    expect(read.text).toBe(markdown);
    expect(read.chunks).toEqual([{ index: 0, text: markdown }]);
    const found = await (await send("GET", "/api/v1/knowledge/search?q=fairway%20buoy", { cookie })).json();
    expect(found.results[0]).toMatchObject({ documentId: document.id, documentTitle: "Pilots", chunkIndex: 0 });
    expect(await documentCount(t.id)).toBe(1);
  });

  it("a PDF over the API is read as a PDF; text named .pdf is text; a PNG named .txt is a 415 and stores nothing", async () => {
    const { team: t, user } = await team();
    const pdf = await send("POST", "/api/v1/knowledge", user, form(minimalPdf(["Buoys mark the safe channel."]), "buoys.bin"));
    expect(pdf.status).toBe(201);
    expect(await pdf.json()).toMatchObject({ contentType: "application/pdf", title: "buoys" });

    const fakePdf = await send("POST", "/api/v1/knowledge", user, form("Plain notes about tugboats.", "tugs.pdf"));
    expect(fakePdf.status).toBe(201);
    expect(await fakePdf.json()).toMatchObject({ contentType: "text/plain", fileName: "tugs.pdf" });

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const refused = await send("POST", "/api/v1/knowledge", user, form(png, "notes.txt"));
    expect(refused.status).toBe(415);
    expect((await refused.json()).error).toMatchObject({ code: "unsupported_media_type", field: "file" });
    expect(await documentCount(t.id)).toBe(2);
  });

  it("API users can send JSON text instead of a file, larger than ordinary JSON bodies (256 KiB) up to the upload limit", async () => {
    const { user } = await team();
    const text = "Lock keepers raise and lower boats between canal reaches. ".repeat(8000); // ≈ 470 KB
    const created = await send(
      "POST",
      "/api/v1/knowledge",
      { ...user, "content-type": "application/json" },
      JSON.stringify({ title: "Canal locks", text }),
    );
    expect(created.status).toBe(201);
    expect((await created.json()).chunkCount).toBeGreaterThan(400);
  });

  it("a multipart body without a file, or a body that is neither a form nor JSON, is a 4xx naming what is wrong", async () => {
    const { team: t, user } = await team();
    const noFile = new FormData();
    noFile.set("title", "No file");
    const missing = await send("POST", "/api/v1/knowledge", user, noFile);
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.field).toBe("file");
    const plain = await send("POST", "/api/v1/knowledge", { ...user, "content-type": "text/plain" }, "hello");
    expect(plain.status).toBe(415);
    expect((await plain.json()).error.field).toBe("content-type");
    const broken = await send("POST", "/api/v1/knowledge", { ...user, "content-type": "multipart/form-data; boundary=zz" }, "--zz\r\nnope");
    expect(broken.status).toBe(400);
    expect(await documentCount(t.id)).toBe(0);
  });
});

describe("replace, delete and roles", () => {
  it("replacing keeps the id and swaps the content; deleting removes it; a viewer may read and search but not change", async () => {
    const { team: t, user, viewer } = await team();
    const { id } = await (await send("POST", "/api/v1/knowledge", user, form("Old text about ferries.", "ferries.txt"))).json();
    expect((await send("POST", "/api/v1/knowledge", viewer, form("x", "x.txt"))).status).toBe(403);
    expect((await send("PUT", `/api/v1/knowledge/${id}`, viewer, form("x", "x.txt"))).status).toBe(403);
    expect((await send("DELETE", `/api/v1/knowledge/${id}`, viewer)).status).toBe(403);
    expect((await send("GET", `/api/v1/knowledge/search?q=ferries`, viewer)).status).toBe(200);

    const replaced = await send(
      "PUT",
      `/api/v1/knowledge/${id}`,
      user,
      form("New text about hovercraft.", "hovercraft.txt", { title: "Hovercraft" }),
    );
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ id, title: "Hovercraft", fileName: "hovercraft.txt" });
    const search = async (q: string) => (await (await send("GET", `/api/v1/knowledge/search?q=${q}`, viewer)).json()).results;
    expect(await search("ferries")).toEqual([]);
    expect((await search("hovercraft"))[0].documentId).toBe(id);

    expect((await send("DELETE", `/api/v1/knowledge/${id}`, user)).status).toBe(200);
    expect((await send("GET", `/api/v1/knowledge/${id}`, viewer)).status).toBe(404);
    expect(await getDb().knowledgeChunk.count({ where: { documentId: id } })).toBe(0);
    expect(await documentCount(t.id)).toBe(0);
  });
});

describe("the same-origin rule and the size cap for uploads", () => {
  it("a cross-site multipart upload carrying the session cookie is a 403 and stores nothing", async () => {
    const { team: t, cookie } = await team();
    const forged: Array<Record<string, string>> = [
      { cookie, origin: "http://127.0.0.1:9999" },
      { cookie, origin: "null" },
      { cookie, "sec-fetch-site": "cross-site" },
      { cookie },
    ];
    for (const headers of forged) {
      const response = await send("POST", "/api/v1/knowledge", headers, form("Forged upload.", "forged.txt"));
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect((await response.json()).error).toMatchObject({ code: "forbidden", field: "origin" });
    }
    // Multipart is allowed only where an upload is expected: other routes still insist on JSON.
    const task = await send("POST", "/api/v1/tasks", { cookie, origin: api.baseURL }, form("x", "x.txt"));
    expect(task.status).toBe(403);
    expect(await documentCount(t.id)).toBe(0);
  });

  it("a declared Content-Length past the limit is a 413 before the body is read", async () => {
    const { user } = await team();
    const answer = await rawUpload(
      "/api/v1/knowledge",
      { ...user, "content-type": "multipart/form-data; boundary=x" },
      { declare: 5 * MAX_UPLOAD },
    );
    expect(answer.status).toBe(413);
    expect(answer.sentBeforeAnswer).toBe(0);
    expect(JSON.parse(answer.body).error).toMatchObject({ code: "payload_too_large", field: "body" });
  });

  it("a body that streams past the limit is a 413 as soon as it does, not after the whole upload", async () => {
    const { team: t, user } = await team();
    const answer = await rawUpload(
      "/api/v1/knowledge",
      { ...user, "content-type": "multipart/form-data; boundary=x" },
      { stream: 600 * MAX_UPLOAD },
    );
    expect(answer.status).toBe(413);
    expect(answer.sentBeforeAnswer).toBeLessThan(16 * MAX_UPLOAD);
    expect(await documentCount(t.id)).toBe(0);
  });
});

/** A request whose body is declared (and never sent) or streamed in 64 KiB pieces until the server answers. */
function rawUpload(path: string, headers: Record<string, string>, body: { declare: number } | { stream: number }) {
  let sent = 0;
  let answered = false;
  const requestHeaders =
    "declare" in body ? { ...headers, "content-length": String(body.declare) } : { ...headers, "transfer-encoding": "chunked" };
  const req = httpRequest(`${api.baseURL}${path}`, { method: "POST", headers: requestHeaders });
  const response = new Promise<{ status: number; body: string; sentBeforeAnswer: number }>((resolve, reject) => {
    req.on("response", (res) => {
      answered = true;
      const sentBeforeAnswer = sent;
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body: text, sentBeforeAnswer }));
    });
    req.on("error", (error) => (answered ? undefined : reject(error)));
  });
  req.flushHeaders();
  if ("stream" in body) {
    void (async () => {
      const chunk = Buffer.alloc(64 * 1024, "a");
      while (sent < body.stream && !answered && !req.destroyed) {
        await new Promise<void>((resolve) => (req.write(chunk) ? resolve() : req.once("drain", resolve)));
        sent += chunk.length;
      }
      req.end();
    })();
  }
  return response;
}
