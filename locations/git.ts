/** `git:` metadata: what the location's image was built from (written by the code-location workflow). */
import { excerpt, show } from "./problems";
import { Dict, Reader, isDict } from "./reader";
import { GitMetadata } from "./types";

const KEYS = ["sha", "branch", "repository"];
/** An abbreviated or full commit id: SHA-1 (40) or SHA-256 (64) repositories. */
const GIT_SHA = /^([0-9a-f]{7,40}|[0-9a-f]{64})$/;
/** What git check-ref-format refuses in a branch name: control characters, space, ~ ^ : ? * [ \ and "..". */
const BAD_REF = /[\x00-\x20~^:?*[\\\x7f]|\.\.|@\{|^[./-]|[./]$|\.lock$/;
/** https://, ssh:// or scp-like git@host:path: something a person can open or clone. */
const REPOSITORY = /^(https?:\/\/|ssh:\/\/|git@)[^\s\x00-\x1f]{1,2000}$/;

export function readGit(r: Reader, doc: Dict): GitMetadata | undefined {
  const v = doc.git;
  if (v === undefined || v === null) return undefined;
  if (!isDict(v)) {
    r.add("git", `${show(v)} is not a mapping`, "write {sha, branch, repository}");
    return undefined;
  }
  r.unknownKeys(v, KEYS, "git.");
  const git: GitMetadata = {};
  const sha = r.string(v, "sha", "git.sha");
  if (sha !== undefined && !GIT_SHA.test(sha)) r.add("git.sha", `${excerpt(sha)} is not a git commit sha`, "7 to 40 (or 64) lowercase hex characters, e.g. the output of git rev-parse HEAD");
  else if (sha !== undefined) git.sha = sha;
  const branch = r.string(v, "branch", "git.branch");
  if (branch !== undefined && (BAD_REF.test(branch) || branch.length > 255)) r.add("git.branch", `${excerpt(branch)} is not a git branch name`, "what git check-ref-format --branch accepts, at most 255 characters");
  else if (branch !== undefined) git.branch = branch;
  const repository = r.string(v, "repository", "git.repository");
  if (repository !== undefined && !REPOSITORY.test(repository)) r.add("git.repository", `${excerpt(repository)} is not a repository URL`, "https://…, ssh://… or git@host:path");
  else if (repository !== undefined) git.repository = repository;
  return git;
}
