import { PrismaAdapter } from "@auth/prisma-adapter";
import { getDb } from "@/server/db/client";

/** Auth.js's adapter over Chorus's database (its Account, Session, User and VerificationToken tables). */
export function authAdapter() {
  return PrismaAdapter(getDb() as never);
}
