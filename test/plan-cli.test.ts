/** npm run plan as a command: its arguments, the folder it writes, and what it reads as secrets. */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { parsePlatformConfig } from "../config";
import { reservedServiceNames } from "../chart/names";
import { parseLocations, readLocationFiles } from "../locations/load";
import { InputError, formatProblem } from "../locations/problems";
import { Plan, planReferenced } from "../offline/plan";
import { OutDirError, PLAN_MARKER, checkOutDir, clearPlan, writePlan } from "../offline/planFiles";
import { ReferencedPlanError, referencedOutputs, referencedStack } from "../offline/reference";
import { OfflineRunError } from "../offline/runtime";
import { assembleStackConfig } from "../offline/stackConfig";
import { cutList, summarize } from "../offline/summary";
import { UsageError } from "../offline/usage";
import { parseArgs } from "../scripts/plan";
import { PROJECT_DIR, plan } from "./helpers/plan";

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const EMPTY_PLAN: Plan = { stack: "prod", resources: [], outputs: {}, rawOutputs: {}, values: { dagster: { a: 1 } }, locations: [], placeholders: [], invokes: [], reads: [], workspaceYaml: "load_from: []\n" };
const runPlan = (args: string[]) => spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", ...args], { cwd: PROJECT_DIR, encoding: "utf8" });

describe("npm run plan: arguments", () => {
  it("parses flags, config and secrets", () => {
    assert.deepEqual(parseArgs(["--stack", "prod", "--out", "p", "--config", "a=1", "--secret", "b=2", "--repos", "r"]), { stack: "prod", out: "p", repos: "r", overrides: ["a=1"], secrets: ["b=2"] });
  });
  for (const [argv, message] of [
    [["--stack", "prod", "--out", "p", "--config", "foo"], '--config "foo": write key=value, e.g. --config commitSha=0123abc'],
    [["--stack", "prod", "--out", "p", "--secret", "=x"], '--secret "=x": write key=value, e.g. --secret commitSha=0123abc'],
    [["--stack", "prod", "--out"], "--out needs a value"],
    [["--stack", "--out", "p"], "--stack needs a value"],
    [["--stack", "prod", "--out", "p", "--verbose", "x"], "unknown argument --verbose"],
    [["--out", "p"], "--stack is required"],
    [["--stack", "prod"], "--out is required"],
  ] as const) {
    it(`${argv.join(" ")}: ${message}`, () => assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && e.message === message));
  }
  it("--config foo is a usage error: exit 2, no stack trace, nothing written", () => {
    const out = path.join(tmp("plan-usage-"), "out");
    const r = runPlan(["--stack", "prod", "--out", out, "--config", "foo"]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, '--config "foo": write key=value, e.g. --config commitSha=0123abc\nusage: npm run plan -- --stack <name> --out <dir> [--repos <dir>] [--config key=value ...] [--secret key=value ...]\n');
    assert.ok(!fs.existsSync(out));
  });
});

