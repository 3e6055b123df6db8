/** The scalar fields of a code-location file: image, pull policy, code target, port. */
import { isPinned, parseImage } from "./image";
import { excerpt, show } from "./problems";
import { Dict, Reader } from "./reader";
import { didYouMean } from "./suggest";
import { CodeLocation, CodeTarget, DEFAULT_PORT, PullPolicy } from "./types";

const TARGET_KEYS = ["module", "package", "file"] as const;
const PULL_POLICIES: readonly PullPolicy[] = ["Always", "IfNotPresent", "Never"];
const PYTHON_DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
export const PYTHON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function readImage(r: Reader, doc: Dict): CodeLocation["image"] | undefined {
  const raw = doc.image;
  if (raw === undefined || raw === null) {
    r.add("image", "is missing", "set a pinned image, e.g. image: registry.example.com/team/etl:1.4.2");
    return undefined;
  }
  if (typeof raw !== "string") {
    r.add("image", `${show(raw)} is not an image reference`, "write registry/path:tag or registry/path@sha256:<digest>");
    return undefined;
  }
  const parsed = parseImage(raw);
  if (!parsed.ok) {
    r.add("image", `${excerpt(raw)} is not a valid image reference: ${parsed.reason}`, "write registry/path:tag or registry/path@sha256:<digest>");
    return undefined;
  }
  if (!isPinned(parsed.image)) {
    r.add(
      "image",
      `${excerpt(raw)} is not pinned: ${parsed.image.tag === "latest" ? "the tag is latest" : "it has no tag, which means latest"}`,
      "use an immutable tag other than latest (e.g. :1.4.2 or a git sha), or @sha256:<digest>",
    );
    return undefined;
  }
  return parsed.image;
}

export function readPullPolicy(r: Reader, doc: Dict): PullPolicy {
  const v = doc.imagePullPolicy;
  if (v === undefined || v === null) return "IfNotPresent";
  if (typeof v === "string" && (PULL_POLICIES as readonly string[]).includes(v)) return v as PullPolicy;
  const guess = typeof v === "string" ? didYouMean(v, PULL_POLICIES) : undefined;
  r.add("imagePullPolicy", `${show(v)} is not a pull policy`, guess ? `did you mean "${guess}"?` : `use one of ${PULL_POLICIES.join(", ")}`);
  return "IfNotPresent";
}

/** Exactly one of module, package, file: what `dagster api grpc` loads. */
export function readTarget(r: Reader, doc: Dict): CodeTarget | undefined {
  const present = TARGET_KEYS.filter((k) => doc[k] !== undefined && doc[k] !== null);
  if (present.length === 0) {
    r.add("module", "no code target is set", "set exactly one of module: (python module), package: (package name) or file: (python file)");
    return undefined;
  }
  if (present.length > 1) {
    r.add(present.join("+"), `${present.length} code targets are set (${present.join(", ")})`, "set exactly one of module:, package: or file:");
    return undefined;
  }
  const kind = present[0];
  const value = r.string(doc, kind, kind);
  if (value === undefined) return undefined;
  if (kind === "file") {
    if (/[\x00-\x1f\x7f]/.test(value)) {
      r.add(kind, "the path contains a control character", "use a plain file path, e.g. /app/definitions.py");
      return undefined;
    }
  } else if (!PYTHON_DOTTED.test(value)) {
    r.add(kind, `${excerpt(value)} is not a Python ${kind} name`, "use dotted identifiers, e.g. marketing_etl.definitions");
    return undefined;
  }
  return { kind, value };
}

export function readPort(r: Reader, doc: Dict): number {
  const v = doc.port;
  if (v === undefined || v === null) return DEFAULT_PORT;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) {
    r.add("port", `${show(v)} is not a TCP port`, "use an integer between 1 and 65535 (default 3030)");
    return DEFAULT_PORT;
  }
  return v;
}

export function readAttribute(r: Reader, doc: Dict): string | undefined {
  const attribute = r.string(doc, "attribute", "attribute");
  if (attribute !== undefined && !PYTHON_IDENTIFIER.test(attribute)) {
    r.add("attribute", `${excerpt(attribute)} is not a Python identifier`, "name the Definitions or repository attribute, e.g. defs");
    return undefined;
  }
  return attribute;
}

export function readWorkingDirectory(r: Reader, doc: Dict): string | undefined {
  const dir = r.string(doc, "workingDirectory", "workingDirectory");
  if (dir !== undefined && (!dir.startsWith("/") || /[\x00-\x1f\x7f]/.test(dir))) {
    r.add("workingDirectory", `${excerpt(dir)} is not an absolute path`, "use a path inside the image, e.g. /opt/dagster/app");
    return undefined;
  }
  return dir;
}
