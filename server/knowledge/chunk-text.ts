import { cutText } from "@/server/text/cut-text";

/**
 * Cuts a document's text into the passages search ranks and shows. About `target` characters
 * each: small enough that a hit points at the part of a document that matters, large enough to
 * hold a thought. Cuts fall between paragraphs where they can, else between sentences, else
 * between words, and never inside a character (an emoji's surrogate pair). A Markdown heading
 * stays with the paragraph after it, so a passage says what section it is from. Each passage
 * after the first starts with the last sentence or so of the one before (`overlap` characters at
 * most), so a sentence cut from its context is still found with it.
 */

export interface ChunkOptions {
  target: number;
  overlap: number;
}

export const DEFAULT_CHUNKING: ChunkOptions = { target: 1000, overlap: 150 };

interface Piece {
  text: string;
  /** How it joins the piece before it: a new paragraph, or the same one. */
  separator: "\n\n" | " ";
}

export function chunkText(text: string, options: ChunkOptions = DEFAULT_CHUNKING): string[] {
  const chunks: string[] = [];
  let current = "";
  for (const piece of pieces(text, options.target)) {
    if (current && current.length + piece.separator.length + piece.text.length > options.target) {
      chunks.push(current);
      const carried = overlapTail(current, options.overlap);
      current = carried ? `${carried} ${piece.text}` : piece.text;
    } else {
      current = current ? `${current}${piece.separator}${piece.text}` : piece.text;
    }
  }
  if (current.trim()) chunks.push(current);
  return chunks;
}

/** Paragraphs (a heading joined to the next), split into sentences and then words where longer than `target`. */
function pieces(text: string, target: number): Piece[] {
  const paragraphs = text
    .split(/\n[ \t]*\n+/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean);
  const blocks: string[] = [];
  for (let index = 0; index < paragraphs.length; index++) {
    let block = paragraphs[index]!;
    // A run of headings belongs to what follows it.
    while (isHeading(block) && index + 1 < paragraphs.length) block = `${block}\n\n${paragraphs[++index]!}`;
    blocks.push(block);
  }
  const result: Piece[] = [];
  for (const block of blocks) {
    if (block.length <= target) {
      result.push({ text: block, separator: "\n\n" });
      continue;
    }
    sentencesOf(block).forEach((sentence, index) => {
      for (const [part, piece] of wordsWithin(sentence, target).entries()) {
        result.push({ text: piece, separator: index === 0 && part === 0 ? "\n\n" : " " });
      }
    });
  }
  return result;
}

function isHeading(paragraph: string): boolean {
  return /^#{1,6}[ \t]+\S/.test(paragraph) && !paragraph.includes("\n");
}

/** Sentences (ending in . ! ? or a line break), each with its punctuation. */
function sentencesOf(block: string): string[] {
  return (block.match(/[^.!?\n]+(?:[.!?]+["')\]]*|\n|$)|[.!?\n]+/g) ?? [block]).map((sentence) => sentence.trim()).filter(Boolean);
}

/** A sentence longer than `target` in parts of at most `target` characters, cut between words where there are any. */
function wordsWithin(sentence: string, target: number): string[] {
  const parts: string[] = [];
  let rest = sentence;
  while (rest.length > target) {
    const window = cutText(rest, target);
    const space = window.lastIndexOf(" ");
    const part = space > target / 2 ? window.slice(0, space) : window;
    parts.push(part);
    rest = rest.slice(part.length).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

/** The end of a chunk to repeat at the start of the next: from a sentence start if one is near, else from a word start. */
function overlapTail(chunk: string, overlap: number): string {
  if (overlap <= 0 || chunk.length <= overlap) return "";
  const tail = chunk.slice(chunk.length - overlap);
  const sentence = /[.!?]["')\]]*\s+(?=\S)/.exec(tail);
  if (sentence && tail.length - (sentence.index + sentence[0].length) >= overlap / 3)
    return tail.slice(sentence.index + sentence[0].length);
  const space = tail.search(/\s\S/);
  // Starting after whitespace never starts inside a surrogate pair; no whitespace at all means no overlap.
  return space === -1 ? "" : tail.slice(space + 1);
}
