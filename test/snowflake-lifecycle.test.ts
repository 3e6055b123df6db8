/**
 * The lifecycle's Snowflake decisions, as pure functions: which branch objects the reaper drops
 * (closed, missing, open), which LIST_BRANCHES rows it believes, and which Executes `up` replaces
 * because their objects are gone. The end-to-end flows are in lifecycle.test.ts.
 */
import { strict as assert } from "assert";
import { BranchObject, branchObjectsFromRows } from "../lifecycle/snowflake";
import { missingBranchObjects } from "../lifecycle/snowflakeDrift";
import { decideBranchObjects, PullRequestState, reapBranchObjects } from "../lifecycle/snowflakeReap";
import { Logger } from "../lifecycle/deps";
import { GitHubClient, PullRequestInfo } from "../lifecycle/github";

const open = (n: number): PullRequestInfo => ({ number: n, state: "open", merged: false });
const closed = (n: number, merged = false): PullRequestInfo => ({ number: n, state: "closed", merged });
const objectsOf = (pr: number): BranchObject[] => [
  { pullRequest: pr, kind: "DATABASE", name: `PRODUCTION_CLONE_${pr}` },
  { pullRequest: pr, kind: "ROLE", name: `DAGSTER_PR_${pr}` },
  { pullRequest: pr, kind: "USER", name: `DAGSTER_PR_${pr}` },
];

describe("reaper: which branch objects go", () => {
  const states = new Map<number, PullRequestState>([
    [1, closed(1, true)],
    [2, closed(2)],
    [3, open(3)],
    [4, "missing"],
    [5, "missing"],
    [6, "unknown"],
  ]);
  const decisions = decideBranchObjects([6, 5, 4, 3, 2, 1].flatMap(objectsOf), states, new Set([3, 5]));
  const byPr = (pr: number) => decisions.find((d) => d.pullRequest === pr);

  it("drops the objects of closed and merged pull requests, whatever their stack", () => {
    assert.deepEqual(byPr(1), { pullRequest: 1, objects: ["DATABASE PRODUCTION_CLONE_1", "ROLE DAGSTER_PR_1", "USER DAGSTER_PR_1"], action: "drop", reason: "pull request #1 is merged" });
    assert.deepEqual([byPr(2)?.action, byPr(2)?.reason], ["drop", "pull request #2 is closed"]);
  });

  it("drops the objects of a pull request GitHub does not know only when no stack owns them", () => {
    assert.deepEqual([byPr(4)?.action, byPr(4)?.reason], ["drop", "GitHub has no pull request #4 and no stack pr-4 owns them"]);
    assert.equal(byPr(5)?.action, "keep", "a stack pr-5 still answers for them");
  });

  it("keeps open pull requests' objects, and those GitHub could not be asked about", () => {
    assert.deepEqual([byPr(3)?.action, byPr(3)?.reason], ["keep", "pull request #3 is open"]);
    assert.deepEqual([byPr(6)?.action, byPr(6)?.reason], ["keep", "could not ask GitHub about #6"]);
    assert.equal(decideBranchObjects(objectsOf(7), new Map(), new Set())[0].action, "keep", "a pull request nobody asked about is not a closed one");
  });

  it("decides once per pull request, in order, whichever of its objects are left", () => {
    assert.deepEqual(decisions.map((d) => d.pullRequest), [1, 2, 3, 4, 5, 6]);
    const userOnly = decideBranchObjects([{ pullRequest: 8, kind: "USER", name: "DAGSTER_PR_8" }], new Map([[8, closed(8)]]), new Set());
    assert.deepEqual(userOnly.map((d) => [d.objects, d.action]), [[["USER DAGSTER_PR_8"], "drop"]], "a user left behind without its clone is reaped too");
  });
});

describe("reaper: objects of 0, which no pull request has (review finding 3)", () => {
  it("are dropped whatever GitHub says and whichever stacks exist", () => {
    for (const state of [open(0), "missing", "unknown"] as PullRequestState[]) {
      const [d] = decideBranchObjects(objectsOf(0), new Map([[0, state]]), new Set([0]));
      assert.deepEqual([d.action, d.reason], ["drop", "no pull request is numbered 0 (only the acceptance script's source takes it)"], JSON.stringify(state));
    }
  });

  it("are dropped without asking GitHub about #0", async () => {
    const asked: number[] = [];
    const dropped: number[] = [];
    const github = { getPullRequest: async (n: number) => (asked.push(n), { number: n, state: "open" as const, merged: false }) } as unknown as GitHubClient;
    const snowflake = { listBranchObjects: async () => [...objectsOf(0), ...objectsOf(3)], dropBranch: async (n: number) => void dropped.push(n) };
    const log = { info: () => undefined, warn: () => undefined } as unknown as Logger;
    const result = await reapBranchObjects({ snowflake, github, log }, { dryRun: false, stacks: new Set(), known: new Map() });
    assert.deepEqual([asked, dropped, result.dropped], [[3], [0], ["DATABASE PRODUCTION_CLONE_0", "ROLE DAGSTER_PR_0", "USER DAGSTER_PR_0"]]);
  });
});

