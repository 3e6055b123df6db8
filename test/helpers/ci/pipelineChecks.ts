/**
 * What the GitHub jobs that deploy must do around `up`: run the policy pack from a trusted
 * checkout and tell it the stack, run the real preview first, never let a comment block a deploy,
 * and give a disaster-recovery refresh what a lost cluster needs.
 */
import { isCommentStep } from "./githubChecks";
import { environmentOf, runsOnPullRequests } from "./identityChecks";
import { Job, pulumiActionCommand, resolveVar, Step, triggers, Workflow } from "./workflows";
import { asDict, str } from "./yaml";

const BASE_SHA = /^\$\{\{\s*github\.event\.pull_request\.base\.sha\s*\}\}$/;
const POLICY_STACK = "DAGSTER_PLATFORM_POLICY_STACK";
const POLICY_COMMANDS = new Set(["preview", "up", "update"]);

const checkouts = (job: Job) => job.steps.filter((s) => s.uses !== undefined && /^actions\/checkout@/.test(s.uses));
const pathOf = (s: Step) => str(s.with.path).replace(/\/+$/, "") || ".";

/** The checkout a path lives in (the longest checkout path that prefixes it). */
function checkoutOf(job: Job, dir: string): Step | undefined {
  const clean = dir.replace(/^\$\{?GITHUB_WORKSPACE\}?\//, "").replace(/^\.\//, "");
  const matches = checkouts(job).filter((c) => pathOf(c) === "." || clean === pathOf(c) || clean.startsWith(`${pathOf(c)}/`));
  return matches.sort((a, b) => pathOf(b).length - pathOf(a).length)[0];
}

/** Trusted: the base commit in a pull-request job; main's own checkout (no other ref) elsewhere. */
function trustedCheckout(wf: Workflow, job: Job, c: Step | undefined): boolean {
  if (!c) return false;
  const ref = str(c.with.ref);
  if (runsOnPullRequests(wf, job)) return BASE_SHA.test(ref) && str(c.with.repository) === "";
  return ref === "" && str(c.with.repository) === "";
}

/** The policy pack directories a step runs, and the stack, for pulumi/actions and `pulumi` lines. */
function policyRuns(step: Step): { stack: string; packs: string[] }[] {
  const command = pulumiActionCommand(step);
  if (command !== undefined && POLICY_COMMANDS.has(command)) {
    const packs = str(step.with.policyPacks).split(/\s+/).filter(Boolean);
    return [{ stack: str(step.with["stack-name"]), packs }];
  }
  const runs: { stack: string; packs: string[] }[] = [];
  for (const line of (step.run ?? "").split("\n")) {
    if (!/(?:^|[\s;&|(])pulumi\s+(?:preview|up|update)\b/.test(line)) continue;
    runs.push({ stack: /--stack[= ]"?([^"\s]+)"?/.exec(line)?.[1] ?? "", packs: [...line.matchAll(/--policy-pack[= ]"?([^"\s]+)"?/g)].map((m) => m[1]) });
  }
  return runs;
}

function policyStackProblems(wf: Workflow, job: Job, step: Step, stack: string, where: string): string[] {
  const told = resolveVar(wf, job, step, POLICY_STACK);
  return told === stack ? [] : [`${where}: the policy pack is not told the stack (${POLICY_STACK} is ${told === undefined ? "unset" : `"${told}"`}, the stack is "${stack}")`];
}

/** Where `npm run branch -- up` runs its pack: <working-directory>/policy, which must link into the base checkout. */
function lifecyclePackProblems(wf: Workflow, job: Job, step: Step, where: string): string[] {
  const dir = str(step.raw["working-directory"]) || ".";
  const earlier = job.steps.slice(0, step.index).map((s) => s.run ?? "").join("\n");
  const link = new RegExp(`ln -s "?\\$\\{?GITHUB_WORKSPACE\\}?/([^"/\\s]+)/policy"? ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/policy`).exec(earlier);
  if (!link) return [`${where}: runs the pack at ${dir}/policy, the pull request's own; link it to the base checkout's policy/ first`];
  return trustedCheckout(wf, job, checkoutOf(job, link[1])) ? [] : [`${where}: links ${dir}/policy to ${link[1]}/policy, which is not a checkout of the base commit`];
}

