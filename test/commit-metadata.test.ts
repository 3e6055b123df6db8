/** The head commit's metadata for the Dagster+ variables: read from a real git checkout. */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { branchConfig } from "../lifecycle/branch";
import { readCommitMetadata } from "../lifecycle/commitMetadata";

function repoWithCommit(): { dir: string; sha: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "commit-meta-"));
  const env = { ...process.env, GIT_AUTHOR_DATE: "1724871941 +0000", GIT_COMMITTER_DATE: "1724871941 +0000" };
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env, encoding: "utf8" }).trim();
  git("init", "-q");
  fs.writeFileSync(path.join(dir, "f"), "x");
  git("add", "f");
  git("-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.com", "commit", "-q", "-m", "Better attribution\n\nA body that stays out");
  return { dir, sha: git("rev-parse", "HEAD") };
}

describe("commit metadata for the Dagster+ variables", () => {
  it("reads author, time and subject of the head commit, and the repository from CI's variables", () => {
    const { dir, sha } = repoWithCommit();
    assert.deepEqual(readCommitMetadata(dir, sha, { GITHUB_REPOSITORY: "acme/dagster-platform" }), {
      commitTimestamp: "1724871941",
      commitAuthorName: "Ada Lovelace",
      commitAuthorEmail: "ada@example.com",
      commitMessage: "Better attribution",
      gitRepository: "acme/dagster-platform",
    });
    assert.equal(readCommitMetadata(dir, sha, { CI_PROJECT_PATH: "acme/platform" }).gitRepository, "acme/platform", "GitLab's name");
  });

  it("leaves out what it cannot know: a commit the checkout lacks, or a value that is not a sha", () => {
    const { dir } = repoWithCommit();
    assert.deepEqual(readCommitMetadata(dir, "0123456789abcdef0123456789abcdef01234567", {}), {});
    assert.deepEqual(readCommitMetadata(dir, "--all", {}), {}, "never an option to git");
  });

  it("becomes stack config keys that config/deployment.ts reads", () => {
    const cfg = branchConfig({ pr: 7, sha: "abcdef1", branch: "b", commit: { commitMessage: "m", gitRepository: "acme/p" } });
    assert.deepEqual(cfg["dagster-platform:commitMessage"], { value: "m" });
    assert.deepEqual(cfg["dagster-platform:gitRepository"], { value: "acme/p" });
    assert.equal(cfg["dagster-platform:commitAuthorName"], undefined);
  });
});
