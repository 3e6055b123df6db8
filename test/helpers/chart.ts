/**
 * What `helm install` does with values before a single template renders: coalesce them over the
 * chart's defaults, validate the result against values.schema.json, and the `fail` calls the
 * templates make on bad combinations. Offline: the schemas' remote Kubernetes `$ref`s are stubbed.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv, { AnySchema, ErrorObject } from "ajv";
import { parse } from "yaml";

const FIXTURES = path.join(__dirname, "..", "fixtures", "dagster-chart");
type Values = Record<string, unknown>;
const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/** Helm's coalesceValues: user values win, maps merge, lists replace, an explicit null deletes the key. */
export function helmCoalesce(defaults: Values, overrides: Values): Values {
  const out: Values = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = helmCoalesce(out[key] as Values, value);
    else out[key] = value;
  }
  return out;
}

export function readFixture(name: string): Values {
  const text = fs.readFileSync(path.join(FIXTURES, name), "utf8");
  return (name.endsWith(".json") ? JSON.parse(text) : parse(text)) as Values;
}

/** Every remote `$ref` in a schema, as the document URL and the JSON pointer inside it. */
function remoteRefs(schema: unknown, found = new Map<string, Set<string>>()): Map<string, Set<string>> {
  if (Array.isArray(schema)) schema.forEach((s) => remoteRefs(s, found));
  else if (isMap(schema)) {
    for (const [k, v] of Object.entries(schema)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith("http")) {
        const [url, pointer = ""] = v.split("#");
        if (!found.has(url)) found.set(url, new Set());
        found.get(url)?.add(pointer);
      } else remoteRefs(v, found);
    }
  }
  return found;
}

/** A stand-in for a remote document: an empty schema at every pointer the chart's schema uses. */
function stubDocument(url: string, pointers: Set<string>): Values {
  const doc: Values = { $id: url };
  for (const pointer of pointers) {
    let node = doc;
    for (const part of pointer.split("/").filter(Boolean)) {
      if (!isMap(node[part])) node[part] = {};
      node = node[part] as Values;
    }
  }
  return doc;
}

export function validatorFor(schemaFile: string): (values: Values) => ErrorObject[] {
  const schema = readFixture(schemaFile);
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const [url, pointers] of remoteRefs(schema)) ajv.addSchema(stubDocument(url, pointers) as AnySchema, url);
  const validate = ajv.compile(schema as AnySchema);
  return (values) => (validate(values) ? [] : [...(validate.errors ?? [])]);
}

export function describeErrors(errors: ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`).join("\n");
}

/** The `fail` conditions of the dagster chart's templates (configmap-workspace.yaml). */
export function systemTemplateFailures(values: Values): string[] {
  const failures: string[] = [];
  const ud = (values["dagster-user-deployments"] ?? {}) as Values;
  if (!ud.enabled && ud.enableSubchart) failures.push("dagster-user-deployments subchart cannot be enabled if workspace.yaml is not created.");
  const workspace = (((values.dagsterWebserver ?? {}) as Values).workspace ?? {}) as Values;
  const servers = Array.isArray(workspace.servers) && workspace.servers.length > 0;
  if (ud.enabled && workspace.enabled && servers && workspace.externalConfigmap) failures.push("workspace.servers and workspace.externalConfigmap cannot both be set.");
  return failures;
}

/** Names a user-code release makes Kubernetes (and Helm) validate. */
export function userCodeNameFailures(releaseName: string, values: Values): string[] {
  const failures: string[] = [];
  if (releaseName.length > 53 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(releaseName)) failures.push(`release name ${releaseName} is not a Helm release name`);
  for (const d of (values.deployments ?? []) as Values[]) {
    const name = String(d.name);
    if (name.length > 63 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) failures.push(`Service ${name} is not a DNS-1035 label`);
  }
  return failures;
}
