"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Markdown } from "@/components/ui/markdown";

/**
 * A finished task's result, shown first on its page, with Copy (the Markdown, to the clipboard)
 * and Download (a .md file named after the task) — the two ways a result leaves Chorus by hand.
 */
export function TaskResult({ taskId, markdown }: { taskId: string; markdown: string }) {
  const [note, setNote] = useState("");

  async function copy() {
    try {
      await navigator.clipboard.writeText(markdown);
      setNote("Copied to the clipboard.");
    } catch {
      // Clipboard access needs a secure context and the page's focus; say so instead of failing silently.
      setNote("The browser refused clipboard access; use Download instead.");
    }
  }

  function download() {
    const url = URL.createObjectURL(new Blob([markdown], { type: "text/markdown;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `chorus-task-${taskId}.md`;
    document.body.append(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
    setNote("Downloaded as Markdown.");
  }

  return (
    <section aria-labelledby="result-heading" className="rounded-xl border border-green-200 bg-white p-5 shadow-sm" data-testid="result">
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
        <h2 id="result-heading" className="text-base font-semibold">
          Result
        </h2>
        <div className="flex items-center gap-2">
          <span role="status" className="text-xs text-slate-600">
            {note}
          </span>
          <Button variant="secondary" className="px-3 py-1" onClick={() => void copy()}>
            Copy
          </Button>
          <Button variant="secondary" className="px-3 py-1" onClick={download}>
            Download .md
          </Button>
        </div>
      </div>
      <Markdown source={markdown} />
    </section>
  );
}