describe("npm run plan: the --out folder", () => {
  it("a new folder and an empty folder become the plan's (a marker file)", () => {
    const parent = tmp("plan-out-");
    writePlan(EMPTY_PLAN, path.join(parent, "new"));
    assert.ok(fs.existsSync(path.join(parent, "new", PLAN_MARKER)));
    const empty = tmp("plan-empty-");
    writePlan(EMPTY_PLAN, empty);
    assert.deepEqual(fs.readdirSync(empty).sort(), [PLAN_MARKER, "locations.json", "outputs.json", "resources.json", "values", "workspace.yaml"]);
    assert.deepEqual(fs.readdirSync(path.join(empty, "values")), ["dagster.yaml"]);
  });
  it("a folder holding none of the plan's paths is written into, and what it holds is left alone", () => {
    const dir = tmp("plan-log-");
    fs.writeFileSync(path.join(dir, "plan.log"), "mine");
    writePlan(EMPTY_PLAN, dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), [PLAN_MARKER, "locations.json", "outputs.json", "plan.log", "resources.json", "values", "workspace.yaml"]);
    assert.equal(fs.readFileSync(path.join(dir, "plan.log"), "utf8"), "mine");
  });
  it("a plan written before the marker existed is recognised by its resources.json and replaced", () => {
    const dir = tmp("plan-earlier-");
    fs.writeFileSync(path.join(dir, "resources.json"), JSON.stringify([{ type: "t", name: "n", parent: null, inputs: {}, options: {} }]));
    fs.mkdirSync(path.join(dir, "values"));
    fs.writeFileSync(path.join(dir, "values", "code-gone.yaml"), "old");
    writePlan(EMPTY_PLAN, dir);
    assert.deepEqual(fs.readdirSync(path.join(dir, "values")), ["dagster.yaml"]);
    assert.equal(fs.readFileSync(path.join(dir, "resources.json"), "utf8"), "[]\n");
    // Anything else in resources.json is someone's own file.
    for (const text of ["[]", "[{\"type\": \"t\"}]", "{}", "mine"]) {
      const theirs = tmp("plan-notours-");
      fs.writeFileSync(path.join(theirs, "resources.json"), text);
      assert.throws(() => writePlan(EMPTY_PLAN, theirs), OutDirError, text);
      assert.deepEqual(fs.readdirSync(theirs), ["resources.json"], text);
    }
  });
  it("a folder where the plan's paths hold someone else's files is refused, and nothing in it is touched", () => {
    const dir = tmp("plan-theirs-");
    fs.mkdirSync(path.join(dir, "values"));
    fs.writeFileSync(path.join(dir, "values", "mine.yaml"), "mine");
    fs.writeFileSync(path.join(dir, "workspace.yaml"), "mine");
    assert.throws(() => writePlan(EMPTY_PLAN, dir), (e: unknown) => e instanceof OutDirError && /holds values, workspace\.yaml, which npm run plan did not write \(no \.dagster-platform-plan in it\); nothing was written or deleted/.test(e.message));
    clearPlan(dir);
    assert.equal(fs.readFileSync(path.join(dir, "values", "mine.yaml"), "utf8"), "mine");
    assert.equal(fs.readFileSync(path.join(dir, "workspace.yaml"), "utf8"), "mine");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["values", "workspace.yaml"]);
  });
  it("a plan folder whose own paths are links or the wrong kind is refused, and nothing is written through them or deleted", () => {
    const victim = tmp("plan-victim-");
    fs.writeFileSync(path.join(victim, "dagster.yaml"), "precious\n");
    const cases: [string, (dir: string) => void, string][] = [
      ["values link", (d) => fs.symlinkSync(victim, path.join(d, "values")), "values"],
      ["marker folder", (d) => { fs.rmSync(path.join(d, PLAN_MARKER)); fs.mkdirSync(path.join(d, PLAN_MARKER)); }, PLAN_MARKER],
      ["resources link", (d) => fs.symlinkSync(path.join(victim, "dagster.yaml"), path.join(d, "resources.json")), "resources.json"],
      ["values file link", (d) => { fs.mkdirSync(path.join(d, "values")); fs.symlinkSync(path.join(victim, "dagster.yaml"), path.join(d, "values", "dagster.yaml")); }, "values/dagster.yaml"],
    ];
    for (const [label, arrange, named] of cases) {
      const dir = tmp("plan-owned-");
      fs.writeFileSync(path.join(dir, PLAN_MARKER), "x");
      fs.writeFileSync(path.join(dir, "notes.txt"), "mine\n");
      arrange(dir);
      assert.throws(() => checkOutDir(dir), (e: unknown) => e instanceof OutDirError && e.message.includes(`: ${named} is not what npm run plan writes there`), label);
      assert.throws(() => writePlan(EMPTY_PLAN, dir), OutDirError, label);
      assert.equal(fs.readFileSync(path.join(dir, "notes.txt"), "utf8"), "mine\n", label);
    }
    assert.deepEqual(fs.readdirSync(victim), ["dagster.yaml"]);
    assert.equal(fs.readFileSync(path.join(victim, "dagster.yaml"), "utf8"), "precious\n");
  });
  it("a file is refused", () => {
    const file = path.join(tmp("plan-file-"), "f");
    fs.writeFileSync(file, "x");
    assert.throws(() => checkOutDir(file), /is not a folder/);
  });
  it("a plan's own folder is rewritten; files it did not write stay", () => {
    const dir = tmp("plan-own-");
    writePlan({ ...EMPTY_PLAN, values: { dagster: {}, "code-old": {} } }, dir);
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
    fs.writeFileSync(path.join(dir, "values", "README"), "mine");
    writePlan(EMPTY_PLAN, dir);
    assert.deepEqual(fs.readdirSync(path.join(dir, "values")).sort(), ["README", "dagster.yaml"]);
    assert.equal(fs.readFileSync(path.join(dir, "notes.txt"), "utf8"), "mine");
    clearPlan(dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), [PLAN_MARKER, "notes.txt", "values"]);
    assert.deepEqual(fs.readdirSync(path.join(dir, "values")), ["README"]);
  });
  it("npm run plan into someone else's folder exits 2 and deletes nothing, whatever the plan would do", () => {
    const dir = tmp("plan-cli-theirs-");
    fs.mkdirSync(path.join(dir, "values"));
    fs.writeFileSync(path.join(dir, "values", "dagster.yaml"), "mine");
    fs.writeFileSync(path.join(dir, "resources.json"), "mine");
    const r = runPlan(["--stack", "prod", "--out", dir, "--config", "ingress=bogus"]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /holds resources\.json, values, which npm run plan did not write/);
    assert.equal(fs.readFileSync(path.join(dir, "values", "dagster.yaml"), "utf8"), "mine");
    assert.equal(fs.readFileSync(path.join(dir, "resources.json"), "utf8"), "mine");
  });
});

