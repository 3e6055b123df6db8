/**
 * scripts/impact.ts and scripts/prod-impact.ts: what a pull request does to prod, from two offline
 * plans. The plans here are small hand-written PlanDirs (the shape `npm run plan` writes, see
 * offline/plan.ts), so every expected line is written out, not computed by the code under test.
 */
import { strict as assert } from "assert";
import { IssueComment, GitHubClient, PullRequestInfo } from "../lifecycle/github";
import { PlanDir } from "../lifecycle/planDiff";
import { PlanEntry, PlannedLocation } from "../offline/plan";
import { ResourceOptionsRecord } from "../offline/record";
import { compareProdPlans, IMPACT_MARKER, renderImpact } from "../scripts/impact";
import { parseImpactArgs, upsertImpactComment } from "../scripts/prod-impact";

const OPTIONS: ResourceOptionsRecord = { protect: false, deleteBeforeReplace: false, replaceOnChanges: [], ignoreChanges: [], retainOnDelete: false, dependsOn: [], replaceWith: [] };
const entry = (type: string, name: string, inputs: Record<string, unknown> = {}, options: Partial<ResourceOptionsRecord> = {}): PlanEntry => ({ type, name, parent: null, inputs, options: { ...OPTIONS, ...options } });
const location = (name: string, image: string): PlannedLocation => ({ name, release: `code-${name}`, image, target: ["-m", name], port: 3030, env: {}, secrets: [] });
const plan = (resources: PlanEntry[], locations: PlannedLocation[] = []): PlanDir => ({ resources, locations });

const SQL = "gcp:sql/databaseInstance:DatabaseInstance";
const BUCKET = "gcp:storage/bucket:Bucket";
const RELEASE = "kubernetes:helm.sh/v3:Release";

describe("prod impact (offline plans)", () => {
  it("finds creations, deletions, input and option changes, and nothing for identical resources", () => {
    const base = plan([entry(SQL, "postgres", { tier: "db-custom-2-7680" }, { protect: true }), entry(BUCKET, "logs", { location: "EU" }), entry(RELEASE, "dagster", { version: "1.13.19" })]);
    const head = plan([entry(SQL, "postgres", { tier: "db-custom-4-15360" }, { protect: false }), entry(RELEASE, "dagster", { version: "1.13.19" }), entry(BUCKET, "defs", { location: "EU" })]);
    const impact = compareProdPlans(base, head);
    assert.deepEqual(
      impact.resources.map((r) => [r.kind, r.type, r.name, r.dangerous]),
      [
        ["delete", BUCKET, "logs", true],
        ["update", SQL, "postgres", true],
        ["create", BUCKET, "defs", false],
      ],
    );
    const sql = impact.resources[1];
    assert.deepEqual(sql.inputs, [{ path: "tier", before: "db-custom-2-7680", after: "db-custom-4-15360" }]);
    assert.deepEqual(sql.options, [{ path: "protect", before: true, after: false }]);
    assert.deepEqual(impact.totals, { base: 3, head: 3 });
  });

  it("renders a comment that starts with its marker, counts the changes and flags what a reviewer must not miss", () => {
    const base = plan([entry(SQL, "postgres", {}, { protect: true }), entry(BUCKET, "logs")], [location("etl", "r/etl:1")]);
    const head = plan([entry(SQL, "postgres", {}, { protect: false })], [location("etl", "r/etl:2"), location("new", "r/new:1")]);
    const body = renderImpact(compareProdPlans(base, head));
    assert.ok(body.startsWith(`${IMPACT_MARKER}\n## What this pull request does to \`prod\` (offline plan)`));
    assert.match(body, /^0 to create, 1 to update, 1 to delete \(2 → 1 resources\)\.$/m);
    assert.match(body, /\*\*2 deletion\(s\) or unprotection\(s\) below: review them before merging\.\*\*/);
    assert.match(body, /^- `-` `gcp:storage\/bucket:Bucket` `logs` ⚠️ deleted$/m);
    assert.match(body, /^- `~` `gcp:sql\/databaseInstance:DatabaseInstance` `postgres` ⚠️ `protect` switched off$/m);
    assert.match(body, /^ {2}- option `protect`: `true` → `false`$/m);
    assert.match(body, /^- `etl` changed: image$/m);
    assert.match(body, /^- `new` added$/m);
  });

  it("says so when nothing changes, and cuts a comment GitHub would refuse", () => {
    assert.match(renderImpact(compareProdPlans(plan([entry(BUCKET, "b")]), plan([entry(BUCKET, "b")]))), /No change: both commits plan the same 1 resources\./);
    const many = (v: string) => plan(Array.from({ length: 600 }, (_, i) => entry(BUCKET, `bucket-${i}`, Object.fromEntries(Array.from({ length: 10 }, (__, k) => [`k${k}`, `${v}-${"x".repeat(40)}`])))));
    const body = renderImpact(compareProdPlans(many("a"), many("b")));
    assert.ok(body.length < 65536, `${body.length} characters`);
    assert.match(body, /Too long for a comment/);
    assert.match(body, /… and 2 more/, "at most 8 paths a resource");
  });

  it("parses its command line strictly", () => {
    assert.deepEqual(parseImpactArgs(["--base", "b", "--head", "h", "--pr", "12"]), { base: "b", head: "h", stack: "prod", out: undefined, pr: 12 });
    assert.throws(() => parseImpactArgs(["--base", "b"]), /--base and --head are required/);
    assert.throws(() => parseImpactArgs(["--base", "b", "--head", "h", "--pr", "12a"]), /--pr must be a pull-request number/);
    assert.throws(() => parseImpactArgs(["--base", "b", "--head", "h", "--comment"]), /unknown argument --comment/);
    assert.throws(() => parseImpactArgs(["--base", "b", "--base", "c", "--head", "h"]), /--base given twice/);
  });

  it("edits its own comment in place, and never the branch deployment's", async () => {
    const comments: IssueComment[] = [{ id: 1, body: "<!-- dagster-platform:branch-deployment -->\nbranch" }];
    const calls: string[] = [];
    const github: GitHubClient = {
      getPullRequest: async (): Promise<PullRequestInfo | undefined> => undefined,
      listComments: async () => comments.map((c) => ({ ...c })),
      createComment: async (_pr, body) => {
        calls.push("create");
        const c = { id: comments.length + 1, body };
        comments.push(c);
        return c;
      },
      updateComment: async (id, body) => {
        calls.push(`update ${id}`);
        (comments.find((c) => c.id === id) as IssueComment).body = body;
      },
    };
    assert.equal(await upsertImpactComment(github, 7, `${IMPACT_MARKER}\none`), "created");
    assert.equal(await upsertImpactComment(github, 7, `${IMPACT_MARKER}\none`), "unchanged");
    assert.equal(await upsertImpactComment(github, 7, `${IMPACT_MARKER}\ntwo`), "updated");
    assert.deepEqual(calls, ["create", "update 2"]);
    assert.equal(comments[0].body, "<!-- dagster-platform:branch-deployment -->\nbranch");
  });
});
