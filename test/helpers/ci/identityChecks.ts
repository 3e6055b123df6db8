/**
 * Who may deploy what, in the GitHub workflows (docs/ci-cd.md, "Identities"): which events can run
 * a job, which deployer it authenticates as, and what that allows. Each rule returns problems, so
 * the tests run it on the real files, on the old (insecure) workflows kept as fixtures, and on
 * small broken ones.
 */
import { Deployer, DEPLOYERS, deployerOfSetting, PROD_SETTING, PROTECTED_ENVIRONMENTS } from "./deployers";
import { AUTH_ACTION, Job, Step, triggers, Workflow } from "./workflows";
import { asDict, str } from "./yaml";

const PR_EVENTS = new Set(["pull_request", "pull_request_target"]);
const VAR_REF = /^\$\{\{\s*vars\.([A-Za-z0-9_]+)\s*\}\}$/;

/**
 * The events a job can run on: the workflow's triggers, narrowed by `github.event_name == 'x'` and
 * `!= 'x'` tests in the job's `if` when they are joined by && only. Anything the reading cannot
 * be sure of keeps the event, so a check errs towards "a pull request can run this".
 */
export function jobEvents(wf: Workflow, job: Job): Set<string> {
  const events = new Set(Object.keys(triggers(wf)));
  const cond = str(job.raw.if);
  if (cond === "" || /\|\||!\s*\(/.test(cond)) return events;
  const equals = [...cond.matchAll(/github\.event_name\s*==\s*'([a-z_]+)'/g)].map((m) => m[1]);
  const differs = [...cond.matchAll(/github\.event_name\s*!=\s*'([a-z_]+)'/g)].map((m) => m[1]);
  for (const e of [...events]) if ((equals.length > 0 && !equals.includes(e)) || differs.includes(e)) events.delete(e);
  return events;
}

export const runsOnPullRequests = (wf: Workflow, job: Job) => [...jobEvents(wf, job)].some((e) => PR_EVENTS.has(e));

/** Only main: every push trigger is limited to main, and the job (or its events) cannot run elsewhere. */
export function onlyOnMain(wf: Workflow, job: Job): boolean {
  const events = jobEvents(wf, job);
  if ([...events].some((e) => PR_EVENTS.has(e))) return false;
  const refGuard = /github\.ref\s*==\s*'refs\/heads\/main'/.test(str(job.raw.if)) && !/\|\|/.test(str(job.raw.if));
  const pushOnMain = JSON.stringify(asDict(triggers(wf).push).branches ?? null) === JSON.stringify(["main"]);
  return refGuard || (events.size === 1 && events.has("push") && pushOnMain);
}

export const environmentOf = (job: Job): string => {
  const e = job.raw.environment;
  return typeof e === "string" ? e : str(asDict(e).name);
};

const isAuth = (s: Step) => s.uses !== undefined && AUTH_ACTION.test(s.uses);

/** The deployer each auth step names, or a problem when it names none, or two. */
export function authDeployers(wf: Workflow, job: Job): { deployers: Deployer[]; problems: string[] } {
  const deployers: Deployer[] = [];
  const problems: string[] = [];
  for (const step of job.steps.filter(isAuth)) {
    const where = `${wf.file} job ${job.id} step ${step.id ?? step.index + 1}`;
    const sa = deployerOfSetting(VAR_REF.exec(str(step.with.service_account))?.[1] ?? "");
    const provider = deployerOfSetting(VAR_REF.exec(str(step.with.workload_identity_provider))?.[1] ?? "");
    if (!sa || !provider) {
      problems.push(`${where}: authenticates without naming a deployer: service_account and workload_identity_provider must be vars.{PROD,PREVIEW,BRANCH}_GCP_SERVICE_ACCOUNT / _WORKLOAD_IDENTITY_PROVIDER`);
    } else if (sa.deployer !== provider.deployer) {
      problems.push(`${where}: the ${sa.deployer} deployer's service account through the ${provider.deployer} deployer's provider`);
    } else deployers.push(sa.deployer);
  }
  return { deployers, problems };
}

/** Reusable workflows get their identity from the caller's inputs; only this repository's own workflows name deployers. */
const ownsIdentities = (wf: Workflow) => !("workflow_call" in triggers(wf)) && !wf.file.startsWith("docs/");

/** Every step's view of a setting: step env, then job env, then workflow env, then pulumi/actions' cloud-url. */
function settingsUsed(wf: Workflow, job: Job, name: string): string[] {
  const seen: string[] = [];
  for (const env of [wf.env, job.env, ...job.steps.map((s) => s.env)]) if (name in env) seen.push(str(env[name]));
  if (name === "PULUMI_BACKEND_URL") for (const s of job.steps) if ("cloud-url" in s.with) seen.push(str(s.with["cloud-url"]));
  return seen;
}

function deployerJobProblems(wf: Workflow, job: Job, deployer: Deployer): string[] {
  const where = `${wf.file} job ${job.id}`;
  const spec = DEPLOYERS[deployer];
  const problems: string[] = [];
  const env = environmentOf(job);
  if (spec.environment && env !== spec.environment) problems.push(`${where}: acts as the ${deployer} deployer outside the "${spec.environment}" environment (environment: "${env}")`);
  if (!spec.environment && PROTECTED_ENVIRONMENTS.has(env)) problems.push(`${where}: the branch deployer in the protected "${env}" environment`);
  if (spec.environment && !onlyOnMain(wf, job)) problems.push(`${where}: acts as the ${deployer} deployer but can run on ${[...jobEvents(wf, job)].join(", ")} beyond main`);
  for (const v of settingsUsed(wf, job, "PULUMI_BACKEND_URL")) {
    if (!new RegExp(`vars\\.${spec.backend}\\b`).test(v)) problems.push(`${where}: the ${deployer} deployer writes the backend ${v}, not vars.${spec.backend}`);
  }
  for (const v of spec.secretsProvider ? settingsUsed(wf, job, "PULUMI_SECRETS_PROVIDER") : []) {
    if (!new RegExp(`vars\\.${spec.secretsProvider}\\b`).test(v)) problems.push(`${where}: the ${deployer} deployer encrypts with ${v}, not vars.${spec.secretsProvider}`);
  }
  return problems;
}

/** Every auth names one deployer, which holds to its environment, its branch and its backend. */
export function deployerProblems(wf: Workflow): string[] {
  if (!ownsIdentities(wf)) return [];
  const problems: string[] = [];
  for (const job of wf.jobs) {
    const { deployers, problems: named } = authDeployers(wf, job);
    problems.push(...named);
    for (const d of new Set(deployers)) problems.push(...deployerJobProblems(wf, job, d));
    if (new Set(deployers).size > 1) problems.push(`${wf.file} job ${job.id}: acts as several deployers (${[...new Set(deployers)].join(", ")})`);
  }
  return problems;
}

/** No job a pull request can run holds, or even names, a prod or preview credential or environment. */
export function pullRequestJobProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const job of wf.jobs.filter((j) => runsOnPullRequests(wf, j))) {
    const where = `${wf.file} job ${job.id} (runs on pull requests)`;
    const text = JSON.stringify(job.raw);
    if (PROD_SETTING.test(text)) problems.push(`${where}: references a prod deployer setting (${PROD_SETTING.exec(text)?.[0]})`);
    if (/\bvars\.PREVIEW_GCP_/.test(text)) problems.push(`${where}: references the preview deployer`);
    if (PROTECTED_ENVIRONMENTS.has(environmentOf(job))) problems.push(`${where}: runs in the protected environment "${environmentOf(job)}"`);
    const { deployers } = authDeployers(wf, job);
    for (const d of deployers.filter((x) => x !== "branch")) problems.push(`${where}: authenticates as the ${d} deployer`);
    if (ownsIdentities(wf) && job.steps.some(isAuth) && deployers.length === 0) problems.push(`${where}: authenticates as an identity that is not the branch deployer`);
  }
  return problems;
}