describe("npm run plan: secrets as the real program reads them", () => {
  function projectWith(stackFile: string): string {
    const dir = tmp("plan-project-");
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackFile);
    return dir;
  }
  const STACK = "config:\n  dagster-platform:environment: production\n  dagster-platform:snowflake: \"false\"\n  dagster-platform:cloudSql: \"false\"\n  dagster-platform:buckets: \"false\"\n  dagster-platform:registry: \"false\"\n  dagster-platform:postgresHost: pg.internal\n  dagster-platform:ambientKubeconfig: \"true\"\n";
  const parseFrom = (dir: string) => {
    const a = assembleStackConfig(dir, "staging", [`reposDir=${path.relative(dir, path.join(PROJECT_DIR, "repos"))}`]);
    return parsePlatformConfig({ project: a.project, stack: "staging", values: a.values, secretKeys: new Set(a.secretKeys), projectDir: dir, secretPlaceholders: true });
  };
  it("a plain-text postgresPassword committed in the stack file fails the plan", () => {
    const dir = projectWith(`${STACK}  dagster-platform:postgresPassword: hunter2\n`);
    assert.throws(() => parseFrom(dir), (e: unknown) => e instanceof InputError && /postgresPassword: is stored in plain text \(set it with: pulumi config set --secret postgresPassword <value>\)/.test(e.message) && !e.message.includes("hunter2"));
  });
  it("an encrypted one is a secret, planned with a placeholder", () => {
    const dir = projectWith(`${STACK}  dagster-platform:postgresPassword:\n    secure: AAABAKm9\n`);
    assert.equal(parseFrom(dir).postgres.mode, "external");
    assert.deepEqual(assembleStackConfig(dir, "staging", []).secretKeys, ["dagster-platform:postgresPassword"]);
  });
  it("--config of a secret key is plain text (pulumi config set without --secret); --secret is not", async () => {
    const k8s = ["environment=production", "clusterMode=existing", "cloudSql=false", "postgresHost=pg", "buckets=false", "registry=false", "snowflake=false", "ambientKubeconfig=true"];
    await assert.rejects(plan("staging", { overrides: [...k8s, "postgresPassword=x"] }), (e: unknown) => e instanceof OfflineRunError && /postgresPassword: is stored in plain text/.test(String((e.cause as Error).message)));
    const p = await plan("staging", { overrides: k8s, secrets: ["postgresPassword=x"] });
    assert.deepEqual(p.placeholders, []);
  });
});

