/**
 * A branch stack reads the preview stack through a StackReference. The offline plan
 * answers it with the outputs of a plan of that stack, made in a child process: the parent gets
 * on with its own plan meanwhile and keeps only the outputs, never the other plan's resources.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_NAMESPACE } from "../config/keys";
import { classifyStack } from "../render/deployment";
import type { ReferencedOutputs } from "./computed";

/** The config key through which a branch names the stack it reads, and that stack's reference. */
export interface StackReferenceConfig {
  key: string;
  /** `org/project/stack`, exactly as configured. */
  reference: string;
}

/**
 * Which stack a stack reads through its StackReference, from its assembled config: one place to
 * change when the key changes (a branch names the preview stack with `previewStack`).
 */
export function referencedStack(stack: string, values: Readonly<Record<string, string>>): StackReferenceConfig | undefined {
  if (classifyStack(stack).kind !== "branch") return undefined;
  const key = "previewStack";
  const reference = values[`${CONFIG_NAMESPACE}:${key}`];
  return reference ? { key, reference } : undefined;
}

export type StackOutputs = ReferencedOutputs;

/** The plan of the referenced stack failed: its message says why (e.g. its config is refused). */
export class ReferencedPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReferencedPlanError";
  }
}

const TS_NODE = require.resolve("ts-node/register/transpile-only");
const CHILD = path.join(__dirname, "referenceChild.ts");
/** Larger young generation: a plan allocates many short-lived promises (see scripts/bench.ts). */
export const PLAN_NODE_FLAGS = ["--max-semi-space-size=64"];

/** Same inputs, same plan: one child per referenced stack and input, however many branches read it. */
const cache = new Map<string, Promise<StackOutputs>>();

/** What the child's plan depends on, so a changed file never reuses an earlier answer. */
function inputKey(projectDir: string, stack: string, reposDir: string | undefined): string {
  const hash = crypto.createHash("sha256").update(JSON.stringify([projectDir, stack, reposDir ?? ""]));
  for (const f of ["Pulumi.yaml", `Pulumi.${stack}.yaml`]) {
    const p = path.join(projectDir, f);
    hash.update(fs.existsSync(p) ? fs.readFileSync(p) : "-");
  }
  const repos = path.resolve(projectDir, reposDir ?? "repos");
  if (fs.existsSync(repos)) {
    for (const name of fs.readdirSync(repos).sort()) {
      const st = fs.lstatSync(path.join(repos, name));
      hash.update(`${name}:${st.size}:${st.mtimeMs}\n`);
    }
  }
  return hash.digest("hex");
}

/**
 * The outputs (secrets in clear: they never leave memory) of an offline plan of `stack`, planned
 * in a child process with the same repos/ folder. Rejects with the child's own message when that
 * plan fails, e.g. when the referenced stack's config is refused.
 */
export function referencedOutputs(projectDir: string, stack: string, reposDir: string | undefined): Promise<StackOutputs> {
  const key = inputKey(projectDir, stack, reposDir);
  let outputs = cache.get(key);
  if (!outputs) {
    outputs = planInChild(projectDir, stack, reposDir);
    cache.set(key, outputs);
    outputs.catch(() => cache.delete(key));
  }
  return outputs;
}

function planInChild(projectDir: string, stack: string, reposDir: string | undefined): Promise<StackOutputs> {
  return new Promise((resolve, reject) => {
    // The outputs come back on fd 3, so nothing the child prints can be mistaken for them.
    const child = spawn(process.execPath, [...PLAN_NODE_FLAGS, "-r", TS_NODE, CHILD, projectDir, stack, reposDir ?? ""], {
      cwd: projectDir,
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    // A child nobody waits for any more (the parent failed or exited) is not left running.
    const stop = () => child.kill();
    process.once("exit", stop);
    child.on("error", reject);
    child.on("close", (code) => {
      process.removeListener("exit", stop);
      if (code === 0) return resolve(JSON.parse(Buffer.concat(out).toString("utf8")) as StackOutputs);
      reject(new ReferencedPlanError(`the offline plan of the referenced stack "${stack}" failed:\n${Buffer.concat(err).toString("utf8").trim()}`));
    });
  });
}
