/**
 * `pulumi up` can rebuild everything from nothing: the program reads no live state (no `get`,
 * no lookups) and every name is deterministic, with no random suffix.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Plan } from "../offline/plan";
import { KUBERNETES_ONLY, PROJECT_DIR, SHA_A, plan } from "./helpers/plan";

type Values = Record<string, unknown>;
const PROGRAM_DIRS = ["components", "platform", "render", "locations", "chart", "config"];
const PROGRAM_FILES = ["index.ts", "program.ts"];

function programSources(): { file: string; text: string }[] {
  const files = [...PROGRAM_FILES];
  for (const dir of PROGRAM_DIRS) for (const f of fs.readdirSync(path.join(PROJECT_DIR, dir))) if (f.endsWith(".ts")) files.push(path.join(dir, f));
  return files.map((file) => ({ file, text: fs.readFileSync(path.join(PROJECT_DIR, file), "utf8") }));
}

/** Which inputs name a resource in its cloud, by type prefix. */
function physicalName(r: Plan["resources"][number]): string | undefined {
  const meta = r.inputs.metadata as Values | undefined;
  if (r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release") return meta?.name as string | undefined;
  for (const key of ["name", "accountId", "repositoryId"]) if (typeof r.inputs[key] === "string") return r.inputs[key] as string;
  return undefined;
}

/** Resource types that have no name of their own (bindings, grants, statements, generated values). */
const UNNAMED = /IAMMember|IamMember|Grant|Execute|RandomPassword|PrivateKey|Connection|RouterNat$/;

describe("rebuild from nothing", function () {
  this.timeout(60000);
  const plans: Plan[] = [];
  before(async () => {
    plans.push(await plan("prod"), await plan("pr-42", { overrides: [`commitSha=${SHA_A}`] }), await plan("staging", { overrides: KUBERNETES_ONLY }));
  });

  it("the program makes no provider lookups and reads no existing resource (a StackReference, to the preview stack, only in branches)", () => {
    for (const p of plans) {
      assert.deepEqual(p.invokes, [], `${p.stack} calls no data sources`);
      assert.deepEqual(p.reads, p.stack.startsWith("pr-") ? ["pulumi:pulumi:StackReference preview"] : [], p.stack);
    }
  });

  it("no program source calls a resource's static get() or a get*/lookup function", () => {
    const offenders: string[] = [];
    for (const { file, text } of programSources()) {
      text.split("\n").forEach((line, i) => {
        if (/\b(k8s|gcp|snowflake|random|tls|kubernetes)\.[\w.]+\.get\w*\(/.test(line) || /\.[A-Z]\w*\.get\(/.test(line) || /\b(k8s|gcp|snowflake)\.[\w.]*\bget[A-Z]\w*\(/.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, []);
  });

  it("every Kubernetes object and named cloud resource has an explicit, deterministic name", () => {
    for (const p of plans) {
      for (const r of p.resources.filter((x) => x.type.includes("/") && !x.type.startsWith("pulumi:") && !x.type.startsWith("dagster-platform:"))) {
        if (UNNAMED.test(r.type)) continue;
        const name = physicalName(r);
        assert.ok(name, `${p.stack}: ${r.type} ${r.name} has no explicit name (it would be auto-named with a random suffix)`);
      }
      for (const r of p.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release")) assert.ok(typeof r.inputs.name === "string", `${r.name} release name`);
    }
  });

  it("the same configuration always gives the same names (no random part)", async () => {
    const again = await plan("prod");
    const names = (p: Plan) => p.resources.map((r) => `${r.type} ${r.name} ${physicalName(r) ?? ""}`);
    assert.deepEqual(names(again), names(plans[0]));
  });
});
