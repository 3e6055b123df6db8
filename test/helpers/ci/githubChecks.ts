/**
 * Structural rules for the GitHub workflows, each a function that returns problems (so each can be
 * run on the real files and on small broken fixtures): locks, action pins, permissions, no key
 * files, tooling order, secret scope.
 */
import { AUTH_ACTION, BRANCH_CLI, DR_DRILL, Job, PULUMI_ACTION, PULUMI_ANY, pulumiActionCommand, pulumiKind, stacksOf, Step, Workflow } from "./workflows";
import { Dict, isDict, str } from "./yaml";

/** Every job that changes a stack is in `pulumi-<stack>`, never cancelled; previews stay out of it. */
export function concurrencyProblems(wf: Workflow): string[] {
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
export function pinProblems(file: string, text: string): string[] {
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
export function pinConsistencyProblems(files: { file: string; text: string }[]): string[] {
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

/** A step that posts on the pull request: pulumi/actions' comment, the lifecycle's or the prod impact's. */
export function isCommentStep(s: Step): boolean {
  const run = s.run ?? "";
  return (pulumiActionCommand(s) !== undefined && s.with["comment-on-pr"] === true) || /\bnpm run branch -- comment\b/.test(run) || /\bnpm run plan:impact\b[^\n]*--pr\b/.test(run);
}

export function commentsOnPr(job: Job): boolean {
  return job.steps.some(isCommentStep);
}

/** Least privilege: nothing at the top; per job only what it uses. */
export function permissionProblems(wf: Workflow): string[] {
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

export function keyFileProblems(file: string, text: string): string[] {
  const code = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n");
  return KEY_FILE_PATTERNS.filter(([re]) => re.test(code)).map(([, what]) => `${file}: uses ${what}; GCP is reached through Workload Identity Federation only`);
}

const FROM_SETTINGS = /^\$\{\{\s*(?:vars|inputs)\.[A-Za-z0-9_-]+\s*\}\}$/;

/** Every auth step is WIF with provider and service account from repository variables (or inputs). */
export function wifProblems(wf: Workflow): string[] {
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
export function toolingProblems(wf: Workflow, pulumiVersion: string): string[] {
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
export function secretScopeProblems(wf: Workflow): string[] {
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

