/**
 * scripts/gitlab-reap.ts: GitLab's reaper retires a branch stack only when GitLab says its merge
 * request is merged or closed. The GitLab API is answered by a stand-in `fetch` returning what
 * GET /projects/:id/merge_requests/:iid returns (docs.gitlab.com/api/merge_requests: `state` is
 * opened, closed, locked or merged; 404 for an IID the project does not have).
 */
import { strict as assert } from "assert";
import { parseBranchArgs } from "../lifecycle/args";
import { decideGitlabReap, MergeRequestState, mergeRequestState, retireArgs } from "../scripts/gitlab-reap";

function fakeFetch(answers: Record<string, { status: number; body: unknown }>, seen: { url: string; token?: string }[]): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    seen.push({ url: String(url), token: headers["PRIVATE-TOKEN"] });
    const a = answers[String(url)] ?? { status: 404, body: { message: "404 Not found" } };
    return new Response(JSON.stringify(a.body), { status: a.status, headers: { "Content-Type": "application/json" } });
  }) as typeof fetch;
}

describe("GitLab reaper", () => {
  it("retires the stacks of merged and closed merge requests, and nothing it cannot place", () => {
    const states = new Map<number, MergeRequestState>([
      [1, "merged"],
      [2, "closed"],
      [3, "opened"],
      [4, "locked"],
    ]);
    const stacks = ["prod", "preview", "pr-1", "organization/dagster-platform/pr-2", "pr-3", "pr-4", "pr-5", "pr-007", "PR-6"];
    assert.deepEqual(
      decideGitlabReap(stacks, states).map((d) => `${d.stack}:${d.state}:${d.action}`),
      ["pr-1:merged:retire", "organization/dagster-platform/pr-2:closed:retire", "pr-3:opened:keep", "pr-4:locked:keep", "pr-5:unknown:keep"],
    );
  });

  it("retires through `npm run branch -- retire`, which the lifecycle CLI parses, never `down`", () => {
    const argv = retireArgs(7);
    assert.deepEqual(argv.slice(0, 3), ["run", "branch", "--"]);
    assert.deepEqual(parseBranchArgs(argv.slice(3)), { command: "retire", pr: 7, productionDatabase: undefined, lockTimeoutSeconds: undefined });
  });

  it("asks GitLab for this project's merge request with the reaper's token; a 404 is 'unknown', an error throws", async () => {
    const seen: { url: string; token?: string }[] = [];
    const api = {
      apiUrl: "https://gitlab.example.com/api/v4/",
      projectId: "acme/dagster-platform",
      token: "glpat-x",
      fetch: fakeFetch(
        {
          "https://gitlab.example.com/api/v4/projects/acme%2Fdagster-platform/merge_requests/7": { status: 200, body: { iid: 7, state: "merged" } },
          "https://gitlab.example.com/api/v4/projects/acme%2Fdagster-platform/merge_requests/8": { status: 500, body: { message: "boom" } },
          "https://gitlab.example.com/api/v4/projects/acme%2Fdagster-platform/merge_requests/9": { status: 200, body: { iid: 9, state: "weird" } },
        },
        seen,
      ),
    };
    assert.equal(await mergeRequestState(api, 7), "merged");
    assert.equal(await mergeRequestState(api, 6), "unknown");
    assert.equal(await mergeRequestState(api, 9), "unknown", "a state it does not know keeps the stack");
    await assert.rejects(mergeRequestState(api, 8), /GitLab GET merge request !8: 500/);
    assert.ok(seen.every((s) => s.token === "glpat-x"));
  });
});
