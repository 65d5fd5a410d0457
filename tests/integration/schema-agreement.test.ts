import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getPool } from "@/server/db/client";

/**
 * The SQL migrations are written by hand (Prisma's migrate engine can't be downloaded
 * offline), so this proves the migrated database is what `prisma/schema.prisma` describes:
 * the same tables, columns (type, nullability, defaults), enums, primary keys, unique
 * indexes, indexes and foreign keys, with Prisma's naming. A drift either way fails.
 */
interface Field {
  name: string;
  type: string;
  optional: boolean;
  list: boolean;
  attributes: string;
}
interface Model {
  name: string;
  fields: Field[];
  blockAttributes: string[];
}

const scalarTypes = new Set(["String", "Int", "BigInt", "Boolean", "DateTime", "Json", "Decimal", "Float", "Bytes"]);

function parseSchema(source: string) {
  const withoutComments = source.replace(/\/\/.*$/gm, "");
  const enums = new Map<string, string[]>();
  for (const match of withoutComments.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) {
    enums.set(match[1]!, match[2]!.split(/\s+/).filter(Boolean));
  }
  const models: Model[] = [];
  for (const match of withoutComments.matchAll(/model\s+(\w+)\s*\{([^}]*)\}/g)) {
    const model: Model = { name: match[1]!, fields: [], blockAttributes: [] };
    for (const line of match[2]!
      .split("\n")
      .map((text) => text.trim())
      .filter(Boolean)) {
      if (line.startsWith("@@")) {
        model.blockAttributes.push(line);
        continue;
      }
      const [, name, type, modifier, attributes] = /^(\w+)\s+(\w+)(\[\]|\?)?\s*(.*)$/.exec(line) ?? [];
      if (!name || !type) continue;
      // `Unsupported("tsvector")`: a column of a type Prisma does not map, named in the parentheses.
      const unsupported = type === "Unsupported" ? /^\("([^"]+)"\)(\?)?\s*(.*)$/.exec(attributes ?? "") : null;
      if (unsupported) {
        model.fields.push({
          name,
          type: `Unsupported:${unsupported[1]}`,
          optional: unsupported[2] === "?",
          list: false,
          attributes: unsupported[3]!,
        });
        continue;
      }
      model.fields.push({ name, type, optional: modifier === "?", list: modifier === "[]", attributes: attributes ?? "" });
    }
    models.push(model);
  }
  return { enums, models };
}

function expectedColumnType(field: Field, enums: Map<string, string[]>): string {
  if (field.type.startsWith("Unsupported:")) return field.type.slice("Unsupported:".length);
  if (enums.has(field.type)) return field.type;
  const decimal = /@db\.Decimal\((\d+),\s*(\d+)\)/.exec(field.attributes);
  const base: Record<string, string> = {
    String: "text",
    Int: "integer",
    BigInt: "bigint",
    Float: "double precision",
    Boolean: "boolean",
    DateTime: "timestamp(3) without time zone",
    Json: /@db\.Json\b/.test(field.attributes) ? "json" : "jsonb",
    Decimal: decimal ? `numeric(${decimal[1]},${decimal[2]})` : "numeric(65,30)",
  };
  const type = base[field.type];
  if (!type) throw new Error(`schema-agreement test does not know type ${field.type}`);
  return field.list ? `${type}[]` : type;
}

function columnsOf(list: string) {
  return list
    .split(",")
    .map((part) => part.trim().replace(/\(.*\)$/, ""))
    .filter(Boolean);
}

