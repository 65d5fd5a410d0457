/**
 * A search snippet with its matches marked. ts_headline marks them with <b>…</b> but does not
 * escape the document's own text, which may hold markup: the snippet is split on the markers and
 * rendered as text, never as HTML.
 */
export function HighlightedSnippet({ snippet }: { snippet: string }) {
  const parts = snippet.split(/(<b>.*?<\/b>)/g);
  return (
    <>
      {parts.map((part, index) =>
        part.startsWith("<b>") && part.endsWith("</b>") ? (
          <mark key={index} className="rounded bg-amber-100 px-0.5 text-slate-900">
            {part.slice(3, -4)}
          </mark>
        ) : (
          part
        ),
      )}
    </>
  );
}
