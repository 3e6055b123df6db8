import { isSubdomainName } from "../locations/kubernetes";
import { Problem } from "../locations/problems";
import { looksSecret } from "../locations/secretLooking";
import { CodeLocation } from "../locations/types";
import { ConfigKey } from "./keys";
import { ConfigReader } from "./reader";
import { BranchObjectNames } from "./types";

/**
 * Secrets and ConfigMaps a branch may give its locations. Their names are project config
 * (Pulumi.yaml), so a branch plan can check its locations before planning anything; their values
 * are config of the preview stack only, which branches read through its outputs. Prod's own
 * Secrets live in prod's namespace and project, which a branch cannot reach.
 */
export function readBranchObjectNames(c: ConfigReader): BranchObjectNames {
  return { secrets: nameList(c, "branchSecretNames"), configMaps: nameList(c, "branchConfigMapNames") };
}

function nameList(c: ConfigReader, key: ConfigKey): string[] {
  const names = (c.string(key) ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!isSubdomainName(n)) c.problem(key, `"${n}" is not a Kubernetes object name`, "lowercase letters, digits, - and ., at most 253");
  }
  return [...new Set(names)].sort();
}

/** Which of the given names a branch's locations reference, for one kind. */
export function referencedNames(locations: readonly CodeLocation[], field: "secrets" | "configMaps"): string[] {
  return [...new Set(locations.flatMap((l) => l[field]))].sort();
}

/**
 * Every `secrets:`/`configMaps:` entry of a branch's locations that the preview environment does
 * not provide, as a problem of that file and field: a run pod would wait forever on a missing
 * Secret (dagster-k8s cannot mark one optional), so the branch is refused before it is planned.
 */
export function unprovidedReferences(locations: readonly CodeLocation[], provided: BranchObjectNames): Problem[] {
  const problems: Problem[] = [];
  const kinds = [
    ["secrets", provided.secrets, "branchSecretNames", "branchSecretValues"],
    ["configMaps", provided.configMaps, "branchConfigMapNames", "branchConfigMapValues"],
  ] as const;
  for (const location of locations) {
    for (const [field, names, namesKey, valuesKey] of kinds) {
      location[field].forEach((name, i) => {
        if (names.includes(name)) return;
        problems.push({
          source: location.file,
          field: `${field}[${i}]`,
          message: `"${name}" has no branch-safe version, so a branch deployment cannot start this location`,
          hint: `add "${name}" to ${namesKey} in Pulumi.yaml and its branch-safe data to the preview stack's ${valuesKey}, or run the branch without this location (branchLocations)`,
        });
      });
    }
  }
  return problems;
}

const DATA_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The preview stack's values for the listed names: a JSON object of objects of strings, exactly
 * one entry per listed name. Problems name the key and the entry, never a value.
 */
export function parseBranchObjectValues(
  c: ConfigReader,
  key: "branchSecretValues" | "branchConfigMapValues",
  text: string,
  names: readonly string[],
): Record<string, Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    c.problem(key, "is not JSON", `write {"<name>": {"KEY": "value"}, …}`);
    return {};
  }
  if (!isRecord(parsed)) {
    c.problem(key, "is not a JSON object of names", `write {"<name>": {"KEY": "value"}, …}`);
    return {};
  }
  const out: Record<string, Record<string, string>> = {};
  const namesKey = key === "branchSecretValues" ? "branchSecretNames" : "branchConfigMapNames";
  for (const name of names) if (!(name in parsed)) c.problem(key, `has no entry for "${name}", which ${namesKey} lists`);
  for (const [name, data] of Object.entries(parsed).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!names.includes(name)) {
      c.problem(key, `has an entry "${name}", which ${namesKey} does not list`, `add it to ${namesKey} in Pulumi.yaml, or remove it`);
      continue;
    }
    const entry = dataProblems(c, key, name, data);
    if (entry) out[name] = entry;
  }
  return out;
}

function dataProblems(c: ConfigReader, key: "branchSecretValues" | "branchConfigMapValues", name: string, data: unknown): Record<string, string> | undefined {
  if (!isRecord(data)) {
    c.problem(key, `entry "${name}" is not an object of KEY: value`);
    return undefined;
  }
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== "string") c.problem(key, `entry "${name}", key "${k}": the value is not a string`, "quote numbers and booleans");
    if (!DATA_KEY.test(k)) c.problem(key, `entry "${name}": key "${k}" is not an environment variable name`, "locations load these with envFrom: letters, digits and _, not starting with a digit");
    if (key === "branchConfigMapValues" && looksSecret(k)) {
      c.problem(key, `entry "${name}": key "${k}" looks like a secret`, "a ConfigMap is not encrypted: put it in a Secret (branchSecretNames/branchSecretValues)");
    }
  }
  // Any problem above refuses the whole configuration, so what is returned then is never used.
  return data as Record<string, string>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
