import * as pulumi from "@pulumi/pulumi";
import { Problem, excerpt } from "../locations/problems";
import { didYouMean } from "../locations/suggest";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigKey, KeySpec, SECRET_CONFIG_KEYS } from "./keys";
import { RawConfig } from "./types";

/** The value the offline plan uses for an unset secret. Always a Pulumi secret, so never printed. */
export const SECRET_PLACEHOLDER_PREFIX = "plan-placeholder:";

/**
 * Whether Pulumi holds a config value as a secret. The SDK knows (the engine passes the secret
 * keys to the program) but exports the check as internal, so it is looked up defensively; an SDK
 * without it disables the plain-text check rather than breaking the program.
 */
function isConfigSecret(key: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const internal = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  return internal.isConfigSecret ? internal.isConfigSecret(key) : true;
}

/** Reads the raw configuration of the running Pulumi program (real or mocked). */
export function readRawConfig(projectDir = process.cwd()): RawConfig {
  const values = pulumi.runtime.allConfig();
  return {
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    values,
    secretKeys: new Set(Object.keys(values).filter(isConfigSecret)),
    projectDir,
  };
}

/** Typed access to the namespace's keys, collecting every problem instead of throwing. */
export class ConfigReader {
  readonly problems: Problem[] = [];
  readonly source: string;
  /** Secret keys planned with a placeholder because they are not set (offline plans only). */
  readonly placeholders: string[] = [];

  constructor(readonly raw: RawConfig) {
    this.source = `stack ${raw.stack} config`;
    this.checkUnknownKeys();
    this.checkPlainTextSecrets();
  }

  private fq(key: ConfigKey): string {
    return `${CONFIG_NAMESPACE}:${key}`;
  }

  problem(key: string, message: string, hint?: string): void {
    this.problems.push({ source: this.source, field: key.includes(":") || key.startsWith("(") ? key : `${CONFIG_NAMESPACE}:${key}`, message, hint });
  }

  isSet(key: ConfigKey): boolean {
    return this.raw.values[this.fq(key)] !== undefined;
  }

  private checkUnknownKeys(): void {
    const known = Object.keys(CONFIG_KEYS);
    for (const full of Object.keys(this.raw.values)) {
      if (!full.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
      const key = full.slice(CONFIG_NAMESPACE.length + 1);
      if (known.includes(key)) continue;
      const guess = didYouMean(key, known);
      this.problem(full, `unknown config key ${excerpt(key)}`, guess ? `did you mean "${guess}"?` : "see docs/configuration.md for the keys");
    }
  }

  private checkPlainTextSecrets(): void {
    for (const key of SECRET_CONFIG_KEYS) {
      if (this.isSet(key) && !this.raw.secretKeys.has(this.fq(key))) {
        this.problem(key, "is stored in plain text", `set it with: pulumi config set --secret ${key} <value>`);
      }
    }
  }

  string(key: ConfigKey): string | undefined {
    const spec = CONFIG_KEYS[key] as KeySpec;
    const v = this.raw.values[this.fq(key)];
    if (v === undefined) return spec.type === "string" ? spec.default : undefined;
    return v;
  }

  required(key: ConfigKey, why: string): string | undefined {
    const v = this.string(key);
    if (v === undefined || v === "") this.problem(key, `is not set, and ${why}`, `pulumi config set ${key} <value>`);
    return v === "" ? undefined : v;
  }

  secret(key: ConfigKey): pulumi.Output<string> | undefined {
    const v = this.raw.values[this.fq(key)];
    return v === undefined || v === "" ? undefined : pulumi.secret(v);
  }

  requiredSecret(key: ConfigKey, why: string): pulumi.Output<string> | undefined {
    const v = this.secret(key);
    if (v) return v;
    if (this.raw.secretPlaceholders) {
      this.placeholders.push(key);
      return pulumi.secret(`${SECRET_PLACEHOLDER_PREFIX}${key}`);
    }
    this.problem(key, `is not set, and ${why}`, `pulumi config set --secret ${key} <value>`);
    return undefined;
  }

  /**
   * A required secret's text, to parse and validate it (branch-safe values are JSON); whatever the
   * program keeps of it must be wrapped in pulumi.secret again. An offline plan without the value
   * (unset, or encrypted in the stack file) gets `placeholder` and reports it.
   */
  secretText(key: ConfigKey, why: string): { text: string } | { placeholder: true } | undefined {
    const v = this.raw.values[this.fq(key)];
    const missing = v === undefined || v === "";
    if (this.raw.secretPlaceholders && (missing || v.startsWith(SECRET_PLACEHOLDER_PREFIX))) {
      this.placeholders.push(key);
      return { placeholder: true };
    }
    if (!missing) return { text: v };
    this.problem(key, `is not set, and ${why}`, `pulumi config set --secret ${key} <value>`);
    return undefined;
  }

  int(key: ConfigKey): number {
    const spec = CONFIG_KEYS[key] as Extract<KeySpec, { type: "int" }>;
    const v = this.raw.values[this.fq(key)];
    const fallback = spec.default ?? spec.min;
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || n < spec.min || n > spec.max) {
      this.problem(key, `${excerpt(v)} is not a whole number between ${spec.min} and ${spec.max}`);
      return fallback;
    }
    return n;
  }

  bool(key: ConfigKey): boolean {
    const spec = CONFIG_KEYS[key] as Extract<KeySpec, { type: "bool" }>;
    const v = this.raw.values[this.fq(key)];
    if (v === undefined) return spec.default;
    if (v === "true" || v === "false") return v === "true";
    this.problem(key, `${excerpt(v)} is not a boolean`, "use true or false");
    return spec.default;
  }

  enumValue<T extends string>(key: ConfigKey): T {
    const spec = CONFIG_KEYS[key] as Extract<KeySpec, { type: "enum" }>;
    const v = this.raw.values[this.fq(key)];
    if (v === undefined) return spec.default as T;
    if (spec.values.includes(v)) return v as T;
    const guess = didYouMean(v, spec.values);
    this.problem(key, `${excerpt(v)} is not one of ${spec.values.join(", ")}`, guess ? `did you mean "${guess}"?` : undefined);
    return spec.default as T;
  }

  /** A provider's key (`gcp:project`), read as is. */
  providerValue(fullKey: string): string | undefined {
    return this.raw.values[fullKey];
  }
}
