import { defineConfig } from "prisma/config";

// The connection lives here (Prisma 7), not in schema.prisma. Only the CLI reads this file;
// the app connects through server/db with the pg driver adapter.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/chorus" },
});
