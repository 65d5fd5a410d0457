import { existsSync } from "node:fs";
import path from "node:path";
import { DockerfileParser, type Dockerfile } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { readRepoFile, repoRoot } from "../support/deploy-files";

/**
 * deploy/Dockerfile, read with dockerfile-ast (no Docker engine runs here): base images pinned to
 * a major version, built from the lockfile with `npm ci` (never `npm install`), a final stage that
 * runs as a user other than root, a HEALTHCHECK on the liveness endpoint, and every file it copies
 * from the build context present in the repository and not excluded by its .dockerignore.
 */
const dockerfileText = readRepoFile("deploy/Dockerfile");

interface Problem {
  problem: string;
}

/** What is wrong with a Dockerfile, by the rules above (empty: nothing). */
function problemsOf(text: string): Problem[] {
  const dockerfile: Dockerfile = DockerfileParser.parse(text);
  const problems: Problem[] = [];
  const froms = dockerfile.getFROMs();
  if (froms.length < 2) problems.push({ problem: "not multi-stage: a build stage and a runtime stage" });
  const stageNames = new Set(froms.map((from) => from.getBuildStage()).filter(Boolean));
  for (const from of froms) {
    const tag = from.getImageTag();
    if (!stageNames.has(from.getImageName() ?? "") && !/^\d+/.test(tag ?? ""))
      problems.push({ problem: `FROM ${from.getImage()} is not pinned to a major version` });
  }

  const instructions = dockerfile.getInstructions();
  const finalStageStart = froms.at(-1)!.getRange().start.line;
  const finalStage = instructions.filter((instruction) => instruction.getRange().start.line >= finalStageStart);
  const users = finalStage.filter((instruction) => instruction.getKeyword() === "USER");
  const user = users.at(-1)?.getArgumentsContent()?.trim();
  if (!user || user === "root" || user === "0" || user.startsWith("0:") || user.startsWith("root:"))
    problems.push({ problem: `the final stage runs as ${user ?? "root (no USER)"}` });

  for (const run of dockerfile.getInstructions().filter((instruction) => instruction.getKeyword() === "RUN")) {
    const command = run.getArgumentsContent() ?? "";
    if (/\bnpm\s+(install|i|add)\b/.test(command)) problems.push({ problem: `"${command}" does not install from the lockfile (npm ci)` });
  }
  if (
    !finalStage.some(
      (instruction) => instruction.getKeyword() === "RUN" && /\bnpm ci\b.*--omit=dev/.test(instruction.getArgumentsContent() ?? ""),
    )
  )
    problems.push({ problem: "the final stage does not install production dependencies with npm ci --omit=dev" });

  const healthchecks = dockerfile.getHEALTHCHECKs();
  if (healthchecks.length === 0 || !healthchecks.at(-1)!.getArgumentsContent()?.includes("/api/health/live"))
    problems.push({ problem: "no HEALTHCHECK on /api/health/live" });

  for (const copy of dockerfile.getCOPYs()) {
    // From another stage, not the build context (getFromFlag() misses a --from after another flag).
    if (copy.getFlags().some((flag) => flag.getName() === "from")) continue;
    const args = copy.getArguments().map((argument) => argument.getValue());
    for (const source of args.slice(0, -1)) {
      if (source === ".") continue;
      if (!existsSync(path.join(repoRoot, source))) problems.push({ problem: `COPY ${source}: no such file in the repository` });
    }
  }
  return problems;
}

describe("the Dockerfile", () => {
  it("is multi-stage, pinned, built from the lockfile, non-root, health-checked, and copies only files that exist", () => {
    expect(problemsOf(dockerfileText)).toEqual([]);
  });

  it("marks the build newer than everything copied, so bin/start.mjs does not try to rebuild without development dependencies", () => {
    const instructions = DockerfileParser.parse(dockerfileText).getInstructions();
    const lastCopy = instructions.findLastIndex((instruction) => instruction.getKeyword() === "COPY");
    const touch = instructions.findIndex(
      (instruction) => instruction.getKeyword() === "RUN" && instruction.getArgumentsContent() === "touch .next/BUILD_ID",
    );
    expect(touch).toBeGreaterThan(lastCopy);
  });

  it("is rejected when it breaks a rule", () => {
    const mutations: [string, string, RegExp][] = [
      ["FROM node:20-bookworm-slim\n", "FROM node:latest\n", /not pinned/],
      ["USER node", "USER root", /runs as root/],
      ["npm ci --omit=dev", "npm install --omit=dev", /lockfile/],
      ["HEALTHCHECK", "# HEALTHCHECK", /HEALTHCHECK/],
      ["COPY --chown=node:node docs ./docs", "COPY --chown=node:node documentation ./docs", /COPY documentation/],
    ];
    for (const [from, to, problem] of mutations) {
      expect(dockerfileText, from).toContain(from);
      const lastIndex = dockerfileText.lastIndexOf(from);
      const mutated = dockerfileText.slice(0, lastIndex) + to + dockerfileText.slice(lastIndex + from.length);
      expect(
        problemsOf(mutated).map((found) => found.problem),
        to,
      ).toContainEqual(expect.stringMatching(problem));
    }
  });

  it("leaves local state, secrets and dependencies out of the build context", () => {
    const ignored = readRepoFile("deploy/Dockerfile.dockerignore").split("\n");
    for (const entry of ["node_modules", ".next", ".data", ".env", ".git", "server/db/generated", "deploy/secrets"])
      expect(ignored).toContain(entry);
    // What the Dockerfile copies from the context is not ignored.
    for (const needed of ["bin", "prisma", "public", "docs", "inngest", "server", "package-lock.json"])
      expect(ignored).not.toContain(needed);
  });
});
