/**
 * Rules for `.gitlab-ci.yml`, each returning problems: every script item a string (GitLab rejects
 * the whole file otherwise), locks per stack, review environments that stop, the three deployers
 * held to their pipelines and environments, the policy pack from a trusted checkout, a reaper that
 * asks GitLab, and a disaster-recovery refresh that can cope with a lost cluster.
 */
import { parse } from "yaml";
import { DEPLOYERS, deployerOfSetting, Deployer, PROTECTED_ENVIRONMENTS } from "./deployers";
import { keyFileProblems } from "./githubChecks";
import { GITLAB_GLOBAL_KEYS, gitlabJobs, GitlabJob, gitlabStacks, jobVariable, normalizeVars, onlyOnDefaultBranch, runsOnMergeRequests, SCRIPT_KEYS } from "./gitlab";
import { BRANCH_CLI, DR_DRILL, PULUMI_ANY } from "./workflows";
import { asDict, asList, Dict, str } from "./yaml";

/**
 * GitLab: "script config should be a string or a nested array of strings". An unquoted `: ` in a
 * list item makes YAML read a mapping, which a reader coercing to text would not notice.
 */
export function scriptItemProblems(file: string, doc: Dict): string[] {
  const problems: string[] = [];
  const owners = Object.keys(doc).filter((k) => !GITLAB_GLOBAL_KEYS.has(k) || k === "default");
  const walk = (where: string, items: unknown[], at: string): void =>
    items.forEach((item, i) => {
      if (Array.isArray(item)) walk(where, item, `${at}${i + 1}.`);
      else if (typeof item !== "string") problems.push(`${where} item ${at}${i + 1} is ${JSON.stringify(item)}, not a string: GitLab rejects the whole file. Quote the line.`);
    });
  const check = (where: string, value: unknown) => {
    if (value === undefined || typeof value === "string") return;
    if (Array.isArray(value)) walk(where, value, "");
    else problems.push(`${where} is ${JSON.stringify(value)}, not a string or a list of strings`);
  };
  for (const key of SCRIPT_KEYS) check(`${file}: top-level ${key}`, doc[key]);
  for (const owner of owners) for (const key of SCRIPT_KEYS) check(`${file}: ${owner} ${key}`, asDict(doc[owner])[key]);
  return problems;
}

function lockProblems(file: string, jobs: GitlabJob[]): string[] {
  const problems: string[] = [];
  for (const j of jobs) {
    const where = `${file} job ${j.name}`;
    if (!(BRANCH_CLI.test(j.script) || DR_DRILL.test(j.script) || PULUMI_ANY.test(j.script) || /\bnpm run reap:gitlab\b/.test(j.script))) continue;
    const stacks = gitlabStacks(j);
    const group = normalizeVars(str(j.job.resource_group));
    if (stacks.length !== 1) problems.push(`${where}: acts on ${stacks.length === 0 ? "no identifiable stack" : `several stacks (${stacks.join(", ")})`}`);
    else if (!j.job.resource_group) problems.push(`${where}: runs pulumi without a resource_group (expected pulumi-${stacks[0]})`);
    else if (group !== `pulumi-${stacks[0]}`) problems.push(`${where}: resource_group "${group}", expected "pulumi-${stacks[0]}" (one per stack)`);
    if (j.job.interruptible !== false) problems.push(`${where}: runs pulumi but is interruptible: auto-cancel would strand the state lock`);
    if (Object.keys(asDict(j.job.id_tokens)).length === 0 || !/create-cred-config/.test(j.script)) {
      problems.push(`${where}: reaches GCP without an OIDC id_token and a Workload Identity Federation credential config`);
    }
  }
  return problems;
}

