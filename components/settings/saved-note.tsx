import { ErrorNote } from "@/components/ui/error-note";

/** What a settings form says after saving: "Saved.", or the server's message (a 4xx names the field). */
export function SavedNote({ saved, error }: { saved: boolean; error: { message: string } | null }) {
  if (error) return <ErrorNote error={error} />;
  return saved ? (
    <p role="status" className="text-sm text-green-700">
      Saved.
    </p>
  ) : null;
}