describe("the migrated database matches schema.prisma", async () => {
  const { enums, models } = parseSchema(readFileSync("prisma/schema.prisma", "utf8"));
  const pool = getPool();
  const columns = (
    await pool.query<{ table_name: string; column_name: string; type: string; is_nullable: string; column_default: string | null }>(`
      SELECT c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod) AS type, c.is_nullable, c.column_default
      FROM information_schema.columns c
      JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
      WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations'`)
  ).rows;
  const indexes = (
    await pool.query<{ tablename: string; indexname: string; indexdef: string }>(
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
    )
  ).rows;
  const foreignKeys = (
    await pool.query<{ table_name: string; name: string; on_delete: string }>(`
      SELECT conrelid::regclass::text AS table_name, conname AS name, confdeltype AS on_delete
      FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`)
  ).rows;
  const dbEnums = (
    await pool.query<{ name: string; values: string[] }>(`
      SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS values
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`)
  ).rows;

  it("has exactly the schema's tables", () => {
    expect([...new Set(columns.map((column) => column.table_name))].sort()).toEqual(models.map((model) => model.name).sort());
  });

  it("has exactly the schema's enums and values", () => {
    expect(Object.fromEntries(dbEnums.map((row) => [row.name, row.values]))).toEqual(Object.fromEntries(enums));
  });

  for (const model of models) {
    const scalars = model.fields.filter(
      (field) => scalarTypes.has(field.type) || enums.has(field.type) || field.type.startsWith("Unsupported:"),
    );
    const relations = model.fields.filter((field) => /@relation\([^)]*fields:/.test(field.attributes));

    it(`${model.name}: columns, types, nullability and defaults`, () => {
      const actual = columns.filter((column) => column.table_name === model.name);
      expect(actual.map((column) => column.column_name).sort()).toEqual(scalars.map((field) => field.name).sort());
      for (const field of scalars) {
        const column = actual.find((candidate) => candidate.column_name === field.name)!;
        const where = `${model.name}.${field.name}`;
        expect(column.type.replace(/^"|"$/g, ""), where).toBe(expectedColumnType(field, enums));
        const nullable = field.optional || field.list;
        expect(column.is_nullable, where).toBe(nullable ? "YES" : "NO");
        const databaseDefault = /@default\((?!cuid\(\)|uuid\(\))/.test(field.attributes);
        expect(column.column_default !== null, `${where} default`).toBe(databaseDefault);
      }
    });

    it(`${model.name}: keys and indexes, named as Prisma names them`, () => {
      const expected = new Set<string>();
      if (scalars.some((field) => /@id\b/.test(field.attributes)) || model.blockAttributes.some((line) => line.startsWith("@@id")))
        expected.add(`${model.name}_pkey`);
      for (const field of scalars) if (/@unique\b/.test(field.attributes)) expected.add(`${model.name}_${field.name}_key`);
      for (const line of model.blockAttributes) {
        const match = /^@@(unique|index)\(\[([^\]]*)\]/.exec(line);
        if (match) expected.add(`${model.name}_${columnsOf(match[2]!).join("_")}_${match[1] === "unique" ? "key" : "idx"}`);
      }
      const actual = indexes.filter((index) => index.tablename === model.name).map((index) => index.indexname);
      expect(actual.sort()).toEqual([...expected].sort());
    });

    it(`${model.name}: foreign keys and their delete rules`, () => {
      const onDelete: Record<string, string> = { Cascade: "c", SetNull: "n", Restrict: "r", NoAction: "a" };
      const expected = relations.map((field) => {
        const fieldsList = /fields:\s*\[([^\]]*)\]/.exec(field.attributes)![1]!;
        const rule = /onDelete:\s*(\w+)/.exec(field.attributes)?.[1] ?? (field.optional ? "SetNull" : "Restrict");
        return { name: `${model.name}_${columnsOf(fieldsList).join("_")}_fkey`, on_delete: onDelete[rule] };
      });
      const actual = foreignKeys
        .filter((key) => key.table_name.replace(/"/g, "") === model.name)
        .map((key) => ({ name: key.name, on_delete: key.on_delete }));
      expect(actual.sort((a, b) => a.name.localeCompare(b.name))).toEqual(expected.sort((a, b) => a.name.localeCompare(b.name)));
    });
  }
});
