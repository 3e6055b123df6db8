/**
 * What the retire path needs to know about a branch stack, all from the reaper's own checkout of
 * the default branch, never from the stack's state: the preview stack whose kubeconfig it trusts,
 * whether branches have Snowflake objects and on which production database, and which further
 * resource types the driven project declares as living in the branch namespace.
 */
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "../config/keys";
import { STACK_REF } from "../config/formats";
import { assembleStackConfig } from "../offline/stackConfig";
import { PREVIEW_STACK } from "../render/deployment";
import { InventoryRules } from "./retireInventory";

export interface RetireSettings {
  /** org/project/preview: its `kubeconfig` output is the only cluster access the reaper uses. */
  previewStack: string;
  inventory: InventoryRules;
}

/**
 * A project that is not the platform (the e2e tests' program) may declare resource types of its
 * own that deleting the namespace removes: `{"namespacedTypes": ["<type>", …]}`. The platform
 * has no such file; its Kubernetes resources are checked by namespace instead.
 */
export const RETIRE_TYPES_FILE = "branch-retire.json";

function namespacedTypes(projectDir: string): string[] {
  const file = path.join(projectDir, RETIRE_TYPES_FILE);
  if (!fs.existsSync(file)) return [];
  const types = (JSON.parse(fs.readFileSync(file, "utf8")) as { namespacedTypes?: unknown }).namespacedTypes;
  if (!Array.isArray(types) || !types.every((t) => typeof t === "string" && /^[^:\s]+:[^:\s]*:[^:\s]+$/.test(t))) {
    throw new Error(`${file}: namespacedTypes must be a list of Pulumi type tokens (package:module:Type)`);
  }
  return types as string[];
}

/**
 * The settings for `stack`, as the CLI would assemble its config in this checkout: Pulumi.yaml's
 * defaults (CI's branch stacks have no Pulumi.<stack>.yaml). `productionDatabase`: prod's
 * snowflakeProductionDatabase, the database DROP_BRANCH is called for.
 */
export function retireSettingsFor(projectDir: string, stack: string, productionDatabase: string): RetireSettings {
  const values = assembleStackConfig(projectDir, stack, []).values;
  const key = (k: keyof typeof CONFIG_KEYS) => `${CONFIG_NAMESPACE}:${k}`;
  const previewStack = values[key("previewStack")];
  const where = `${CONFIG_NAMESPACE}:previewStack (Pulumi.yaml, or Pulumi.${stack}.yaml)`;
  if (!previewStack) throw new Error(`${where} is not set: the reaper reads the cluster's kubeconfig from the preview stack's outputs`);
  if (!STACK_REF.test(previewStack) || previewStack.split("/")[2] !== PREVIEW_STACK) {
    throw new Error(`${where} is ${JSON.stringify(previewStack)}: it must be org/project/${PREVIEW_STACK}, the only stack whose kubeconfig the reaper trusts`);
  }
  const snowflake = (values[key("snowflake")] ?? String(CONFIG_KEYS.snowflake.default)) === "true";
  return { previewStack, inventory: { productionDatabase: snowflake ? productionDatabase : undefined, namespacedTypes: namespacedTypes(projectDir) } };
}
