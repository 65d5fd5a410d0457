import type { Prisma } from "./generated/client";

/**
 * The database's types, as Prisma generates them from prisma/schema.prisma: its enums and the
 * JSON values its Json columns hold. Code outside server/db takes them from here; the generated
 * client itself stays behind the data layer (.dependency-cruiser.cjs, "data-access-in-server-db").
 */
export type { ExecutionStatus, McpTransport, Role, TaskStatus } from "./generated/enums";

export type JsonValue = Prisma.JsonValue;
export type JsonObject = Prisma.JsonObject;
export type InputJsonValue = Prisma.InputJsonValue;
export type InputJsonObject = Prisma.InputJsonObject;
