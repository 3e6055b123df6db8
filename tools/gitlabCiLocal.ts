/**
 * gitlab-ci-local (a devDependency, pinned at 4.62.x: later releases need Node 22), a GitLab CI
 * interpreter that parses, validates (GitLab's JSON schema) and expands a `.gitlab-ci.yml` offline.
 * It reads the file from a git repository and takes project facts from it (remote, branch), so
 * each call runs in a throwaway repository holding only the file, on branch `main`, with
 * `origin` pointing at gitlab.com/acme/dagster-platform and its default branch `main`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_DIR } from "./cache";

export interface GitlabCiLocalRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The predefined variables a pipeline of each kind has (docs.gitlab.com/ci/variables/predefined_variables). */
export const PIPELINES: Record<"mergeRequest" | "main" | "schedule" | "disasterRecovery", Record<string, string>> = {
  mergeRequest: {
    CI_PIPELINE_SOURCE: "merge_request_event",
    CI_MERGE_REQUEST_IID: "42",
    CI_MERGE_REQUEST_SOURCE_PROJECT_ID: "1234",
    CI_PROJECT_ID: "1234",
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/new-asset",
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
    CI_COMMIT_BRANCH: "",
  },
  main: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main", CI_PROJECT_ID: "1234" },
  schedule: { CI_PIPELINE_SOURCE: "schedule", CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main", CI_PROJECT_ID: "1234", REAPER: "true" },
  // "Run pipeline" on the default branch with the variables the disaster-recovery job asks for.
  disasterRecovery: { CI_PIPELINE_SOURCE: "web", CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main", CI_PROJECT_ID: "1234", DR_REASON: "cluster deleted", DR_CLUSTER_LOST: "true" },
};

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
}

/** Runs gitlab-ci-local on `ciFile` (a copy of it) with `args` and `--variable` for each of `variables`. */
export function gitlabCiLocal(ciFile: string, args: string[], variables: Record<string, string> = {}): GitlabCiLocalRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitlab-ci-local-"));
  try {
    git(dir, "init", "-q", "-b", "main");
    git(dir, "remote", "add", "origin", "https://gitlab.com/acme/dagster-platform.git");
    git(dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
    fs.copyFileSync(ciFile, path.join(dir, ".gitlab-ci.yml"));
    git(dir, "add", ".gitlab-ci.yml");
    git(dir, "commit", "-q", "-m", "ci file");
    const bin = path.join(PROJECT_DIR, "node_modules", ".bin", "gitlab-ci-local");
    const vars = Object.entries(variables).flatMap(([k, v]) => ["--variable", `${k}=${v}`]);
    const r = spawnSync(bin, [...args, ...vars, "--cwd", ".", "--home", dir, "--no-color"], { cwd: dir, encoding: "utf8", env: { ...process.env, HOME: dir, NO_COLOR: "1" } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface ListedJob {
  name: string;
  stage: string;
  /** `never` when the pipeline's rules exclude the job. */
  when: string;
}

/** The jobs a pipeline would have (`--list-json`, rules evaluated with the pipeline's variables). */
export function pipelineJobs(ciFile: string, variables: Record<string, string>): ListedJob[] {
  const r = gitlabCiLocal(ciFile, ["--list-json"], variables);
  if (r.status !== 0) throw new Error(`gitlab-ci-local --list-json failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const start = r.stdout.search(/^\[/m);
  if (start < 0) throw new Error(`gitlab-ci-local printed no job list:\n${r.stdout}`);
  return (JSON.parse(r.stdout.slice(start)) as ListedJob[]).filter((j) => j.when !== "never");
}

/** The file as the interpreter expands it (`--preview`: includes, extends, default and anchors resolved). */
export function previewPipeline(ciFile: string, variables: Record<string, string>): Record<string, unknown> {
  const r = gitlabCiLocal(ciFile, ["--preview"], variables);
  if (r.status !== 0) throw new Error(`gitlab-ci-local --preview failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const start = r.stdout.indexOf("---\n");
  return parse(start >= 0 ? r.stdout.slice(start + 4) : r.stdout) as Record<string, unknown>;
}
