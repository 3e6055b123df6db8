import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { InputError } from "../locations/problems";
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

/**
 * A stack name as Pulumi accepts one (letters, digits, -, _ and ., at most 100: pulumi/pulumi
 * sdk/go/common/tokens, ValidateStackName); checked before it becomes a file name, so that
 * `--stack ../x` can never open a file outside the project.
 */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** A stack or project file, parsed; a broken one is named with its line, never echoed (it may hold a secret). */
function readYamlFile(file: string): Yaml {
  try {
    return (parse(fs.readFileSync(file, "utf8"), { uniqueKeys: true }) ?? {}) as Yaml;
  } catch (e) {
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
    const code = (e as { code?: string }).code ?? (e as Error).name;
    throw new InputError(`Refusing to plan: ${path.basename(file)} cannot be read`, [
      { source: path.basename(file), field: "", message: `is not valid YAML${where} (${code})`, hint: "fix the file; its content is not shown, as it may hold secrets" },
    ]);
  }
}

export function assembleStackConfig(projectDir: string, stack: string, overrides: readonly string[], secrets: readonly string[] = []): AssembledConfig {
  if (!STACK_NAME.test(stack) || stack === "." || stack === "..") {
    throw new UsageError(`--stack ${JSON.stringify(stack.slice(0, 40))}: not a stack name (letters, digits, -, _ and ., at most 100)`);
  }
  const projectFile = readYamlFile(path.join(projectDir, "Pulumi.yaml"));
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
    const stackFile = readYamlFile(stackPath);
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
