/**
 * Pod tolerations, checked by Kubernetes' ValidateTolerations (k8s.io/kubernetes
 * pkg/apis/core/validation/validation.go).
 */
import { labelValueError, qualifiedNameError } from "./kubernetes";
import { excerpt, show } from "./problems";
import { Dict, Reader, isDict } from "./reader";
import { Toleration } from "./types";

const KEYS = ["key", "operator", "value", "effect", "tolerationSeconds"];
const OPERATORS = ["Exists", "Equal"] as const;
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** One toleration; its problems go to the reader (any problem refuses the whole location). */
function readOne(r: Reader, item: Dict, field: string): Toleration {
  r.unknownKeys(item, KEYS, `${field}.`);
  const t: Toleration = {};
  const key = r.string(item, "key", `${field}.key`);
  if (key !== undefined) {
    const why = qualifiedNameError(key);
    if (why) r.add(`${field}.key`, `${excerpt(key)} is not a taint key: ${why}`);
    t.key = key;
  }
  const op = item.operator;
  const opSet = op !== undefined && op !== null;
  if (opSet && !(OPERATORS as readonly unknown[]).includes(op)) r.add(`${field}.operator`, `${show(op)} is not Exists or Equal`, "use Exists or Equal (Equal when unset)");
  else if (opSet) t.operator = op as Toleration["operator"];
  // An empty key matches every taint key, which Kubernetes allows only with Exists.
  if (key === undefined && (!opSet || t.operator === "Equal")) {
    r.add(`${field}.operator`, `is ${t.operator ?? "Equal (unset)"} with no key`, "Kubernetes requires operator Exists when key is empty (which tolerates every taint)");
  }
  const value = r.string(item, "value", `${field}.value`);
  if (value !== undefined) {
    if (t.operator === "Exists") r.add(`${field}.value`, "is set, but operator is Exists", "Kubernetes requires no value with Exists: drop value or use operator Equal");
    else if (labelValueError(value)) r.add(`${field}.value`, `${excerpt(value)}: ${labelValueError(value)}`);
    t.value = value;
  }
  const effect = item.effect;
  if (effect !== undefined && effect !== null && !(EFFECTS as readonly unknown[]).includes(effect)) {
    r.add(`${field}.effect`, `${show(effect)} is not a taint effect`, "use NoSchedule, PreferNoSchedule or NoExecute (or leave it unset for all)");
  } else if (effect !== undefined && effect !== null) t.effect = effect as Toleration["effect"];
  const secs = item.tolerationSeconds;
  if (secs !== undefined && secs !== null) {
    if (typeof secs !== "number" || !Number.isSafeInteger(secs) || secs < 0) r.add(`${field}.tolerationSeconds`, `${show(secs)} is not a whole number of seconds`, "0 or more (Kubernetes treats less as 0)");
    else if (t.effect !== "NoExecute") r.add(`${field}.tolerationSeconds`, "is set, but effect is not NoExecute", "Kubernetes requires effect NoExecute with tolerationSeconds: set it or drop tolerationSeconds");
    else t.tolerationSeconds = secs;
  }
  return t;
}

export function readTolerations(r: Reader, doc: Dict): Toleration[] {
  const v = doc.tolerations;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    r.add("tolerations", `${show(v)} is not a list`, "write a list of {key, operator, value, effect} mappings");
    return [];
  }
  const out: Toleration[] = [];
  v.forEach((item, i) => {
    const field = `tolerations[${i}]`;
    if (!isDict(item)) {
      r.add(field, `${show(item)} is not a mapping`, "write {key, operator, value, effect}");
      return;
    }
    out.push(readOne(r, item, field));
  });
  return out;
}
