// The baseline of bench/api-reads.ts: a bare Next.js route handler answering static JSON,
// rendered per request like Chorus's API answers (no caching), with no authentication or query.
export const dynamic = "force-dynamic";

const body = { tasks: [{ id: "cmbench000000000000000001", status: "completed", prompt: "A static answer" }], nextCursor: null };

export function GET() {
  return Response.json(body);
}
