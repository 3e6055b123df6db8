/**
 * `.gitlab-ci.yml` as the checks see it: jobs with `extends` and `default:` resolved the way GitLab
 * does (hashes merged deeply, everything else replaced), their script lines, the stack they act on
 * and the deployer they authenticate as. The same model reads gitlab-ci-local's `--preview`
 * output (already resolved by a real interpreter), so the e2e suite runs these checks on what
 * GitLab itself would run.
 */
import { DR_DRILL, PULUMI_ANY, PULUMI_OUTPUT } from "./workflows";
import { asDict, asList, Dict, isDict, str } from "./yaml";

export const GITLAB_GLOBAL_KEYS = new Set(["default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script", "spec"]);
/** Keys a job inherits from `default:` when it does not set them. */
const GITLAB_DEFAULT_KEYS = ["after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens", "image", "interruptible", "retry", "services", "tags", "timeout"];
export const SCRIPT_KEYS = ["before_script", "script", "after_script"] as const;

function deepMerge(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isDict(v) && isDict(out[k]) ? deepMerge(asDict(out[k]), v) : v;
  return out;
}

/** A job as GitLab runs it: `extends` merged in order (hashes deeply, the rest replaced). */
export function resolveGitlabJob(doc: Dict, name: string, seen: string[] = []): Dict {
  if (seen.includes(name)) throw new Error(`extends cycle: ${[...seen, name].join(" -> ")}`);
  const job = asDict(doc[name]);
  let merged: Dict = {};
  for (const parent of asList(job.extends)) merged = deepMerge(merged, resolveGitlabJob(doc, str(parent), [...seen, name]));
  const { extends: _extends, ...own } = job;
  void _extends;
  return deepMerge(merged, own);
}

export interface GitlabJob {
  name: string;
  job: Dict;
  /** Every script line, before_script and after_script included; a non-string item as its JSON. */
  script: string;
}

const lineOf = (item: unknown): string => (typeof item === "string" ? item : JSON.stringify(item));

export function scriptLines(job: Dict, keys: readonly string[] = SCRIPT_KEYS): string[] {
  return keys.flatMap((k) => asList(job[k]).flat(8).map(lineOf));
}

export function gitlabJobs(doc: Dict): GitlabJob[] {
  const defaults = asDict(doc.default);
  return Object.keys(doc)
    .filter((k) => !GITLAB_GLOBAL_KEYS.has(k) && !k.startsWith("."))
    .map((name) => {
      const job: Dict = { ...resolveGitlabJob(doc, name) };
      for (const key of GITLAB_DEFAULT_KEYS) if (!(key in job) && key in defaults) job[key] = defaults[key];
      return { name, job, script: scriptLines(job).join("\n") };
    });
}

export const normalizeVars = (s: string) => s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, "$$$1");
export const jobVariables = (j: GitlabJob): Dict => asDict(j.job.variables);
export const jobVariable = (j: GitlabJob, name: string): string => normalizeVars(str(jobVariables(j)[name]));

export function gitlabStacks(j: GitlabJob): string[] {
  const stacks = new Set<string>();
  if (/\bnpm run (?:branch -- reap|reap:gitlab)\b/.test(j.script)) stacks.add("reaper");
  for (const m of j.script.matchAll(/\bnpm run branch -- (?:up|down|comment)\b[^\n]*?--pr\s+"?([^"\s]+)"?/g)) stacks.add(`pr-${normalizeVars(m[1])}`);
  if (DR_DRILL.test(j.script)) stacks.add("drill");
  for (const line of j.script.split("\n")) {
    if (!PULUMI_ANY.test(line) || PULUMI_OUTPUT.test(line)) continue;
    const s = /--stack[= ]"?([^"\s]+)"?/.exec(line);
    stacks.add(s ? normalizeVars(s[1]) : "(no --stack)");
  }
  return [...stacks];
}

/** The rule conditions a job runs under; a job without rules runs in every pipeline the workflow allows. */
export function ruleConditions(j: GitlabJob): { if: string; never: boolean }[] {
  return asList(j.job.rules).map((r) => ({ if: str(asDict(r).if), never: str(asDict(r).when) === "never" }));
}

/** Whether a merge-request pipeline can run the job. */
export function runsOnMergeRequests(j: GitlabJob): boolean {
  const rules = ruleConditions(j);
  if (rules.length === 0) return true;
  return rules.some((r) => !r.never && (r.if === "" || /merge_request_event/.test(r.if) || !/CI_PIPELINE_SOURCE\s*==/.test(r.if)));
}

/** Whether every rule that runs the job requires the default branch. */
export function onlyOnDefaultBranch(j: GitlabJob): boolean {
  const rules = ruleConditions(j).filter((r) => !r.never);
  return rules.length > 0 && rules.every((r) => /\$CI_COMMIT_BRANCH\s*==\s*\$CI_DEFAULT_BRANCH/.test(r.if) && !/merge_request_event/.test(r.if));
}
