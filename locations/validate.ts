import { DNS1035_LABEL, LOCATION_NAME_MAX } from "../chart/names";
import { readAttribute, readImage, readPort, readPullPolicy, readTarget, readWorkingDirectory } from "./fields";
import { readGit } from "./git";
import { isSubdomainName } from "./kubernetes";
import { readAnnotations, readEnv, readLabels, readNodeSelector } from "./metadata";
import { Problem, show } from "./problems";
import { Reader, isDict } from "./reader";
import { readResources } from "./resources";
import { readTolerations } from "./tolerations";
import { CodeLocation } from "./types";

/** Every key a code-location file may have. */
export const LOCATION_KEYS = [
  "image", "imagePullPolicy", "module", "package", "file", "attribute", "workingDirectory", "port",
  "codeServer", "env", "secrets", "configMaps", "resources", "runResources", "nodeSelector", "tolerations", "labels",
  "annotations", "includeConfigInLaunchedRuns", "git",
] as const;

export interface ValidationContext {
  /** Env keys the platform sets on every location; a file may not set them. */
  reservedEnv: ReadonlySet<string>;
  /** Env key prefixes the platform owns. */
  reservedEnvPrefixes: readonly string[];
  /** Service names the system release and the program create in the namespace. */
  reservedServiceNames: ReadonlySet<string>;
}

/** Checks a location name (from its file name) against the Kubernetes and Helm names derived from it. */
export function nameProblems(name: string, file: string, ctx: ValidationContext): Problem[] {
  const problems: Problem[] = [];
  const at = (message: string, hint: string) => problems.push({ source: file, field: "(file name)", message, hint });
  const shown = show(name);
  if (!DNS1035_LABEL.test(name)) {
    const suggestion = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "").slice(0, LOCATION_NAME_MAX);
    at(
      `the location name ${shown} is not a Kubernetes DNS-1035 label: it names the location's Service`,
      `use lowercase letters, digits and "-", starting with a letter and ending alphanumeric${suggestion ? `, e.g. "${suggestion}.yaml"` : ""}`,
    );
  }
  if (name.length > LOCATION_NAME_MAX) {
    at(
      `the location name ${shown} is ${name.length} characters; at most ${LOCATION_NAME_MAX} fit`,
      `its Helm release "code-<name>" must fit Helm's 53-character release-name limit, so ${LOCATION_NAME_MAX} is the most; shorten the file name`,
    );
  }
  if (ctx.reservedServiceNames.has(name)) {
    at(`the location name "${name}" is the name of a Service the platform creates in the namespace; the location's own Service would collide with it`, "rename the file");
  }
  return problems;
}

/**
 * Validates one parsed code-location document. Returns the normalised location, or undefined
 * with the problems when anything is wrong.
 */
export function validateLocation(name: string, file: string, doc: unknown, ctx: ValidationContext): { location?: CodeLocation; problems: Problem[] } {
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
  r.unknownKeys(doc, LOCATION_KEYS, "", (key) => (key === "name" ? "the location name is the file name; rename the file instead" : undefined));
  const image = readImage(r, doc);
  const target = readTarget(r, doc);
  const location = {
    name, file, image, target,
    imagePullPolicy: readPullPolicy(r, doc),
    attribute: readAttribute(r, doc),
    workingDirectory: readWorkingDirectory(r, doc),
    port: readPort(r, doc),
    codeServer: r.boolean(doc, "codeServer", "codeServer", false),
    includeConfigInLaunchedRuns: r.boolean(doc, "includeConfigInLaunchedRuns", "includeConfigInLaunchedRuns", true),
    env: readEnv(r, doc, { reserved: ctx.reservedEnv, reservedPrefixes: ctx.reservedEnvPrefixes }),
    secrets: r.nameList(doc, "secrets", "secrets", "Secret", isSubdomainName),
    configMaps: r.nameList(doc, "configMaps", "configMaps", "ConfigMap", isSubdomainName),
    resources: readResources(r, doc, "resources"),
    runResources: readResources(r, doc, "runResources"),
    nodeSelector: readNodeSelector(r, doc),
    tolerations: readTolerations(r, doc),
    labels: readLabels(r, doc),
    annotations: readAnnotations(r, doc),
    git: readGit(r, doc),
  };
  if (r.problems.length > 0 || !image || !target) return { problems: r.problems };
  return { location: withoutUnset({ ...location, image, target }), problems: [] };
}

/** Optional fields that are unset are left out, not written as undefined. */
function withoutUnset(l: CodeLocation): CodeLocation {
  const out = { ...l };
  for (const k of ["attribute", "workingDirectory", "resources", "runResources", "git"] as const) if (out[k] === undefined) delete out[k];
  return out;
}
