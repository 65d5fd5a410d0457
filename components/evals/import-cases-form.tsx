"use client";

import { useRouter } from "next/navigation";
import { useId, useRef, useState, type DragEvent, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { formatBytes } from "@/components/ui/format";

/** The REST import route's cap (10 MiB): a larger file is refused here before it is sent. */
const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

/**
 * Imports cases from a JSONL or CSV file (picked or dropped), appended to the dataset or
 * replacing its cases: a multipart POST to /api/v1/evals/datasets/:id/import from this page
 * (same origin, the session cookie) — the file can be larger than tRPC's body cap. All or
 * nothing: the server's refusal names the line at fault, and is shown as it words it.
 */
export function ImportCasesForm({ datasetId }: { datasetId: string }) {
  const router = useRouter();
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  function choose(chosen: File | null) {
    setFile(chosen);
    setError(
      chosen && chosen.size > MAX_IMPORT_BYTES
        ? `That file is ${formatBytes(chosen.size)}; the limit is ${formatBytes(MAX_IMPORT_BYTES)}.`
        : null,
    );
    setDone(null);
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped) choose(dropped);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file || pending) return;
    const body = new FormData(event.currentTarget);
    body.set("file", file, file.name);
    if (!body.get("format")) body.delete("format");
    setPending(true);
    setError(null);
    setDone(null);
    try {
      const response = await fetch(`/api/v1/evals/datasets/${encodeURIComponent(datasetId)}/import`, { method: "POST", body });
      const answer = (await response.json().catch(() => null)) as {
        version?: number;
        caseCount?: number;
        error?: { message?: string };
      } | null;
      if (response.status === 201 && answer?.version) {
        setDone(`Imported: version ${answer.version} holds ${answer.caseCount} cases.`);
        setFile(null);
        form.current?.reset();
        router.refresh();
      } else setError(answer?.error?.message ?? `The import failed (HTTP ${response.status}).`);
    } catch {
      setError("The import failed: the connection was lost. Try again.");
    } finally {
      setPending(false);
    }
  }

  return (
    <form
      ref={form}
      onSubmit={(event) => void submit(event)}
      className="space-y-3"
      aria-label="Import cases"
      aria-describedby={`${id}-help`}
    >
      <div
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        className={`rounded-lg border-2 border-dashed px-4 py-5 text-center text-sm ${dragging ? "border-indigo-500 bg-indigo-50" : "border-slate-300"}`}
      >
        <label htmlFor={`${id}-file`} className="cursor-pointer font-medium text-indigo-700 hover:underline">
          Choose a file
        </label>{" "}
        <span className="text-slate-600">or drop it here</span>
        <input
          id={`${id}-file`}
          type="file"
          accept=".jsonl,.ndjson,.csv,application/x-ndjson,text/csv"
          className="sr-only"
          onChange={(event) => choose(event.target.files?.[0] ?? null)}
        />
        <p className="mt-2 text-slate-700" aria-live="polite">
          {file ? `${file.name} · ${formatBytes(file.size)}` : "No file chosen"}
        </p>
        <p id={`${id}-help`} className="mt-1 text-xs text-slate-500">
          JSONL (one case object per line) or CSV (a <code>prompt</code> column; optionally key, contains, matches, citations, rubric,
          reference, maxCostUsd, maxTokens, maxDurationMs; lists separated by |).
        </p>
      </div>
      <div className="flex flex-wrap items-end gap-4">
        <div>
          <label htmlFor={`${id}-format`} className="block text-sm font-medium text-slate-800">
            Format
          </label>
          <select id={`${id}-format`} name="format" defaultValue="" className="mt-1 rounded-md border border-slate-300 px-3 py-2 text-sm">
            <option value="">From the file name</option>
            <option value="jsonl">JSONL</option>
            <option value="csv">CSV</option>
          </select>
        </div>
        <fieldset className="flex gap-3 text-sm">
          <legend className="mb-1 font-medium text-slate-800">Cases</legend>
          <label className="flex items-center gap-1">
            <input type="radio" name="mode" value="append" defaultChecked /> Append
          </label>
          <label className="flex items-center gap-1">
            <input type="radio" name="mode" value="replace" /> Replace all
          </label>
        </fieldset>
        <Button type="submit" disabled={!file || pending || (file !== null && file.size > MAX_IMPORT_BYTES)}>
          {pending ? "Importing…" : "Import"}
        </Button>
      </div>
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
