/**
 * Whether a write lost to a unique constraint (Prisma's P2002): another write of the same key
 * got there first. Matched by its code, not by class: Next's route bundles and the custom
 * server may load Prisma's runtime apart (isDatabaseUnavailable matches codes the same way).
 */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === "P2002";
}
