import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/server/env";

describe("configuration", () => {
  it("has defaults that run the embedded setup with nothing set", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PORT: 3000, INNGEST_MODE: "embedded", CHORUS_DATA_DIR: ".data" });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("names every malformed variable", () => {
    try {
      parseEnv({ PORT: "eighty", DATABASE_URL: "mysql://x", CHORUS_ADMIN_EMAIL: "nope", INNGEST_MODE: "cloud" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      for (const name of ["PORT", "DATABASE_URL", "CHORUS_ADMIN_EMAIL", "INNGEST_MODE"]) expect(message).toContain(name);
    }
  });

  it("rejects a short admin password and a short auth secret", () => {
    expect(() => parseEnv({ CHORUS_ADMIN_PASSWORD: "short" })).toThrow(/CHORUS_ADMIN_PASSWORD/);
    expect(() => parseEnv({ AUTH_SECRET: "tiny" })).toThrow(/AUTH_SECRET/);
  });

  it("takes CHORUS_WORKERS as a number of processes or auto (one per core)", async () => {
    const { availableParallelism } = await import("node:os");
    expect(parseEnv({}).CHORUS_WORKERS).toBe(1);
    expect(parseEnv({ CHORUS_WORKERS: "3" }).CHORUS_WORKERS).toBe(3);
    expect(parseEnv({ CHORUS_WORKERS: " auto " }).CHORUS_WORKERS).toBe(Math.min(64, availableParallelism()));
    expect(() => parseEnv({ CHORUS_WORKERS: "0" })).toThrow('CHORUS_WORKERS: must be "auto" or a whole number from 1 to 64');
    expect(() => parseEnv({ CHORUS_WORKERS: "many" })).toThrow(/CHORUS_WORKERS/);
    expect(() => parseEnv({ CHORUS_WORKERS: "constructor" })).toThrow(/CHORUS_WORKERS/);
    expect(() => parseEnv({ PORT: "0" })).toThrow("PORT: must be a whole number from 1 to 65535");
  });

  it("treats empty strings as unset", () => {
    const env = parseEnv({ DATABASE_URL: "", OPENAI_API_KEY: " " });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.OPENAI_API_KEY).toBeUndefined();
  });
});

describe("getEnv", () => {
  it("sees a variable that changed after the first read", async () => {
    const { getEnv } = await import("@/server/env");
    const before = process.env.CHORUS_MAX_FOLLOW_UPS;
    process.env.CHORUS_MAX_FOLLOW_UPS = "2";
    expect(getEnv().CHORUS_MAX_FOLLOW_UPS).toBe(2);
    process.env.CHORUS_MAX_FOLLOW_UPS = "5";
    expect(getEnv().CHORUS_MAX_FOLLOW_UPS).toBe(5);
    if (before === undefined) delete process.env.CHORUS_MAX_FOLLOW_UPS;
    else process.env.CHORUS_MAX_FOLLOW_UPS = before;
  });
});
