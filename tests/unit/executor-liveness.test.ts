import { describe, expect, it } from "vitest";
import { deadLocalWorkers, type Here, parseWorkerId, processExists } from "@/inngest/executor/liveness";

const here: Here = {
  hostname: "box",
  pid: 100,
  live: new Set(["box:100:current"]),
  processExists: (pid) => pid === 100 || pid === 200,
};

describe("executor worker liveness (taking over a dead local worker's runs)", () => {
  it("parses `<hostname>:<pid>:<tag>` ids, hostnames with colons included", () => {
    expect(parseWorkerId("box:42:ab12cd34")).toEqual({ host: "box", pid: 42, tag: "ab12cd34" });
    expect(parseWorkerId("fe80::1:42:ab")).toEqual({ host: "fe80::1", pid: 42, tag: "ab" });
    expect(parseWorkerId("survivor")).toBeUndefined();
  });

  it("finds workers of this machine whose process is gone, and earlier incarnations of this pid", () => {
    expect(
      deadLocalWorkers(["box:300:old", "box:100:previous", "box:200:alive", "box:100:current", "other:300:x", "custom-id"], here),
    ).toEqual(["box:300:old", "box:100:previous"]);
  });

  it("never calls a live process dead", () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(2 ** 22 + 12345)).toBe(false); // above Linux's pid_max
  });
});
