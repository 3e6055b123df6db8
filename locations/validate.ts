import { DNS1035_LABEL, LOCATION_NAME_MAX, userCodeReleaseName } from "../chart/names";
import { isPinned, parseImage } from "./image";
import { ENV_NAME, isSubdomainName, labelValueError, parseQuantity, qualifiedNameError } from "./kubernetes";
import { Problem, show } from "./problems";
import { looksSecret } from "./secretLooking";
import { didYouMean } from "./suggest";
import { CodeLocation, CodeTarget, DEFAULT_PORT, GitMetadata, PullPolicy, ResourceRequirements, Toleration } from "./types";

/** Every key a code-location file may have. */
export const LOCATION_KEYS = [
  "image", "imagePullPolicy", "module", "package", "file", "attribute", "workingDirectory", "port",
  "codeServer", "env", "secrets", "configMaps", "resources", "runResources", "nodeSelector", "tolerations", "labels",
  "annotations", "includeConfigInLaunchedRuns", "git",
] as const;

const TARGET_KEYS = ["module", "package", "file"] as const;
const PULL_POLICIES: readonly PullPolicy[] = ["Always", "IfNotPresent", "Never"];
const RESOURCE_KEYS = ["requests", "limits"];
const TOLERATION_KEYS = ["key", "operator", "value", "effect", "tolerationSeconds"];
const GIT_KEYS = ["sha", "branch", "repository"];
const PYTHON_DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const PYTHON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const GIT_SHA = /^[0-9a-f]{7,40}$/;

/** Labels and annotations the chart writes itself: a second copy would break its YAML or selectors. */
const CHART_LABELS = new Set([
  "component", "deployment", "app.kubernetes.io/name", "app.kubernetes.io/instance",
  "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart",
]);
const CHART_ANNOTATIONS = new Set(["checksum/dagster-user-deployment"]);

export interface ValidationContext {
  /** Env keys the platform sets on every location; a file may not set them. */
  reservedEnv: ReadonlySet<string>;
  /** Env key prefixes the platform owns. */
  reservedEnvPrefixes: readonly string[];
  /** Service names the system release creates in the namespace. */
  reservedServiceNames: ReadonlySet<string>;
}

/** Checks a location name (from its file name) against the Kubernetes and Helm names derived from it. */
export function nameProblems(name: string, file: string, ctx: ValidationContext): Problem[] {
  const problems: Problem[] = [];
  const at = (message: string, hint: string) => problems.push({ source: file, field: "(file name)", message, hint });
  if (!DNS1035_LABEL.test(name)) {
    const suggestion = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "");
    at(
      `the location name "${name}" is not a Kubernetes DNS-1035 label: it names the location's Service`,
      `use lowercase letters, digits and "-", starting with a letter and ending alphanumeric${suggestion ? `, e.g. "${suggestion}.yaml"` : ""}`,
    );
  }
  if (name.length > LOCATION_NAME_MAX) {
    at(
      `the location name "${name}" is ${name.length} characters; at most ${LOCATION_NAME_MAX} fit`,
      `its Helm release "${userCodeReleaseName(name)}" must fit Helm's 53-character release-name limit, so ${LOCATION_NAME_MAX} is the most; shorten the file name`,
    );
  }
  if (ctx.reservedServiceNames.has(name)) {
    at(`the location name "${name}" is the name of a Service the Dagster system release creates`, "rename the file");
  }
  return problems;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

/** Collects problems against one file while reading typed fields out of it. */
class Reader {
  readonly problems: Problem[] = [];
  constructor(readonly file: string) {}

  add(field: string, message: string, hint?: string): void {
    this.problems.push({ source: this.file, field, message, hint });
  }

