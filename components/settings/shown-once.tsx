"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";

/**
 * A secret the server returns once — an API key, an invitation link — in a read-only field with a
 * copy button, and the warning that it will not be shown again (only its hash is kept).
 */
export function ShownOnce({ label, value, note }: { label: string; value: string; note: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3">
      <label className="block text-sm font-medium text-amber-900">
        {label}
        <input
          readOnly
          value={value}
          onFocus={(event) => event.target.select()}
          className="mt-1 block w-full rounded-md border border-amber-300 bg-white px-3 py-2 font-mono text-xs"
        />
      </label>
      <div className="flex flex-wrap items-center gap-3">
        <Button
          type="button"
          variant="secondary"
          onClick={() => {
            void navigator.clipboard
              ?.writeText(value)
              .then(() => setCopied(true))
              .catch(() => setCopied(false));
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
        <p className="text-sm text-amber-900">{note}</p>
      </div>
    </div>
  );
}
