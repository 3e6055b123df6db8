/**
 * The Kubernetes API server's CEL implementation (cel-go, the version tools/cel-eval/go.mod pins),
 * built from its Go module on first use into the cache and reused while the source is unchanged.
 * `evaluateAdmissions` runs admission policies' expressions on it (tools/cel-eval/main.go).
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "./cache";

const SOURCE = path.join(__dirname, "cel-eval");

export interface AdmissionInput {
  matchConditions: string[];
  variables: { name: string; expression: string }[];
  validations: string[];
  vars: Record<string, unknown>;
}

export interface AdmissionOutput {
  matched: boolean;
  /** Indexes of the validations that did not evaluate to true. */
  failed: number[];
  /** A compile or evaluation error (the API server would then apply the failure policy). */
  error?: string;
}

/** The cel-eval binary, built with the machine's Go from the pinned module. */
export function ensureCelEval(log: (line: string) => void = () => undefined): string {
  const stamp = createHash("sha256")
    .update(["main.go", "go.mod", "go.sum"].map((f) => fs.readFileSync(path.join(SOURCE, f), "utf8")).join("\0"))
    .digest("hex")
    .slice(0, 16);
  const binary = path.join(cacheDir("cel-eval", stamp), "cel-eval");
  if (!fs.existsSync(binary)) {
    log(`building cel-eval ${stamp} (cel-go from the Go module proxy)`);
    execFileSync("go", ["build", "-o", binary, "."], { cwd: SOURCE, stdio: "inherit", env: { ...process.env, GOFLAGS: "-mod=mod", CGO_ENABLED: "0" } });
  }
  return binary;
}

export function evaluateAdmissions(binary: string, admissions: readonly AdmissionInput[]): AdmissionOutput[] {
  const out = execFileSync(binary, [], { input: JSON.stringify(admissions), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as AdmissionOutput[];
}