  unknownKeys(obj: Dict, known: readonly string[], prefix: string, extraHint?: (key: string) => string | undefined): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const guess = didYouMean(key, known);
      const special = extraHint?.(key);
      this.add(
        prefix + key,
        `unknown key "${key}"`,
        special ?? (guess ? `did you mean "${guess}"?` : `known keys: ${known.join(", ")}`),
      );
    }
  }

  string(obj: Dict, key: string, field: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v === "") {
      this.add(field, `${show(v)} is not a non-empty string`, "write it as text, quoted if needed");
      return undefined;
    }
    return v;
  }

  boolean(obj: Dict, key: string, field: string, fallback: boolean): boolean {
    const v = obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") {
      this.add(field, `${show(v)} is not a boolean`, "use true or false");
      return fallback;
    }
    return v;
  }

  stringMap(obj: Dict, key: string, field: string, checkKey: (k: string) => string | undefined, checkValue?: (v: string) => string | undefined): Record<string, string> {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    if (!isDict(v)) {
      this.add(field, `${show(v)} is not a mapping`, "write key: value pairs");
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, value] of Object.entries(v)) {
      const keyError = checkKey(k);
      if (keyError) this.add(`${field}.${k}`, keyError.startsWith("the ") ? `the key "${k}" is invalid: ${keyError}` : keyError);
      if (typeof value !== "string") {
        const quoted = value === null || isDict(value) || Array.isArray(value) ? undefined : `quote it: "${String(value)}"`;
        this.add(`${field}.${k}`, `${show(value)} is a ${value === null ? "null" : Array.isArray(value) ? "list" : typeof value}, not a string`, quoted ?? "values must be strings");
        continue;
      }
      const valueError = checkValue?.(value);
      if (valueError) this.add(`${field}.${k}`, `${show(value)}: ${valueError}`);
      out[k] = value;
    }
    return sortKeys(out);
  }

  nameList(obj: Dict, key: string, field: string, what: string): string[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.add(field, `${show(v)} is not a list`, `write a list of ${what} names, e.g. [my-${what.replace(/ /g, "-")}]`);
      return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== "string" || !isSubdomainName(item)) {
        this.add(`${field}[${i}]`, `${show(item)} is not a Kubernetes ${what} name`, "use lowercase letters, digits, \"-\" and \".\", at most 253 characters");
      } else if (out.includes(item)) {
        this.add(`${field}[${i}]`, `"${item}" is listed twice`, "list each name once");
      } else {
        out.push(item);
      }
    });
    return out;
  }
}

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Validates one parsed code-location document. Returns the normalised location, or undefined
 * with the problems when anything is wrong.
 */
