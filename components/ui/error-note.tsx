/** A form's error, as the server said it (a 4xx names the field): announced to screen readers as an alert. */
export function ErrorNote({ error }: { error: { message: string } | null }) {
  return error ? (
    <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
      {error.message}
    </p>
  ) : null;
}

/** The settings forms' text inputs and selects. */
export const settingsInputClass =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";
