import { COMPONENT_PREFIX } from "../components/labels";
import { PREVIEW_OUTPUTS } from "../platform/outputs";
import { holdsTo } from "./deployment";
import { at, record, text } from "./props";
import { describe, StackResource, StackViolation } from "./types";

/**
 * What runs when a branch stack is deployed, refreshed or destroyed: its providers. A branch's
 * state is written by pull-request code, and whoever destroys the stack later (`down`, the
 * reaper) loads the providers that state names, with their recorded configuration. So a branch
 * may use only the providers it needs (Kubernetes, Snowflake, random, tls), each loaded the
 * ordinary way, and its Kubernetes provider only with the preview stack's kubeconfig:
 *
 * - a dynamic resource (`pulumi-nodejs:dynamic:Resource`) stores its provider as JavaScript in the
 *   state and runs it on delete (@pulumi/pulumi cmd/dynamic-provider); `command:*` resources run
 *   shell commands on create and delete;
 * - a provider's `pluginDownloadURL` makes the engine fetch its plugin binary from that URL, and a
 *   `parameter` turns a base provider into another one (pulumi/pulumi
 *   pkg/resource/deploy/providers/provider.go, the keys of a provider's inputs);
 * - a kubeconfig can name any `exec` command, which the Kubernetes provider runs for credentials.
 */
export const BRANCH_PROVIDER_PACKAGES = ["kubernetes", "random", "snowflake", "tls"] as const;
/** The engine's own: the stack, StackReferences and their built-in provider run no outside code. */
const ENGINE_TYPES = ["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference", "pulumi:providers:pulumi"];
const PROVIDER_PREFIX = "pulumi:providers:";
/** Provider inputs the engine reads to choose the plugin binary itself. */
const PLUGIN_SELECTORS = ["pluginDownloadURL", "parameter"];

function typeProblem(type: string): string | undefined {
  if (type === "pulumi-nodejs:dynamic:Resource") return "is a dynamic resource: its provider is JavaScript kept in the state, which whoever destroys the stack would run";
  if (type.startsWith("command:")) return "runs shell commands when it is created or destroyed";
  if (ENGINE_TYPES.includes(type) || type.startsWith(`${COMPONENT_PREFIX}:`)) return undefined;
  const pkg = type.startsWith(PROVIDER_PREFIX) ? type.slice(PROVIDER_PREFIX.length) : type.split(":")[0];
  if ((BRANCH_PROVIDER_PACKAGES as readonly string[]).includes(pkg)) return undefined;
  return `is of package ${pkg}: a branch uses only the ${BRANCH_PROVIDER_PACKAGES.join(", ")} providers`;
}

/** Every resource of a branch is the engine's, this program's component, or of a provider a branch uses; no provider picks its own plugin. */
export function branchProviderViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  const out: StackViolation[] = [];
  for (const r of resources) {
    const problem = typeProblem(r.type);
    if (problem) out.push({ urn: r.urn, message: `${describe(r)} (${r.type}) ${problem}` });
    if (!r.type.startsWith(PROVIDER_PREFIX)) continue;
    for (const key of PLUGIN_SELECTORS) {
      if (r.props[key] !== undefined && r.props[key] !== "") out.push({ urn: r.urn, message: `provider ${r.name} (${r.type}) sets ${key}: a branch's providers load the ordinary plugin, never one the branch chooses` });
    }
  }
  return out;
}

/** The preview stack's kubeconfig, as the engine hands analyzers a StackReference: its outputs. */
function previewKubeconfig(resources: readonly StackResource[]): string | undefined {
  const ref = resources.find((r) => r.type === "pulumi:pulumi:StackReference" && (text(r.props.name) ?? "").split("/")[2] === "preview");
  return ref ? text(at(record(ref.props.outputs), PREVIEW_OUTPUTS.kubeconfig)) : undefined;
}

/**
 * Every Kubernetes provider of a branch uses exactly the kubeconfig the preview stack exports (a
 * StackReference's properties, as analyzers see them, are its outputs: pulumi/pulumi
 * pkg/resource/deploy/step_generator.go, AnalyzeResources), and names no other context or
 * cluster. A default provider (ambient kubeconfig) has none, and is refused too.
 */
export function branchKubeconfigViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  const expected = previewKubeconfig(resources);
  const out: StackViolation[] = [];
  for (const r of resources.filter((x) => x.type === `${PROVIDER_PREFIX}kubernetes`)) {
    const flag = (message: string) => out.push({ urn: r.urn, message: `provider ${r.name} ${message}` });
    if (expected === undefined) flag("cannot be checked: the stack reads no preview stack output kubeconfig (a branch deploys only with the preview stack's)");
    else if (r.props.kubeconfig !== expected) flag("has a kubeconfig other than the preview stack's output: its exec command would run wherever the stack is deployed or destroyed");
    for (const key of ["context", "cluster"]) if (r.props[key] !== undefined && r.props[key] !== "") flag(`sets ${key}: a branch uses the preview kubeconfig's own context`);
  }
  return out;
}
