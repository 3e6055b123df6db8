/**
 * Container resources, checked by Kubernetes' own rules (k8s.io/kubernetes
 * pkg/apis/core/validation/validation.go: validateContainerResourceName, ValidateResourceRequirements,
 * ValidateResourceQuantityValue; pkg/apis/core/helper: IsExtendedResourceName, IsOvercommitAllowed).
 */
import { qualifiedNameError } from "./kubernetes";
import { excerpt, fieldKey, show } from "./problems";
import { Quantity, compareQuantities, isMultipleOf, parseQuantity } from "./quantity";
import { Dict, Reader, isDict, sortKeys } from "./reader";
import { didYouMean } from "./suggest";
import { ResourceRequirements } from "./types";

const SECTIONS = ["requests", "limits"] as const;
const STANDARD = ["cpu", "memory", "ephemeral-storage"];

/**
 * How a resource is counted: cpu in millicores (the kubelet reads MilliValue), memory, storage
 * and huge pages in whole bytes, extended resources (nvidia.com/gpu) in whole units that are
 * never overcommitted.
 */
type Unit = "millicores" | "bytes" | "units";
interface Kind {
  unit: Unit;
  /** Whether requests may be below limits (IsOvercommitAllowed: native resources but huge pages). */
  overcommit: boolean;
}

/** The kind of a container resource name, or why Kubernetes refuses the name. */
export function resourceKind(name: string): Kind | { error: string; hint: string } {
  if (!name.includes("/")) {
    if (name === "cpu") return { unit: "millicores", overcommit: true };
    if (name === "memory" || name === "ephemeral-storage") return { unit: "bytes", overcommit: true };
    if (name.startsWith("hugepages-") && parseQuantity(name.slice("hugepages-".length)).ok) return { unit: "bytes", overcommit: false };
    const guess = didYouMean(name, STANDARD);
    return { error: `unknown resource ${excerpt(name)}`, hint: guess ? `did you mean "${guess}"?` : "use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource such as nvidia.com/gpu" };
  }
  const nameError = qualifiedNameError(name);
  if (nameError) return { error: `${excerpt(name)} is not a resource name: ${nameError}`, hint: "an extended resource is <domain>/<name>, e.g. nvidia.com/gpu" };
  if (name.includes("kubernetes.io/")) return { error: `${excerpt(name)} is in Kubernetes' own kubernetes.io namespace, not an extended resource`, hint: "extended resources are <your domain>/<name>, e.g. nvidia.com/gpu" };
  if (name.startsWith("requests.")) return { error: `${excerpt(name)} starts with "requests.", which Kubernetes reserves for quotas`, hint: "drop the requests. prefix" };
  return { unit: "units", overcommit: false };
}

const UNIT_OF: Record<Unit, { num: bigint; den: bigint; what: string; why: string }> = {
  millicores: { num: 1n, den: 1000n, what: "whole millicores", why: "Kubernetes rounds finer CPU up to 1m" },
  bytes: { num: 1n, den: 1n, what: "whole bytes", why: "Kubernetes rounds fractions of a byte up" },
  units: { num: 1n, den: 1n, what: "whole units", why: "an extended resource cannot be split" },
};

/** A quantity as written in YAML: a string, or a number YAML read exactly. */
function quantityText(r: Reader, field: string, value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    // YAML reads unquoted numbers as floats: past 2^53 they are silently rounded (or become Infinity).
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      r.add(field, `the number is too large for YAML to read exactly (it was read as ${value})`, "quote it, e.g. \"64Gi\"");
      return undefined;
    }
    return String(value);
  }
  r.add(field, `${show(value)} is not a Kubernetes quantity`, "e.g. cpu: 250m, memory: 512Mi");
  return undefined;
}