export function validateLocation(
  name: string,
  file: string,
  doc: unknown,
  ctx: ValidationContext,
): { location?: CodeLocation; problems: Problem[] } {
  const r = new Reader(file);
  r.problems.push(...nameProblems(name, file, ctx));
  if (doc === null || doc === undefined) {
    r.add("", "the file is empty", "a code location needs at least image: and one of module:, package: or file:");
    return { problems: r.problems };
  }
  if (!isDict(doc)) {
    r.add("", `the file holds ${show(doc)}, not a mapping`, "write key: value pairs such as image: and module:");
    return { problems: r.problems };
  }

  r.unknownKeys(doc, LOCATION_KEYS, "", (key) =>
    key === "name" ? "the location name is the file name; rename the file instead" : undefined,
  );

  // image
  let image: CodeLocation["image"] | undefined;
  const rawImage = doc.image;
  if (rawImage === undefined || rawImage === null) {
    r.add("image", "is missing", "set a pinned image, e.g. image: registry.example.com/team/etl:1.4.2");
  } else if (typeof rawImage !== "string") {
    r.add("image", `${show(rawImage)} is not an image reference`, "write registry/path:tag or registry/path@sha256:<digest>");
  } else {
    const parsed = parseImage(rawImage);
    if (!parsed.ok) {
      r.add("image", `"${rawImage}" is not a valid image reference: ${parsed.reason}`, "write registry/path:tag or registry/path@sha256:<digest>");
    } else if (!isPinned(parsed.image)) {
      r.add(
        "image",
        `"${rawImage}" is not pinned: ${parsed.image.tag === "latest" ? "the tag is latest" : "it has no tag, which means latest"}`,
        "use an immutable tag other than latest (e.g. :1.4.2 or a git sha), or @sha256:<digest>",
      );
    } else {
      image = parsed.image;
    }
  }

  const imagePullPolicy = readPullPolicy(r, doc);

  // target
  const present = TARGET_KEYS.filter((k) => doc[k] !== undefined && doc[k] !== null);
  let target: CodeTarget | undefined;
  if (present.length === 0) {
    r.add("module", "no code target is set", "set exactly one of module: (python module), package: (package name) or file: (python file)");
  } else if (present.length > 1) {
    r.add(present.join("+"), `${present.length} code targets are set (${present.join(", ")})`, "set exactly one of module:, package: or file:");
  } else {
    const kind = present[0];
    const value = r.string(doc, kind, kind);
    if (value !== undefined) {
      if (kind !== "file" && !PYTHON_DOTTED.test(value)) {
        r.add(kind, `"${value}" is not a Python ${kind} name`, "use dotted identifiers, e.g. marketing_etl.definitions");
      } else if (kind === "file" && /[\n\r\0]/.test(value)) {
        r.add(kind, "the path contains a control character", "use a plain file path, e.g. /app/definitions.py");
      } else {
        target = { kind, value } as CodeTarget;
      }
    }
  }
  const attribute = r.string(doc, "attribute", "attribute");
  if (attribute !== undefined && !PYTHON_IDENTIFIER.test(attribute)) {
    r.add("attribute", `"${attribute}" is not a Python identifier`, "name the Definitions or repository attribute, e.g. defs");
  }
  const workingDirectory = r.string(doc, "workingDirectory", "workingDirectory");
  if (workingDirectory !== undefined && !workingDirectory.startsWith("/")) {
    r.add("workingDirectory", `"${workingDirectory}" is not an absolute path`, "use a path inside the image, e.g. /opt/dagster/app");
  }

  const port = readPort(r, doc);
  const codeServer = r.boolean(doc, "codeServer", "codeServer", false);
  const includeConfigInLaunchedRuns = r.boolean(doc, "includeConfigInLaunchedRuns", "includeConfigInLaunchedRuns", true);

  const env = r.stringMap(doc, "env", "env", (k) => {
    if (!ENV_NAME.test(k)) return `"${k}" is not an environment variable name; use letters, digits and _, not starting with a digit`;
    if (ctx.reservedEnv.has(k) || ctx.reservedEnvPrefixes.some((p) => k.startsWith(p))) {
      return `"${k}" is set by the platform for every location; remove it`;
    }
    if (looksSecret(k)) return `"${k}" looks like a secret, and env values land in a ConfigMap and in git; put it in a Kubernetes Secret and list it under secrets:`;
    return undefined;
  });
  const secrets = r.nameList(doc, "secrets", "secrets", "Secret");
  const configMaps = r.nameList(doc, "configMaps", "configMaps", "ConfigMap");
  const resources = readResources(r, doc, "resources");
  const runResources = readResources(r, doc, "runResources");
  const nodeSelector = r.stringMap(doc, "nodeSelector", "nodeSelector", qualifiedNameError, labelValueError);
  const tolerations = readTolerations(r, doc);
  const labels = r.stringMap(
    doc, "labels", "labels",
    (k) => qualifiedNameError(k) ?? (CHART_LABELS.has(k) ? `"${k}" is set by the chart itself; choose another label key` : undefined),
    labelValueError,
  );
  const annotations = r.stringMap(
    doc, "annotations", "annotations",
    (k) => qualifiedNameError(k) ?? (CHART_ANNOTATIONS.has(k) ? `"${k}" is set by the chart itself` : undefined),
  );
  const git = readGit(r, doc);

  if (r.problems.length > 0 || !image || !target) return { problems: r.problems };
  const location: CodeLocation = {
    name, file, image, imagePullPolicy, target, port, codeServer, env, secrets, configMaps,
    nodeSelector, tolerations, labels, annotations, includeConfigInLaunchedRuns,
  };
  if (attribute !== undefined) location.attribute = attribute;
  if (workingDirectory !== undefined) location.workingDirectory = workingDirectory;
  if (resources !== undefined) location.resources = resources;
  if (runResources !== undefined) location.runResources = runResources;
  if (git !== undefined) location.git = git;
  return { location, problems: [] };
}

function readPullPolicy(r: Reader, doc: Dict): PullPolicy {
  const v = doc.imagePullPolicy;
  if (v === undefined || v === null) return "IfNotPresent";
  if (typeof v === "string" && (PULL_POLICIES as readonly string[]).includes(v)) return v as PullPolicy;
  const guess = typeof v === "string" ? didYouMean(v, PULL_POLICIES) : undefined;
  r.add("imagePullPolicy", `${show(v)} is not a pull policy`, guess ? `did you mean "${guess}"?` : `use one of ${PULL_POLICIES.join(", ")}`);
  return "IfNotPresent";
}

function readPort(r: Reader, doc: Dict): number {
  const v = doc.port;
  if (v === undefined || v === null) return DEFAULT_PORT;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) {
    r.add("port", `${show(v)} is not a TCP port`, "use an integer between 1 and 65535 (default 3030)");
    return DEFAULT_PORT;
  }
  return v;
}

