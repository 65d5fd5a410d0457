import fc from "fast-check";
import { z } from "zod";

/**
 * fast-check arbitraries for input a careless or hostile client sends: strings with astral
 * characters, lone surrogates, NUL, percent signs and SQL, strings far past every limit, values of
 * the wrong type, deep nesting — and, from a route's own zod schema, bodies that are nearly right
 * (each field either a value of its declared type or one of the above; fields missing or extra).
 */
export const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }), // any code unit: lone surrogates included
  fc.constantFrom(
    "\ud800",
    "a\udc00b",
    "\ud83d",
    "\u0000",
    "%ff",
    "%00",
    "%ED%A0%80",
    "../../etc/passwd",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "🚀".repeat(10_001),
  ),
  fc.integer({ min: 0, max: 25_000 }).map((length) => "y".repeat(length)),
  fc.integer({ min: 1, max: 300 }).map((count) => "𝔘".repeat(count)),
);

/** An array nested `depth` levels deep, and the same as objects. */
const nested = fc
  .integer({ min: 30, max: 400 })
  .chain((depth) =>
    fc.constantFrom(
      JSON.parse(`${"[".repeat(depth)}1${"]".repeat(depth)}`) as unknown,
      JSON.parse(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`) as unknown,
    ),
  );

export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    nested,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("value"), { maxKeys: 4 }),
  ),
})).value;

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
};

/** A value of a JSON-schema type, within its bounds. */
function validish(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.anyOf?.length) return fc.oneof(...schema.anyOf.map(validish));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return fc.string({ minLength: 1, maxLength: Math.min(schema.maxLength ?? 60, 60) });
    case "integer":
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -1e9), max: Math.min(schema.maximum ?? 1000, 1e9) });
    case "number":
      return fc.double({ noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(schema.items ? validish(schema.items) : hostileValue, { maxLength: 4 });
    case "object":
      return schemaBody(schema);
    default:
      return hostileValue;
  }
}

function schemaBody(schema: JsonSchema): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  const fields = properties.map(([name, property]) =>
    fc
      .option(fc.oneof({ weight: 3, arbitrary: validish(property) }, { weight: 2, arbitrary: hostileValue }), { nil: undefined })
      .map((value) => [name, value] as const),
  );
  return fc.tuple(fc.tuple(...fields), fc.dictionary(hostileString, hostileValue, { maxKeys: 2 })).map(([values, extra]) => ({
    ...extra,
    ...Object.fromEntries(values.filter(([, value]) => value !== undefined)),
  }));
}

/** Bodies shaped by a zod schema (its JSON-schema form), nearly right and not. */
export function bodiesFor(schema: z.ZodType | undefined): fc.Arbitrary<unknown> {
  if (!schema) return hostileValue;
  return fc.oneof(
    { weight: 3, arbitrary: schemaBody(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema) },
    { weight: 1, arbitrary: hostileValue },
  );
}

/** Percent-encodes any string, lone surrogates included (as UTF-8's replacement character), where encodeURIComponent throws. */
export function percentEncode(text: string): string {
  return Array.from(Buffer.from(text, "utf8"), (byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
}

/** fc.assert, with the failure's report cut short: a counterexample may be megabytes of text. */
export async function assertProperty<T>(property: fc.IAsyncProperty<T>, parameters: fc.Parameters<T>) {
  try {
    await fc.assert(property, parameters);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.length > 3000 ? `${message.slice(0, 3000)}… [${message.length - 3000} more characters]` : message, {
      cause: (error as Error).cause,
    });
  }
}
