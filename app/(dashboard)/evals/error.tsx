"use client";

/** An evals page whose data cannot be read just now (the database is down, say): a message and a retry, never a stack trace. */
export default function EvalsError({ reset }: { error: Error; reset: () => void }) {
  return (
    <div role="alert" className="space-y-3 rounded-xl border border-red-200 bg-red-50 p-4 text-sm text-red-900">
      <p>This evals page could not be read just now.</p>
      <button type="button" onClick={reset} className="rounded-md border border-red-300 bg-white px-3 py-1 hover:bg-red-100">
        Try again
      </button>
    </div>
  );
}