/** One quantity of one resource, or undefined after reporting why Kubernetes would refuse or change it. */
function readQuantity(r: Reader, field: string, resource: string, kind: Kind, value: unknown): Quantity | undefined {
  const text = quantityText(r, field, value);
  if (text === undefined) return undefined;
  const parsed = parseQuantity(text);
  const example = kind.unit === "millicores" ? "e.g. 250m or 1" : kind.unit === "bytes" ? "e.g. 512Mi or 2Gi" : "e.g. 1";
  if (!parsed.ok) {
    r.add(field, `${show(text)}: ${parsed.reason}`, example);
    return undefined;
  }
  if (parsed.value.negative) {
    r.add(field, `${show(text)} is negative`, "Kubernetes refuses negative resources");
    return undefined;
  }
  const unit = UNIT_OF[kind.unit];
  if (!isMultipleOf(parsed.value, unit.num, unit.den)) {
    const hint = kind.unit === "bytes" && /m$/.test(text) ? `m means thousandths: did you mean ${text.slice(0, -1)}Mi?` : example;
    r.add(field, `${show(text)} is not a number of ${unit.what} for ${resource}: ${unit.why}`, hint);
    return undefined;
  }
  return parsed.value;
}

function readSection(r: Reader, key: ResourcesKey, kind: (typeof SECTIONS)[number], section: unknown): Map<string, { text: string; value: Quantity; kind: Kind }> | undefined {
  const out = new Map<string, { text: string; value: Quantity; kind: Kind }>();
  if (section === undefined || section === null) return out;
  if (!isDict(section)) {
    r.add(`${key}.${kind}`, `${show(section)} is not a mapping`, "write resource: quantity pairs, e.g. cpu: 250m");
    return undefined;
  }
  for (const [res, q] of Object.entries(section)) {
    const field = `${key}.${kind}.${fieldKey(res)}`;
    const rk = resourceKind(res);
    if ("error" in rk) {
      r.add(field, rk.error, rk.hint);
      continue;
    }
    const value = readQuantity(r, field, res, rk, q);
    if (value) out.set(res, { text: typeof q === "string" ? q : String(q), value, kind: rk });
  }
  return out;
}

type ResourcesKey = "resources" | "runResources";
type Section = Map<string, { text: string; value: Quantity; kind: Kind }>;

/** ValidateResourceRequirements: requests at most limits; non-overcommittable ones equal, with a limit. */
function checkPairs(r: Reader, key: ResourcesKey, requests: Section, limits: Section): void {
  for (const [res, req] of requests) {
    const lim = limits.get(res);
    if (!lim) {
      if (!req.kind.overcommit) r.add(`${key}.limits.${fieldKey(res)}`, `is missing: ${res} is requested, and Kubernetes requires a limit for it`, `set limits: {${res}: ${req.text}} (equal to the request: it cannot be overcommitted)`);
      continue;
    }
    const cmp = compareQuantities(req.value, lim.value);
    if (!req.kind.overcommit && cmp !== 0) {
      r.add(`${key}.requests.${fieldKey(res)}`, `the request ${req.text} is not equal to the limit ${lim.text}`, `${res} cannot be overcommitted: Kubernetes requires the request to equal the limit`);
    } else if (cmp > 0) {
      r.add(`${key}.requests.${fieldKey(res)}`, `the request ${req.text} is larger than the limit ${lim.text}`, "Kubernetes rejects such a pod; raise the limit or lower the request");
    }
  }
  const hugePages = [...requests.keys(), ...limits.keys()].some((k) => k.startsWith("hugepages-"));
  if (hugePages && !requests.has("cpu") && !requests.has("memory") && !limits.has("cpu") && !limits.has("memory")) {
    r.add(key, "huge pages are requested without cpu or memory", "Kubernetes requires cpu or memory alongside hugepages-<size>");
  }
}

/** `resources` (the code server's) or `runResources` (each run's): the same shape and rules. */
export function readResources(r: Reader, doc: Dict, key: ResourcesKey = "resources"): ResourceRequirements | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (!isDict(v)) {
    r.add(key, `${show(v)} is not a mapping`, "write requests: and limits: mappings, e.g. {requests: {cpu: 250m, memory: 512Mi}}");
    return undefined;
  }
  r.unknownKeys(v, SECTIONS, `${key}.`);
  const requests = readSection(r, key, "requests", v.requests);
  const limits = readSection(r, key, "limits", v.limits);
  if (!requests || !limits) return undefined;
  checkPairs(r, key, requests, limits);
  const out: ResourceRequirements = {};
  for (const [name, section] of [["requests", requests], ["limits", limits]] as const) {
    if (v[name] !== undefined && v[name] !== null) out[name] = sortKeys(Object.fromEntries([...section].map(([k, q]) => [k, q.text])));
  }
  return out;
}
