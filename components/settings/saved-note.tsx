/** What a settings form says after saving: "Saved.", or the server's message (a 4xx names the field). */
export function SavedNote({ saved, error }: { saved: boolean; error: { message: string } | null }) {
  if (error)
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
        {error.message}
      </p>
    );
  return saved ? (
    <p role="status" className="text-sm text-green-700">
      Saved.
    </p>
  ) : null;
}