function reviewProblems(file: string, jobs: GitlabJob[]): string[] {
  const problems: string[] = [];
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const reviews = jobs.filter((j) => /^review\//.test(str(asDict(j.job.environment).name)) && str(asDict(j.job.environment).action) !== "stop");
  if (reviews.length === 0) problems.push(`${file}: no review/<IID> environment`);
  for (const deploy of reviews) {
    const env = asDict(deploy.job.environment);
    const where = `${file} job ${deploy.name}`;
    if (!str(env.auto_stop_in)) problems.push(`${where}: review environment without auto_stop_in`);
    const stopName = str(env.on_stop);
    const stop = byName.get(stopName);
    if (!stopName || !stop) {
      problems.push(stopName ? `${where}: on_stop names "${stopName}", which is not a job` : `${where}: review environment without on_stop`);
      continue;
    }
    const stopEnv = asDict(stop.job.environment);
    if (str(stopEnv.action) !== "stop" || str(stopEnv.name) !== str(env.name)) problems.push(`${file} job ${stopName}: must stop environment ${str(env.name)} (action: stop)`);
    if (!/\bnpm run branch -- down\b/.test(stop.script)) problems.push(`${file} job ${stopName}: does not run \`npm run branch -- down\``);
    if (normalizeVars(str(stop.job.resource_group)) !== normalizeVars(str(deploy.job.resource_group))) {
      problems.push(`${file} job ${stopName}: resource_group differs from ${deploy.name}'s: deploy and stop of one stack must queue behind each other`);
    }
  }
  return problems;
}

/** Locks, review environments and key files: the shape the file had before the identities. */
export function gitlabProblems(file: string, text: string): string[] {
  const doc = asDict(parse(text));
  const jobs = gitlabJobs(doc);
  const problems: string[] = [];
  const rules = asList(asDict(doc.workflow).rules).map((r) => str(asDict(r).if));
  if (!rules.some((r) => /merge_request_event/.test(r))) problems.push(`${file}: workflow rules do not run merge-request pipelines`);
  return [...problems, ...lockProblems(file, jobs), ...reviewProblems(file, jobs), ...keyFileProblems(file, text)];
}

/** The deployer a job's credential config names, from its resolved variables. */
export function gitlabDeployer(j: GitlabJob): { deployer?: Deployer; problems: string[] } {
  if (!/create-cred-config/.test(j.script)) return { problems: [] };
  const where = `job ${j.name}`;
  const sa = deployerOfSetting(jobVariable(j, "WIF_SERVICE_ACCOUNT").replace(/^\$/, ""));
  const provider = deployerOfSetting(jobVariable(j, "WIF_PROVIDER").replace(/^\$/, ""));
  const aud = normalizeVars(str(asDict(asDict(j.job.id_tokens).GCP_ID_TOKEN).aud));
  if (!sa || !provider) return { problems: [`${where}: authenticates without naming a deployer (WIF_SERVICE_ACCOUNT / WIF_PROVIDER must be $PROD_, $PREVIEW_ or $BRANCH_GCP_…)`] };
  const problems: string[] = [];
  if (sa.deployer !== provider.deployer) problems.push(`${where}: the ${sa.deployer} deployer's service account through the ${provider.deployer} deployer's provider`);
  if (!aud.includes(`$${provider.deployer.toUpperCase()}_GCP_WORKLOAD_IDENTITY_PROVIDER`)) problems.push(`${where}: its ID token's audience (${aud}) is not its provider's`);
  return { deployer: sa.deployer, problems };
}

function gitlabDeployerJobProblems(j: GitlabJob, deployer: Deployer): string[] {
  const where = `job ${j.name}`;
  const spec = DEPLOYERS[deployer];
  const env = str(asDict(j.job.environment).name);
  const problems: string[] = [];
  if (spec.environment && env !== spec.environment) problems.push(`${where}: acts as the ${deployer} deployer outside the protected environment "${spec.environment}" ("${env}")`);
  if (spec.environment && (runsOnMergeRequests(j) || !onlyOnDefaultBranch(j))) problems.push(`${where}: acts as the ${deployer} deployer in pipelines other than the default branch's`);
  if (!spec.environment && PROTECTED_ENVIRONMENTS.has(env)) problems.push(`${where}: the branch deployer in the protected environment "${env}"`);
  if (jobVariable(j, "PULUMI_BACKEND_URL") !== `$${spec.backend}`) problems.push(`${where}: the ${deployer} deployer writes the backend "${jobVariable(j, "PULUMI_BACKEND_URL")}", not $${spec.backend}`);
  if (spec.secretsProvider && jobVariable(j, "PULUMI_SECRETS_PROVIDER") !== `$${spec.secretsProvider}`) problems.push(`${where}: the ${deployer} deployer encrypts with "${jobVariable(j, "PULUMI_SECRETS_PROVIDER")}"`);
  return problems;
}

/** Every credential names a deployer, each held to its environment and pipelines; merge requests get the branch deployer only. */
export function gitlabIdentityProblems(file: string, jobs: GitlabJob[]): string[] {
  const problems: string[] = [];
  for (const j of jobs) {
    const { deployer, problems: named } = gitlabDeployer(j);
    problems.push(...named.map((p) => `${file} ${p}`));
    if (deployer) problems.push(...gitlabDeployerJobProblems(j, deployer).map((p) => `${file} ${p}`));
    if (!runsOnMergeRequests(j)) continue;
    const text = JSON.stringify(j.job);
    if (/\$\{?PROD_/.test(text)) problems.push(`${file} job ${j.name} (runs on merge requests): references a prod deployer setting`);
    if (deployer && deployer !== "branch") problems.push(`${file} job ${j.name} (runs on merge requests): authenticates as the ${deployer} deployer`);
    if (PROTECTED_ENVIRONMENTS.has(str(asDict(j.job.environment).name))) problems.push(`${file} job ${j.name} (runs on merge requests): in a protected environment`);
  }
  return problems;
}
