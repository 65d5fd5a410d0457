/**
 * The most calls one tRPC batch request may hold: the server refuses larger batches (400), and
 * the dashboard's client splits its batches at the same size. No imports, so the browser bundle
 * can share it.
 */
export const TRPC_MAX_BATCH_SIZE = 10;