describe("reaper: LIST_BRANCHES rows it acts on", () => {
  it("takes a row only when its name is exactly the one CREATE_BRANCH gives that kind for that pull request", () => {
    const row = (pr: string, kind: string, name: string) => ({ PULL_REQUEST: pr, OBJECT_KIND: kind, OBJECT_NAME: name });
    const { objects, ignored } = branchObjectsFromRows(
      [
        row("7", "DATABASE", "PRODUCTION_CLONE_7"),
        row("7", "ROLE", "DAGSTER_PR_7"),
        { pull_request: "7", object_kind: "USER", object_name: "DAGSTER_PR_7" },
        row("0", "DATABASE", "PRODUCTION_CLONE_0"),
        row("8", "DATABASE", "PRODUCTION_CLONE_9"),
        row("08", "ROLE", "DAGSTER_PR_08"),
        row("9", "DATABASE", "PRODUCTION"),
        row("9", "WAREHOUSE", "DAGSTER_PR_9"),
        row("9", "DATABASE", "ANALYTICS_CLONE_9"),
      ],
      "PRODUCTION",
    );
    assert.deepEqual(objects, [...objectsOf(7), { pullRequest: 0, kind: "DATABASE", name: "PRODUCTION_CLONE_0" }], "0 counts: no pull request has it, so what carries it is a leftover");
    assert.equal(ignored.length, 5);
    assert.match(ignored[1], /ROLE DAGSTER_PR_08 \(pull request 08\)/);
  });
});

describe("drift: a Snowflake object gone since the last deploy", () => {
  const EXECUTE = "snowflake:index/execute:Execute";
  const call = (source: string, pr: number) => `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('${source}', ${pr}, NULL, 'QUJDRA==')`;
  const rows = (...names: [string, string][]) => names.map(([kind, name]) => ({ PULL_REQUEST: "7", OBJECT_KIND: kind, OBJECT_NAME: name }));
  const clone = (queryResults: unknown, execute = call("PRODUCTION", 7)) => ({ urn: "urn:pulumi:pr-7::p::x$snowflake:index/execute:Execute::clone", type: EXECUTE, inputs: { execute }, outputs: { execute, queryResults } });

  it("a clone dropped by hand is planned again", () => {
    assert.deepEqual(missingBranchObjects([clone(rows(["ROLE", "DAGSTER_PR_7"], ["USER", "DAGSTER_PR_7"]))]), [{ urn: clone([]).urn, missing: ["DATABASE PRODUCTION_CLONE_7"] }]);
  });

  it("so are a role or a user dropped by hand, and everything when the listing is empty (the query failed)", () => {
    assert.deepEqual(missingBranchObjects([clone(rows(["DATABASE", "PRODUCTION_CLONE_7"]))])[0].missing, ["ROLE DAGSTER_PR_7", "USER DAGSTER_PR_7"]);
    assert.deepEqual(missingBranchObjects([clone(undefined)])[0].missing, ["DATABASE PRODUCTION_CLONE_7", "ROLE DAGSTER_PR_7", "USER DAGSTER_PR_7"]);
  });

  it("nothing is replaced while everything is listed, or for an Execute that is not a branch clone", () => {
    const all = rows(["DATABASE", "PRODUCTION_CLONE_7"], ["ROLE", "DAGSTER_PR_7"], ["USER", "DAGSTER_PR_7"]);
    assert.deepEqual(missingBranchObjects([clone(all)]), []);
    assert.deepEqual(missingBranchObjects([clone(all.map((r) => ({ pull_request: "7", object_kind: r.OBJECT_KIND, object_name: r.OBJECT_NAME })))]), [], "column names in either case");
    assert.deepEqual(missingBranchObjects([clone([], "SELECT 1"), clone([], call("PRODUCTION", 0)), { ...clone([]), type: "snowflake:index/database:Database" }]), []);
  });

  it("a listing of another pull request's objects does not count", () => {
    const other = rows(["DATABASE", "PRODUCTION_CLONE_8"], ["ROLE", "DAGSTER_PR_7"], ["USER", "DAGSTER_PR_7"]);
    assert.deepEqual(missingBranchObjects([clone(other)])[0].missing, ["DATABASE PRODUCTION_CLONE_7"]);
  });
});