/** Every preview and up runs the policy pack of a trusted checkout, told which stack it judges. */
export function trustedPolicyProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const job of wf.jobs) {
    for (const step of job.steps) {
      const where = `${wf.file} job ${job.id} step ${step.name ?? step.id ?? step.index + 1}`;
      if (/\bnpm run branch -- up\b/.test(step.run ?? "")) {
        problems.push(...lifecyclePackProblems(wf, job, step, where));
        const pr = /--pr\s+"?\$\{?([A-Z_]+)\}?"?/.exec(step.run ?? "");
        problems.push(...policyStackProblems(wf, job, step, `pr-${pr ? resolveVar(wf, job, step, pr[1]) : "?"}`, where));
      }
      for (const run of policyRuns(step)) {
        if (run.packs.length === 0) problems.push(`${where}: ${run.stack} without the policy pack`);
        for (const pack of run.packs) {
          if (!trustedCheckout(wf, job, checkoutOf(job, pack))) problems.push(`${where}: the policy pack ${pack} is not in a trusted checkout (the base commit on pull requests, main itself otherwise)`);
        }
        problems.push(...policyStackProblems(wf, job, step, run.stack, where));
      }
    }
  }
  return problems;
}

/** In a job that runs `up` on a protected stack, the real preview of that stack runs first. */
export function previewBeforeUpProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const job of wf.jobs.filter((j) => environmentOf(j) !== "")) {
    job.steps.forEach((step, i) => {
      if (pulumiActionCommand(step) !== "up") return;
      const stack = str(step.with["stack-name"]);
      const previewed = job.steps.slice(0, i).some((s) => pulumiActionCommand(s) === "preview" && str(s.with["stack-name"]) === stack);
      if (!previewed && !job.steps.slice(0, i).some((s) => pulumiActionCommand(s) === "refresh")) {
        problems.push(`${wf.file} job ${job.id}: \`up\` of ${stack} without a \`pulumi preview\` of it earlier in the same job`);
      }
    });
  }
  return problems;
}

/** A comment that cannot be posted must not fail the job, or skip the deploy after it. */
export function commentProblems(wf: Workflow): string[] {
  return wf.jobs.flatMap((job) =>
    job.steps
      .filter((s) => isCommentStep(s) && s.raw["continue-on-error"] !== true)
      .map((s) => `${wf.file} job ${job.id} step ${s.name ?? s.index + 1}: a failing comment would stop the job; set continue-on-error: true`),
  );
}

/** The refresh of a disaster recovery may drop a lost cluster's objects (on request); nothing else may. */
export function disasterRecoveryProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const input = asDict(asDict(asDict(triggers(wf).workflow_dispatch).inputs)["cluster-lost"]);
  for (const job of wf.jobs) {
    for (const step of job.steps) {
      const where = `${wf.file} job ${job.id} step ${step.name ?? step.index + 1}`;
      const sets = str(step.env.PULUMI_K8S_DELETE_UNREACHABLE);
      const refresh = pulumiActionCommand(step) === "refresh" && str(step.with["stack-name"]) === "prod";
      if (refresh && !/^\$\{\{\s*inputs\.cluster-lost\s*\}\}$/.test(sets)) problems.push(`${where}: a lost cluster cannot be refreshed: set PULUMI_K8S_DELETE_UNREACHABLE: \${{ inputs.cluster-lost }}`);
      if (refresh && (input.type !== "boolean" || input.default !== false)) problems.push(`${where}: needs a workflow_dispatch input cluster-lost (boolean, default false)`);
      if (!refresh && sets !== "") problems.push(`${where}: PULUMI_K8S_DELETE_UNREACHABLE outside the disaster-recovery refresh would forget objects of a cluster that is only unreachable`);
    }
    if ("PULUMI_K8S_DELETE_UNREACHABLE" in job.env) problems.push(`${wf.file} job ${job.id}: PULUMI_K8S_DELETE_UNREACHABLE on the whole job reaches \`up\` too`);
  }
  if ("PULUMI_K8S_DELETE_UNREACHABLE" in wf.env) problems.push(`${wf.file}: PULUMI_K8S_DELETE_UNREACHABLE on the whole workflow`);
  return problems;
}