/** `resources` (the code server's) or `runResources` (each run's): the same shape and checks. */
function readResources(r: Reader, doc: Dict, key: "resources" | "runResources"): ResourceRequirements | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (!isDict(v)) {
    r.add(key, `${show(v)} is not a mapping`, "write requests: and limits: mappings, e.g. {requests: {cpu: 250m, memory: 512Mi}}");
    return undefined;
  }
  r.unknownKeys(v, RESOURCE_KEYS, `${key}.`);
  const out: ResourceRequirements = {};
  for (const kind of RESOURCE_KEYS as ("requests" | "limits")[]) {
    const section = v[kind];
    if (section === undefined || section === null) continue;
    if (!isDict(section)) {
      r.add(`${key}.${kind}`, `${show(section)} is not a mapping`, "write resource: quantity pairs, e.g. cpu: 250m");
      continue;
    }
    const values: Record<string, string> = {};
    for (const [res, q] of Object.entries(section)) {
      const field = `${key}.${kind}.${res}`;
      if (!["cpu", "memory", "ephemeral-storage"].includes(res) && !res.includes("/")) {
        const guess = didYouMean(res, ["cpu", "memory", "ephemeral-storage"]);
        r.add(field, `unknown resource "${res}"`, guess ? `did you mean "${guess}"?` : "use cpu, memory, ephemeral-storage or an extended resource such as nvidia.com/gpu");
        continue;
      }
      const text = typeof q === "number" ? String(q) : q;
      if (typeof text !== "string" || parseQuantity(text) === undefined || (parseQuantity(text) ?? 0) < 0) {
        r.add(field, `${show(q)} is not a Kubernetes quantity`, res === "cpu" ? "e.g. 250m or 1" : "e.g. 512Mi or 2Gi");
        continue;
      }
      values[res] = text;
    }
    out[kind] = sortKeys(values);
  }
  for (const res of Object.keys(out.limits ?? {})) {
    const req = out.requests?.[res];
    const lim = out.limits?.[res];
    if (req !== undefined && lim !== undefined && (parseQuantity(req) ?? 0) > (parseQuantity(lim) ?? 0)) {
      r.add(`${key}.requests.${res}`, `the request ${req} is larger than the limit ${lim}`, "Kubernetes rejects such a pod; raise the limit or lower the request");
    }
  }
  return out;
}

function readTolerations(r: Reader, doc: Dict): Toleration[] {
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
    r.unknownKeys(item, TOLERATION_KEYS, `${field}.`);
    const t: Toleration = {};
    const before = r.problems.length;
    const key = r.string(item, "key", `${field}.key`);
    if (key !== undefined) t.key = key;
    const op = item.operator;
    if (op !== undefined && op !== "Exists" && op !== "Equal") r.add(`${field}.operator`, `${show(op)} is not Exists or Equal`, "use Exists or Equal");
    else if (op !== undefined) t.operator = op;
    const value = r.string(item, "value", `${field}.value`);
    if (value !== undefined) {
      if (t.operator === "Exists") r.add(`${field}.value`, "a value makes no sense with operator Exists", "drop value or use operator Equal");
      t.value = value;
    }
    const effect = item.effect;
    if (effect !== undefined && effect !== "NoSchedule" && effect !== "PreferNoSchedule" && effect !== "NoExecute") {
      r.add(`${field}.effect`, `${show(effect)} is not a taint effect`, "use NoSchedule, PreferNoSchedule or NoExecute");
    } else if (effect !== undefined) t.effect = effect;
    const secs = item.tolerationSeconds;
    if (secs !== undefined) {
      if (typeof secs !== "number" || !Number.isInteger(secs) || secs < 0) r.add(`${field}.tolerationSeconds`, `${show(secs)} is not a whole number of seconds`);
      else if (t.effect !== "NoExecute") r.add(`${field}.tolerationSeconds`, "only applies with effect NoExecute", "set effect: NoExecute or drop it");
      else t.tolerationSeconds = secs;
    }
    if (r.problems.length === before) out.push(t);
  });
  return out;
}

function readGit(r: Reader, doc: Dict): GitMetadata | undefined {
  const v = doc.git;
  if (v === undefined || v === null) return undefined;
  if (!isDict(v)) {
    r.add("git", `${show(v)} is not a mapping`, "write {sha, branch, repository}");
    return undefined;
  }
  r.unknownKeys(v, GIT_KEYS, "git.");
  const git: GitMetadata = {};
  const sha = r.string(v, "sha", "git.sha");
  if (sha !== undefined && !GIT_SHA.test(sha)) r.add("git.sha", `"${sha}" is not a git commit sha`, "7 to 40 lowercase hex characters");
  else if (sha !== undefined) git.sha = sha;
  const branch = r.string(v, "branch", "git.branch");
  if (branch !== undefined) git.branch = branch;
  const repository = r.string(v, "repository", "git.repository");
  if (repository !== undefined) git.repository = repository;
  return git;
}
