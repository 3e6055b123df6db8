/**
 * What `.gitlab-ci.yml`'s deploying jobs must do around `up`, as for GitHub (pipelineChecks.ts):
 * the policy pack from a trusted checkout, told the stack; the real preview before a protected
 * `up`; a reaper that asks GitLab; a disaster-recovery refresh that copes with a lost cluster.
 */
import { GitlabJob, gitlabStacks, jobVariable, onlyOnDefaultBranch } from "./gitlab";

const POLICY_LINE = /(?:^|[\s;&|(])pulumi\s+(?:preview|up|update)\b/;

function trustedLinkProblems(j: GitlabJob, where: string): string[] {
  const lines = j.script.split("\n");
  const up = lines.findIndex((l) => /\bnpm run branch -- up\b/.test(l));
  const before = lines.slice(0, up).join("\n");
  const fetch = /git fetch [^\n]*refs\/heads\/\$\{?CI_MERGE_REQUEST_TARGET_BRANCH_NAME\}?/.test(before);
  const worktree = /git worktree add --detach (\/\S+) FETCH_HEAD/.exec(before);
  const link = worktree && new RegExp(`ln -s ${worktree[1].replace(/[/.]/g, "\\$&")}/policy policy\\b`).test(before);
  return fetch && link ? [] : [`${where}: runs the merge request's own policy/; link policy to a worktree of the target branch first`];
}

/** Every preview/up passes the pack from a trusted checkout, and the pack is told the stack. */
export function gitlabPolicyProblems(file: string, jobs: GitlabJob[]): string[] {
  const problems: string[] = [];
  for (const j of jobs) {
    const where = `${file} job ${j.name}`;
    const stacks = gitlabStacks(j);
    const direct = j.script.split("\n").filter((l) => POLICY_LINE.test(l));
    const lifecycle = /\bnpm run branch -- up\b/.test(j.script);
    if (direct.length === 0 && !lifecycle) continue;
    for (const line of direct) {
      if (!/--policy-pack[= ]policy\b/.test(line)) problems.push(`${where}: \`${line.trim()}\` runs without --policy-pack policy`);
    }
    // A default-branch job's own checkout is the reviewed code; anything else must link.
    if (direct.length > 0 && !onlyOnDefaultBranch(j)) problems.push(`${where}: runs the pack of an unreviewed checkout`);
    if (lifecycle) problems.push(...trustedLinkProblems(j, where));
    const told = jobVariable(j, "DAGSTER_PLATFORM_POLICY_STACK");
    if (stacks.length === 1 && told !== stacks[0]) problems.push(`${where}: the policy pack is not told the stack (DAGSTER_PLATFORM_POLICY_STACK "${told}", stack "${stacks[0]}")`);
  }
  return problems;
}

/** A protected `up` follows the real preview of the same stack in the same job (a DR refresh stands in for it). */
export function gitlabPreviewBeforeUpProblems(file: string, jobs: GitlabJob[]): string[] {
  const problems: string[] = [];
  for (const j of jobs) {
    const lines = j.script.split("\n");
    lines.forEach((line, i) => {
      const up = /(?:^|[\s;&|(])pulumi\s+up\b[^\n]*--stack[= ]"?([^"\s]+)/.exec(line);
      if (!up || !/^(prod|preview)$/.test(up[1])) return;
      const earlier = lines.slice(0, i).join("\n");
      if (!new RegExp(`pulumi\\s+(?:preview|refresh)\\b[^\\n]*--stack[= ]"?${up[1]}\\b`).test(earlier)) problems.push(`${file} job ${j.name}: \`up\` of ${up[1]} without a preview of it first`);
    });
  }
  return problems;
}

/**
 * `npm run branch -- reap` asks GitHub about pull requests: on GitLab it would judge merge requests
 * by the wrong numbers. And the reaper, on the default branch, never destroys: `pulumi destroy`
 * (or `down`) runs code a merge request wrote into its stack's state (lifecycle/retire.ts).
 */
export function gitlabReaperProblems(file: string, jobs: GitlabJob[]): string[] {
  const problems = jobs
    .filter((j) => /\bnpm run branch -- reap\b/.test(j.script))
    .map((j) => `${file} job ${j.name}: \`npm run branch -- reap\` compares merge-request IIDs with GitHub pull-request numbers and can destroy open review environments; use npm run reap:gitlab`);
  for (const j of jobs.filter((x) => /\bnpm run reap:gitlab\b/.test(x.script) && /\bnpm run branch -- down\b|\bpulumi\s+destroy\b/.test(x.script))) {
    problems.push(`${file} job ${j.name}: the reaper destroys a branch stack, running code from its state on the default branch; it may only retire (npm run branch -- retire)`);
  }
  return problems;
}

/** The DR refresh may drop a lost cluster's objects (DR_CLUSTER_LOST); no other pulumi line may. */
export function gitlabDisasterRecoveryProblems(file: string, jobs: GitlabJob[]): string[] {
  const problems: string[] = [];
  for (const j of jobs) {
    for (const line of j.script.split("\n")) {
      const sets = /PULUMI_K8S_DELETE_UNREACHABLE=("?)([^\s"]*)\1/.exec(line);
      const refresh = /pulumi\s+refresh\b[^\n]*--stack[= ]prod\b/.test(line);
      if (refresh && sets?.[2] !== "${DR_CLUSTER_LOST:-false}") problems.push(`${file} job ${j.name}: the prod refresh cannot cope with a lost cluster: PULUMI_K8S_DELETE_UNREACHABLE="\${DR_CLUSTER_LOST:-false}"`);
      if (!refresh && sets) problems.push(`${file} job ${j.name}: PULUMI_K8S_DELETE_UNREACHABLE outside the DR refresh: \`${line.trim()}\``);
    }
    if (jobVariable(j, "PULUMI_K8S_DELETE_UNREACHABLE") !== "") problems.push(`${file} job ${j.name}: PULUMI_K8S_DELETE_UNREACHABLE as a job variable reaches \`up\` too`);
  }
  return problems;
}