describe("npm run plan: a branch's reference and the summary", function () {
  this.timeout(60000);
  it("a branch reads the stack its reference key names", () => {
    assert.deepEqual(referencedStack("pr-3", { "dagster-platform:previewStack": "org/dagster-platform/preview" }), { key: "previewStack", reference: "org/dagster-platform/preview" });
    assert.equal(referencedStack("prod", { "dagster-platform:previewStack": "org/dagster-platform/preview" }), undefined);
    assert.equal(referencedStack("pr-3", { "dagster-platform:prodStack": "org/dagster-platform/prod" }), undefined);
    assert.equal(referencedStack("pr-3", {}), undefined);
  });
  it("when the referenced stack's plan fails, the answer says so with its problems", async () => {
    await assert.rejects(referencedOutputs(planReferenced, PROJECT_DIR, "nosuch", undefined), (cause: unknown) => {
      assert.ok(cause instanceof ReferencedPlanError, String(cause));
      assert.match(cause.message, /the offline plan of the referenced stack "nosuch" failed:\nRefusing to plan stack "nosuch".*\n.*the stack "nosuch" is neither prod, preview nor pr-<N>/);
      return true;
    });
  });
  it("long lists are cut", () => {
    assert.equal(cutList([]), "none");
    assert.equal(cutList(["a", "b"]), "a, b");
    assert.equal(cutList(Array.from({ length: 10 }, (_, i) => `l${i}`)), "l0, l1, l2, l3, l4, l5, l6, l7, l8, l9");
    assert.equal(cutList(Array.from({ length: 3000 }, (_, i) => `l${i}`)), "l0, l1, l2, l3, l4, l5, l6, l7, l8, l9 … and 2,990 more");
    const many: Plan = { ...EMPTY_PLAN, locations: Array.from({ length: 3000 }, (_, i) => ({ name: `location-${i}`, release: `code-location-${i}`, image: `r.io/l:${i}`, target: [], port: 3030, env: {}, secrets: [] })) };
    const text = summarize(many);
    assert.ok(text.split("\n").every((line) => line.length < 400), "every line stays short");
    assert.match(text, /Code locations \(3000\): location-0 \(r\.io\/l:0\), .* … and 2,990 more/);
  });
});

