import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { UsageError } from "./usage";

/**
 * Stack configuration the way the Pulumi CLI assembles it, without the CLI: project defaults
 * from Pulumi.yaml, then Pulumi.<stack>.yaml, then `key=value` overrides written as for
 * `pulumi config set` (`key` means `dagster-platform:key`; `ns:key` is taken as is). A value is a
 * secret exactly when Pulumi would hold it as one: `secure:` in the stack file, or given as a
 * secret override (`pulumi config set --secret`). So a secret key committed in plain text is
 * refused by the plan, as by the real program.
 */
export interface AssembledConfig {
  project: string;
  values: Record<string, string>;
  secretKeys: string[];
  /** Keys whose value in the stack file is encrypted (`secure:`): planned as placeholders. */
  encrypted: string[];
}

type Yaml = Record<string, unknown>;

function qualify(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function asConfigString(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** `key=value` → [key, value]; anything else is a usage error. */
export function parseOverride(flag: string, text: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`${flag} ${JSON.stringify(text)}: write key=value, e.g. ${flag} commitSha=0123abc`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

export function assembleStackConfig(projectDir: string, stack: string, overrides: readonly string[], secrets: readonly string[] = []): AssembledConfig {
  const projectFile = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as Yaml;
  const project = String(projectFile.name);
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const encrypted: string[] = [];

  const projectConfig = (projectFile.config ?? {}) as Yaml;
  for (const [key, decl] of Object.entries(projectConfig)) {
    const full = qualify(project, key);
    if (decl !== null && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as Yaml;
      if ("default" in d) values[full] = asConfigString(d.default);
      else if ("value" in d) values[full] = asConfigString(d.value);
    } else if (decl !== undefined && decl !== null) {
      values[full] = asConfigString(decl);
    }
  }

  const stackPath = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (fs.existsSync(stackPath)) {
    const stackFile = (parse(fs.readFileSync(stackPath, "utf8")) ?? {}) as Yaml;
    for (const [key, v] of Object.entries((stackFile.config ?? {}) as Yaml)) {
      const full = qualify(project, key);
      if (v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in (v as Yaml)) {
        const bare = full.slice(full.indexOf(":") + 1);
        values[full] = `plan-placeholder:${bare}`;
        secretKeys.add(full);
        encrypted.push(full);
      } else {
        values[full] = asConfigString(v);
      }
    }
  }

  for (const o of overrides) {
    const [key, value] = parseOverride("--config", o);
    const full = qualify(project, key);
    values[full] = value;
    secretKeys.delete(full);
  }
  for (const o of secrets) {
    const [key, value] = parseOverride("--secret", o);
    const full = qualify(project, key);
    values[full] = value;
    secretKeys.add(full);
  }
  return { project, values, secretKeys: [...secretKeys].sort(), encrypted: encrypted.sort() };
}
