/**
 * The streamed answer in pieces of a few words, as a model's tokens arrive, split only after
 * whitespace, so the pieces join back to exactly the stored result.
 */
export function contentPieces(answer: string, wordsPerPiece = 12): string[] {
  const words = answer.split(/(?<=\s)(?=\S)/);
  const pieces: string[] = [];
  for (let index = 0; index < words.length; index += wordsPerPiece) pieces.push(words.slice(index, index + wordsPerPiece).join(""));
  return pieces.filter((piece) => piece.length > 0);
}
