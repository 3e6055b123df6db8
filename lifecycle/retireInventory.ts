/**
 * Which resources of a branch stack the retire path (lifecycle/retire.ts) removes without running
 * any provider, and which it cannot. Retiring deletes the namespace dagster-pr-<N>, drops the
 * Snowflake objects of pull request <N> through DROP_BRANCH, and removes the state; so a resource
 * is covered only when it has no existence outside the state, lives in that namespace, or is the
 * CALL of CREATE_BRANCH for <N> on the production database DROP_BRANCH is bound to.
 *
 * ASSUMPTION: branch stacks own no GCP resources (no bucket, no Google service account, no IAM
 * binding): everything a branch runs is in its namespace, plus its Snowflake objects. A `gcp:`
 * resource (or any other type this file does not know) in a branch's state is therefore refused,
 * and the stack kept, so that a branch resource added later is never silently leaked by a retire:
 * teach this file how it is cleaned, or leave it out of branches.
 *
 * The state is written by pull-request code, so it is never trusted to name what to delete: the
 * namespace and the Snowflake objects come from the pull-request number. It is read only to refuse
 * (an honest branch resource the retire path would leak); a hostile state can hide resources from
 * this check, but cannot make the reaper run anything. Pure: the export in, the findings out.
 */
import { parseBranchCall } from "../policy/snowflakeNames";
import { branchNamespaceName } from "./names";

/** One resource as `pulumi stack export` writes it (only the fields read here). */
export interface StateEntry {
  urn: string;
  type: string;
  custom?: boolean;
  external?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface InventoryRules {
  /** The database DROP_BRANCH is called with (trusted config); undefined: branches of this project have no Snowflake objects. */
  productionDatabase?: string;
  /** Further types the driven project declares as living in the branch namespace (its branch-retire.json). */
  namespacedTypes: readonly string[];
}

export interface Inventory {
  /** Resources the namespace deletion removes. */
  namespaced: number;
  /** CREATE_BRANCH calls DROP_BRANCH reverts. */
  snowflake: number;
  /** `<urn>: <why>` for every resource the retire path would leak. */
  problems: string[];
}

const EXECUTE = "snowflake:index/execute:Execute";
const HELM_RELEASE = /^kubernetes:helm\.sh\/v\d+:Release$/;
const NAMESPACE = "kubernetes:core/v1:Namespace";
/** Values computed into the state by local providers (keys, passwords): nothing outside it. */
const LOCAL_ONLY = [/^random:/, /^tls:/];

function field(r: StateEntry, read: (props: Record<string, unknown>) => unknown): unknown {
  return (r.outputs && read(r.outputs)) ?? (r.inputs && read(r.inputs));
}

function metadata(props: Record<string, unknown>): Record<string, unknown> {
  const m = props.metadata;
  return m !== null && typeof m === "object" ? (m as Record<string, unknown>) : {};
}

/** Kubernetes: the namespace itself, or an object (a Helm release) inside it. */
function kubernetesProblem(r: StateEntry, namespace: string): string | undefined {
  if (r.type === NAMESPACE) {
    const name = field(r, (p) => metadata(p).name);
    return name === namespace ? undefined : `the namespace ${JSON.stringify(name)} is not ${namespace}`;
  }
  const where = field(r, (p) => (HELM_RELEASE.test(r.type) ? p.namespace : metadata(p).namespace));
  if (where === namespace) return undefined;
  return where === undefined ? `has no namespace (cluster-scoped, or the provider's default): deleting ${namespace} does not remove it` : `lives in namespace ${JSON.stringify(where)}, not ${namespace}`;
}

function snowflakeProblem(r: StateEntry, pr: number, productionDatabase: string | undefined): string | undefined {
  const statement = field(r, (p) => p.execute);
  const call = typeof statement === "string" ? parseBranchCall(statement) : undefined;
  if (call?.procedure !== "CREATE_BRANCH" || call.pullRequest !== pr) return `is not CREATE_BRANCH for pull request ${pr}: DROP_BRANCH does not revert it`;
  if (productionDatabase === undefined) return "this project's branches have no Snowflake objects (config snowflake is off), so the retire path drops none";
  if (call.source !== productionDatabase) return `clones ${call.source}, but DROP_BRANCH is called for ${productionDatabase} (prod's snowflakeProductionDatabase)`;
  return undefined;
}

type Verdict = { covered: "nothing" | "namespace" | "snowflake" } | { problem: string };

function classify(r: StateEntry, pr: number, rules: InventoryRules): Verdict {
  // The stack itself, provider configurations, component groupings (their children are listed on
  // their own) and reads of resources owned elsewhere (`get`, StackReference): no physical object.
  if (r.type === "pulumi:pulumi:Stack" || r.type.startsWith("pulumi:providers:") || r.custom === false || r.external === true) return { covered: "nothing" };
  if (r.type === "pulumi:pulumi:StackReference" || LOCAL_ONLY.some((p) => p.test(r.type))) return { covered: "nothing" };
  if (rules.namespacedTypes.includes(r.type)) return { covered: "namespace" };
  if (r.type.startsWith("kubernetes:")) {
    const problem = kubernetesProblem(r, branchNamespaceName(pr));
    return problem ? { problem } : { covered: "namespace" };
  }
  if (r.type === EXECUTE) {
    const problem = snowflakeProblem(r, pr, rules.productionDatabase);
    return problem ? { problem } : { covered: "snowflake" };
  }
  return { problem: "is a type the retire path does not clean (branch stacks are expected to own no GCP or other resources outside their namespace and Snowflake objects)" };
}

/** The resources of an export: the checkpoint's, and those an interrupted update was still creating. */
export function exportedResources(exported: unknown): StateEntry[] | undefined {
  const deployment = (exported as { deployment?: { resources?: unknown; pending_operations?: unknown } } | null)?.deployment;
  if (!deployment || typeof deployment !== "object") return undefined;
  const resources = Array.isArray(deployment.resources) ? deployment.resources : [];
  const pending = Array.isArray(deployment.pending_operations) ? deployment.pending_operations.map((op: { resource?: unknown }) => op?.resource) : [];
  const all = [...resources, ...pending];
  return all.every((r) => r !== null && typeof r === "object" && typeof (r as StateEntry).type === "string") ? (all as StateEntry[]) : undefined;
}

/** What retiring pull request `pr`'s stack removes, and what it would leak. */
export function retireInventory(resources: readonly StateEntry[], pr: number, rules: InventoryRules): Inventory {
  const inventory: Inventory = { namespaced: 0, snowflake: 0, problems: [] };
  for (const r of resources) {
    const verdict = classify(r, pr, rules);
    if ("problem" in verdict) inventory.problems.push(`${r.urn ?? "(no urn)"} (${r.type}) ${verdict.problem}`);
    else if (verdict.covered === "namespace") inventory.namespaced++;
    else if (verdict.covered === "snowflake") inventory.snowflake++;
  }
  return inventory;
}
