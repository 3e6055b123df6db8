/**
 * A branch stack reads the preview stack through a StackReference. The offline plan answers it with
 * the outputs of an offline plan of the preview stack, made in this process before the branch's
 * own: the preview stack plans no code locations, so its plan costs the same for 10 locations as
 * for 5,000, and reuses the modules the branch plan loads anyway (a child process would pay for a
 * second ts-node start-up, about 1.5 s of CPU, more than the preview plan itself). Only the
 * outputs are kept, never the other plan's resources.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_NAMESPACE } from "../config/keys";
import { classifyStack } from "../render/deployment";
import type { ReferencedOutputs } from "./computed";
import { SECRET_MARK } from "./record";

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

/** `org/project/stack` → `stack`: the referenced stack's own config file is Pulumi.<stack>.yaml. */
export function stackNameOf(reference: string): string {
  return reference.split("/").pop() as string;
}

/** The plan of the referenced stack failed: its message says why (e.g. its config is refused). */
export class ReferencedPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReferencedPlanError";
  }
}

/** What a plan of the referenced stack must give: its outputs, in clear and as written (secrets marked). */
export interface ReferencedPlan {
  outputs: Record<string, unknown>;
  rawOutputs: Record<string, unknown>;
}
export type PlanReferenced = (projectDir: string, stack: string, reposDir: string | undefined) => Promise<ReferencedPlan>;

/** Same inputs, same outputs: one plan per referenced stack and input, however many branches read it. */
const cache = new Map<string, ReferencedOutputs>();

/** What the referenced plan depends on, so a changed file never reuses an earlier answer. */
function inputKey(projectDir: string, stack: string, reposDir: string | undefined): string {
  const hash = crypto.createHash("sha256").update(JSON.stringify([path.resolve(projectDir), stack, reposDir ?? ""]));
  for (const f of ["Pulumi.yaml", `Pulumi.${stack}.yaml`]) {
    const p = path.join(projectDir, f);
    hash.update(fs.existsSync(p) ? fs.readFileSync(p) : "-");
  }
  return hash.digest("hex");
}

/**
 * The outputs (secrets in clear: they never leave memory) of an offline plan of `stack`. Rejects
 * with a ReferencedPlanError carrying that plan's own message when it fails, e.g. when the
 * referenced stack's config is refused.
 */
export async function referencedOutputs(plan: PlanReferenced, projectDir: string, stack: string, reposDir: string | undefined): Promise<ReferencedOutputs> {
  const key = inputKey(projectDir, stack, reposDir);
  const known = cache.get(key);
  if (known) return known;
  let planned: ReferencedPlan;
  try {
    planned = await plan(projectDir, stack, reposDir);
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause ?? e;
    throw new ReferencedPlanError(`the offline plan of the referenced stack "${stack}" failed:\n${(cause as Error).message ?? String(cause)}`);
  }
  const answer: ReferencedOutputs = {
    outputs: planned.rawOutputs,
    secretOutputNames: Object.keys(planned.outputs).filter((k) => planned.outputs[k] === SECRET_MARK).sort(),
  };
  cache.set(key, answer);
  return answer;
}
