import { unknownPath } from "@/server/http/methods";

export const dynamic = "force-dynamic";

/** Every path under /api/v1 no other route serves: a JSON 404 naming it, not Next's HTML page. */
export const GET = unknownPath;
export const POST = unknownPath;
export const PUT = unknownPath;
export const PATCH = unknownPath;
export const DELETE = unknownPath;
