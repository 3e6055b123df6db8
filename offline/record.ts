import type { RegisterResourceOutputsRequest, RegisterResourceRequest, ReadResourceRequest } from "@pulumi/pulumi/proto/resource_pb";

/**
 * Reads what the program asked the engine for, straight from the resource-registration requests:
 * the mock runtime's `newResource` hook does not see resource options, but the request does. So
 * `protect`, `deleteBeforeReplace`, `dependsOn` … are recorded exactly as a real engine receives them.
 */

/** Pulumi's wire markers for secrets, unknowns and resource references. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const SECRET_MARK = "[secret]";

export interface ResourceOptionsRecord {
  protect: boolean;
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  ignoreChanges: string[];
  retainOnDelete: boolean;
  /** Explicit `dependsOn`, by resource name. */
  dependsOn: string[];
  /** `replaceWith`, by resource name. */
  replaceWith: string[];
  replacementTrigger?: unknown;
  /** The explicit provider, by name, if any. */
  provider?: string;
  /** `import`: the id of an existing resource this one adopts (absent when it creates its own). */
  import?: string;
}

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  parentUrn: string;
  custom: boolean;
  read: boolean;
  inputs: Record<string, unknown>;
  options: ResourceOptionsRecord;
}

/**
 * Replaces secrets by a mark and resource references by their names, recursively, keys sorted.
 * `reveal` keeps a secret's value instead, as the policy engine hands it to analyzers (never for
 * anything written to disk).
 */
export function mask(value: unknown, reveal = false): unknown {
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map((v) => mask(v, reveal));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return reveal ? mask(obj.value, reveal) : SECRET_MARK;
    if (obj[SIG_KEY] === RESOURCE_SIG) return nameOfUrn(String(obj.urn));
    // Keys sorted, as a protobuf Struct would give them back: plans are byte-stable.
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(obj).sort()) out[k] = mask(obj[k], reveal);
    return out;
  }
  return value;
}

export function nameOfUrn(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

/** The URN the mock monitor assigns, computed the same way so parents can be matched. */
export function urnOf(stack: string, project: string, parentUrn: string, type: string, name: string): string {
  let qualified = type;
  if (parentUrn) qualified = `${parentUrn.split("::")[2].split("$").pop()}$${type}`;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** `wire`: the request's properties, decoded (`req.getObject().toJavaScript()`). */
export function recordRegistration(req: RegisterResourceRequest, stack: string, project: string, wire: Record<string, unknown>, revealSecrets = false): RecordedResource {
  const propertyDeps = new Set<string>();
  req.getPropertydependenciesMap().forEach((deps) => deps.getUrnsList().forEach((u) => propertyDeps.add(u)));
  const trigger = req.getReplacementTrigger()?.toJavaScript();
  const provider = req.getProvider();
  const options: ResourceOptionsRecord = {
    protect: req.getProtect() === true,
    deleteBeforeReplace: req.getDeletebeforereplace(),
    replaceOnChanges: [...req.getReplaceonchangesList()].sort(),
    ignoreChanges: [...req.getIgnorechangesList()].sort(),
    retainOnDelete: req.getRetainondelete() === true,
    dependsOn: req.getDependenciesList().filter((u) => !propertyDeps.has(u)).map(nameOfUrn).sort(),
    replaceWith: req.getReplaceWithList().map(nameOfUrn).sort(),
  };
  if (trigger !== undefined && trigger !== null) options.replacementTrigger = mask(trigger);
  // A provider reference is `<provider urn>::<id>`; the provider's name is the URN's last part.
  if (provider) options.provider = nameOfUrn(provider.split("::").slice(0, -1).join("::"));
  if (req.getImportid()) options.import = req.getImportid();
  const type = req.getType();
  const name = req.getName();
  return {
    type,
    name,
    urn: urnOf(stack, project, req.getParent(), type, name),
    parentUrn: req.getParent(),
    custom: req.getCustom(),
    read: false,
    inputs: mask(wire, revealSecrets) as Record<string, unknown>,
    options,
  };
}

export function recordRead(req: ReadResourceRequest, stack: string, project: string): RecordedResource {
  const type = req.getType();
  const name = req.getName();
  return {
    type,
    name,
    urn: urnOf(stack, project, req.getParent(), type, name),
    parentUrn: req.getParent(),
    custom: true,
    read: true,
    inputs: mask(req.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
    options: { protect: false, deleteBeforeReplace: false, replaceOnChanges: [], ignoreChanges: [], retainOnDelete: false, dependsOn: [], replaceWith: [] },
  };
}

export function recordOutputs(req: RegisterResourceOutputsRequest): { urn: string; outputs: Record<string, unknown> } {
  return { urn: req.getUrn(), outputs: (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown> };
}