/** Across all workflows: the jobs holding the prod deployer, and the one of them a push runs. */
export function prodDeployerJobs(workflows: Workflow[]): { all: string[]; onPush: string[] } {
  const all: string[] = [];
  const onPush: string[] = [];
  for (const wf of workflows) {
    for (const job of wf.jobs) {
      // Any prod setting in an auth step counts, even one mismatched with its provider.
      const prodAuth = job.steps.filter(isAuth).some((s) => PROD_SETTING.test(JSON.stringify(s.with)));
      if (!prodAuth && environmentOf(job) !== "production") continue;
      all.push(`${wf.file}#${job.id}`);
      if (jobEvents(wf, job).has("push")) onPush.push(`${wf.file}#${job.id}`);
    }
  }
  return { all, onPush };
}

/**
 * A job holding the prod or preview deployer restores no cache. Caches are shared by every run on
 * main, and code a privileged job did not review can run there (e.g. a branch stack's dynamic
 * provider, destroyed by a job on main), write a poisoned npm cache and have it restored into the
 * next prod `up` (the review's finding 1; GitHub documents that caches are readable and writable
 * by any workflow run of the same branch).
 */
export function privilegedCacheProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const job of wf.jobs) {
    const privileged = PROTECTED_ENVIRONMENTS.has(environmentOf(job)) || authDeployers(wf, job).deployers.some((d) => d !== "branch");
    if (!privileged) continue;
    for (const s of job.steps) {
      const where = `${wf.file} job ${job.id} step ${s.id ?? s.name ?? s.index + 1}`;
      if (/^actions\/cache(\/restore)?@/.test(s.uses ?? "")) problems.push(`${where}: restores a cache in a job holding a protected deployer`);
      if (/^actions\/setup-(node|python|go)@/.test(s.uses ?? "") && str(s.with.cache) !== "") problems.push(`${where}: setup-* with cache: ${str(s.with.cache)} in a job holding a protected deployer`);
    }
  }
  return problems;
}