describe("the README's example location", () => {
  it("is valid as written", () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    const block = /```yaml\n# repos\/marketing-etl\.yaml\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, "the README has the example");
    assert.ok(parse(block[1]), "it is YAML");
    const ctx = { reservedEnv: new Set<string>(), reservedEnvPrefixes: ["DAGSTER_CLOUD_"], reservedServiceNames: new Set(reservedServiceNames()) };
    const result = parseLocations([{ file: "repos/marketing-etl.yaml", text: block[1] }], ctx);
    assert.deepEqual(result.problems.map(formatProblem), []);
    assert.equal(result.locations[0].git?.sha?.length, 40);
  });
});

describe("npm run plan: the stack name and the stack file", () => {
  it("a stack name is checked before it names a file: ../ never leaves the project", () => {
    for (const stack of ["x/../../../tmp/evil", "../prod", "..", "a b", "p".repeat(101)]) {
      assert.throws(() => assembleStackConfig(PROJECT_DIR, stack, []), (e: unknown) => e instanceof UsageError && /not a stack name/.test(e.message), stack);
    }
  });
  it("a broken stack file is one problem naming the file and line, and none of its content", () => {
    for (const [text, line] of [
      ["config:\n  dagster-platform:postgresPassword: [hunter2-plaintext\n", /line \d+/],
      ["config:\n  dagster-platform:postgresHost: hunter2-a\n  dagster-platform:postgresHost: hunter2-b\n", /line 3, column 3/],
      ["config: {}\n---\nhunter2: x\n", /line 2/],
    ] as const) {
      const dir = tmp("plan-broken-");
      fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), text);
      assert.throws(() => assembleStackConfig(dir, "prod", []), (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.match(e.message, /Pulumi\.prod\.yaml: is not valid YAML at /);
        assert.match(e.message, line);
        assert.ok(!e.message.includes("hunter2"), e.message);
        return true;
      });
    }
  });
});

describe("repos/ files far larger than a location", () => {
  const ctx = { reservedEnv: new Set<string>(), reservedEnvPrefixes: [], reservedServiceNames: new Set<string>() };
  it("a file reports its first 25 problems and a count of the rest", () => {
    const dir = tmp("repos-many-");
    fs.writeFileSync(path.join(dir, "etl.yaml"), `image: r.io/etl:1.0.0\nmodule: etl\n${Array.from({ length: 100 }, (_, i) => `k${i}: 1\n`).join("")}`);
    const { problems } = parseLocations(readLocationFiles(dir, "repos").files, ctx);
    assert.equal(problems.length, 26);
    assert.equal(formatProblem(problems[25]), "repos/etl.yaml: … and 75 more problems in this file (fix these first)");
  });
  it("a file of more than 10,000 lines is refused before it is parsed", () => {
    const dir = tmp("repos-long-");
    const body = (n: number) => `image: r.io/etl:1.0.0\nmodule: etl\nenv:\n${Array.from({ length: n - 3 }, (_, i) => `  K${i}: v\n`).join("")}`;
    fs.writeFileSync(path.join(dir, "etl.yaml"), body(10_000));
    assert.equal(parseLocations(readLocationFiles(dir, "repos").files, ctx).problems.some((p) => /more than 10,000 lines/.test(p.message)), false);
    fs.writeFileSync(path.join(dir, "etl.yaml"), body(10_001));
    assert.deepEqual(parseLocations(readLocationFiles(dir, "repos").files, ctx).problems.map(formatProblem), ["repos/etl.yaml: has more than 10,000 lines, so it is not read (a location file holds a few settings, not data)"]);
  });
});

describe("npm run plan: repos/ that reaches out of itself", () => {
  it("a repos folder that is itself a link is refused, and nothing behind it is read", () => {
    const elsewhere = tmp("repos-elsewhere-");
    fs.writeFileSync(path.join(elsewhere, "creds.yaml"), "aws_secret_access_key_7f3a: x\n");
    const link = path.join(tmp("repos-link-"), "repos");
    fs.symlinkSync(elsewhere, link);
    const { files, problems } = readLocationFiles(link, "repos");
    assert.deepEqual(files, []);
    assert.deepEqual(problems.map(formatProblem), ["repos: is a symbolic link; the folder of code locations is read only where it is (point reposDir (or --repos) at the folder itself)"]);
  });
  it("npm run plan with a link to /proc/self/environ prints no part of the environment", () => {
    const repos = tmp("repos-environ-");
    fs.symlinkSync("/proc/self/environ", path.join(repos, "etl.yaml"));
    fs.symlinkSync("/proc/self/environ", path.join(repos, "env.txt"));
    const out = path.join(tmp("plan-environ-"), "plan");
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", "--stack", "prod", "--out", out, "--repos", repos], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      env: { ...process.env, PLAN_TEST_MARKER: "ENVIRONMENT-MARKER-7c2e" },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes("ENVIRONMENT-MARKER-7c2e"), "the environment is not printed");
    assert.match(r.stderr, /etl\.yaml: \(file\): is a symbolic link out of the folder/);
    assert.match(r.stderr, /env\.txt: \(file\): is not a code-location file/);
    assert.ok(!fs.existsSync(path.join(out, "resources.json")));
  });
});
