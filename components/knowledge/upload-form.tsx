"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, type DragEvent, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { formatBytes } from "@/components/ui/format";

/**
 * Uploads a document to the team's knowledge base: a multipart POST to /api/v1/knowledge from
 * this page (same origin, the session cookie), through XMLHttpRequest because fetch reports no
 * upload progress. The server decides the type from the bytes; its refusal (too large, not a
 * supported type, no text) is shown as it words it.
 */
export function UploadForm({ maxBytes }: { maxBytes: number }) {
  const router = useRouter();
  const form = useRef<HTMLFormElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  function choose(chosen: File | null) {
    setFile(chosen);
    setError(chosen && chosen.size > maxBytes ? `That file is ${formatBytes(chosen.size)}; the limit is ${formatBytes(maxBytes)}.` : null);
    setDone(null);
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped) choose(dropped);
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file || progress !== null) return;
    const body = new FormData(event.currentTarget);
    body.set("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", "/api/v1/knowledge");
    request.upload.onprogress = (progressEvent) => {
      if (progressEvent.lengthComputable) setProgress(Math.round((100 * progressEvent.loaded) / progressEvent.total));
    };
    request.onload = () => {
      setProgress(null);
      if (request.status === 201) {
        const created = JSON.parse(request.responseText) as { title: string; chunkCount: number };
        setDone(`Added “${created.title}” (${created.chunkCount} passages).`);
        setFile(null);
        form.current?.reset();
        router.refresh();
        return;
      }
      setError(errorMessage(request.responseText, request.status));
    };
    request.onerror = () => {
      setProgress(null);
      setError("The upload failed: the connection was lost. Try again.");
    };
    setError(null);
    setDone(null);
    setProgress(0);
    request.send(body);
  }

  return (
    <form ref={form} onSubmit={submit} className="space-y-3" aria-describedby="upload-help">
      <div
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        className={`rounded-lg border-2 border-dashed px-4 py-6 text-center text-sm ${dragging ? "border-indigo-500 bg-indigo-50" : "border-slate-300"}`}
      >
        <label htmlFor="knowledge-file" className="cursor-pointer font-medium text-indigo-700 hover:underline">
          Choose a file
        </label>{" "}
        <span className="text-slate-600">or drop it here</span>
        <input
          ref={input}
          id="knowledge-file"
          name="file"
          type="file"
          accept=".txt,.md,.markdown,.html,.htm,.pdf,text/plain,text/markdown,text/html,application/pdf"
          className="sr-only"
          onChange={(event) => choose(event.target.files?.[0] ?? null)}
        />
        <p className="mt-2 text-slate-700" aria-live="polite">
          {file ? `${file.name} · ${formatBytes(file.size)}` : "No file chosen"}
        </p>
        <p id="upload-help" className="mt-1 text-xs text-slate-500">
          Plain text, Markdown, HTML or PDF (with selectable text), up to {formatBytes(maxBytes)}.
        </p>
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-0 flex-1">
          <label htmlFor="knowledge-title" className="block text-sm font-medium text-slate-800">
            Title <span className="font-normal text-slate-500">(optional)</span>
          </label>
          <input
            id="knowledge-title"
            name="title"
            maxLength={300}
            className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
          />
        </div>
        <Button type="submit" disabled={!file || progress !== null || (file !== null && file.size > maxBytes)}>
          {progress === null ? "Upload" : `Uploading… ${progress}%`}
        </Button>
      </div>
      {progress !== null ? (
        <progress max={100} value={progress} className="h-2 w-full" aria-label="Upload progress">
          {progress}%
        </progress>
      ) : null}
      {error ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      ) : null}
      {done ? (
        <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          {done}
        </p>
      ) : null}
    </form>
  );
}

function errorMessage(body: string, status: number): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } };
    if (parsed.error?.message) return parsed.error.message;
  } catch {
    // Not JSON (a proxy's page): fall through to the status.
  }
  return `The upload failed (HTTP ${status}).`;
}
