/** A location's env, labels, annotations and node selector: names, values and sizes Kubernetes accepts. */
import { ANNOTATIONS_TOTAL_MAX, ENV_NAME, annotationsSize, labelValueError, qualifiedNameError, reservedPrefixError } from "./kubernetes";
import { excerpt, fieldKey } from "./problems";
import { Dict, Reader } from "./reader";
import { looksSecret } from "./secretLooking";

/** Labels and annotations the chart writes itself: a second copy would break its YAML or selectors. */
const CHART_LABELS = new Set([
  // The chart's app.kubernetes.io/* labels are refused before this check, as Kubernetes' own prefix.
  "component", "deployment", "helm.sh/chart",
]);
const CHART_ANNOTATIONS = new Set(["checksum/dagster-user-deployment"]);

/**
 * The env lands in the release's ConfigMap `<release>-<name>-user-env`, whose data may hold at
 * most 1 MiB (ValidateConfigMap, core.MaxSecretSize); the platform adds its own variables (under
 * 4 KiB), so a file's env may use the rest.
 */
export const ENV_TOTAL_MAX = 1024 * 1024 - 4 * 1024;
/**
 * Linux refuses to start a process with one environment string (`NAME=value`) longer than
 * MAX_ARG_STRLEN, 32 pages of 4 KiB (include/uapi/linux/binfmts.h): the container would not start.
 */
export const ENV_ENTRY_MAX = 32 * 4096 - 1;

export interface EnvRules {
  reserved: ReadonlySet<string>;
  reservedPrefixes: readonly string[];
}

function envKeyProblem(k: string, rules: EnvRules): string | undefined {
  if (!ENV_NAME.test(k)) return `${excerpt(k)} is not an environment variable name; use letters, digits and _, not starting with a digit`;
  if (rules.reserved.has(k) || rules.reservedPrefixes.some((p) => k.startsWith(p))) return `"${k}" is set by the platform for every location; remove it`;
  if (looksSecret(k)) return `"${k}" looks like a secret, and env values land in a ConfigMap and in git; put it in a Kubernetes Secret and list it under secrets:`;
  return undefined;
}

export function readEnv(r: Reader, doc: Dict, rules: EnvRules): Record<string, string> {
  const env = r.stringMap(doc, "env", "env", (k) => envKeyProblem(k, rules));
  let total = 0;
  for (const [k, v] of Object.entries(env)) {
    const entry = Buffer.byteLength(k) + 1 + Buffer.byteLength(v);
    total += Buffer.byteLength(k) + Buffer.byteLength(v);
    if (entry > ENV_ENTRY_MAX) r.add(`env.${fieldKey(k)}`, `is ${entry.toLocaleString("en-US")} bytes with its name; Linux starts no process with an environment string over 128 KiB`, "put large data in a ConfigMap mounted as a file, or in the image");
  }
  if (total > ENV_TOTAL_MAX) r.add("env", `holds ${total.toLocaleString("en-US")} bytes; its ConfigMap may hold at most 1 MiB (1,048,576 bytes) with the platform's variables`, "move large values into the image or a ConfigMap of their own (configMaps:)");
  return env;
}

export function readLabels(r: Reader, doc: Dict): Record<string, string> {
  return r.stringMap(
    doc, "labels", "labels",
    (k) => qualifiedNameError(k) ?? reservedPrefixError(k) ?? (CHART_LABELS.has(k) ? `"${k}" is set by the chart itself; choose another label key` : undefined),
    labelValueError,
  );
}

export function readAnnotations(r: Reader, doc: Dict): Record<string, string> {
  const annotations = r.stringMap(
    doc, "annotations", "annotations",
    (k) => qualifiedNameError(k) ?? reservedPrefixError(k) ?? (CHART_ANNOTATIONS.has(k) ? `"${k}" is set by the chart itself` : undefined),
  );
  const size = annotationsSize(annotations);
  if (size > ANNOTATIONS_TOTAL_MAX) {
    r.add("annotations", `hold ${size.toLocaleString("en-US")} bytes; Kubernetes allows at most 256 KiB (262,144 bytes) of annotations on an object`, "keep large data out of annotations (a ConfigMap, or the image)");
  }
  return annotations;
}

/** Node selector keys may well be Kubernetes' own (kubernetes.io/arch): only their form is checked. */
export function readNodeSelector(r: Reader, doc: Dict): Record<string, string> {
  return r.stringMap(doc, "nodeSelector", "nodeSelector", qualifiedNameError, labelValueError);
}
