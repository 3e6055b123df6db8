/**
 * .gitlab-ci.yml: every script item a string (GitLab rejects the whole file otherwise), locks per
 * stack, review environments that stop, the three deployers held to their pipelines and
 * environments, the trusted policy pack, a reaper that asks GitLab, a DR refresh that copes with
 * a lost cluster. Each rule runs on the real file, on the file as it was before these rules
 * (test/fixtures/ci/gitlab-ci.broken-script.yml, which GitLab rejected), and on small broken
 * fixtures. test/e2e/30-gitlab.e2e.ts runs the same rules on a real GitLab CI interpreter's
 * expansion of the file, and that interpreter's own validation.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { gitlabJobs, normalizeVars } from "./helpers/ci/gitlab";
import { gitlabIdentityProblems, gitlabProblems, scriptItemProblems } from "./helpers/ci/gitlabChecks";
import { gitlabDisasterRecoveryProblems, gitlabPolicyProblems, gitlabPreviewBeforeUpProblems, gitlabReaperProblems } from "./helpers/ci/gitlabPipelineChecks";
import { lockedPulumiVersion } from "./helpers/ci/cliContract";
import { asDict, asList, CI_FIXTURES, Dict, expectNone, expectSome, GITLAB_FILE, str } from "./helpers/ci/yaml";

const text = () => fs.readFileSync(GITLAB_FILE, "utf8");
const brokenText = () => fs.readFileSync(path.join(CI_FIXTURES, "gitlab-ci.broken-script.yml"), "utf8");
const jobsOf = (t: string) => gitlabJobs(asDict(parse(t)));

/** Every rule of this file on one document. */
function allRules(file: string, t: string): string[] {
  const jobs = jobsOf(t);
  return [
    ...gitlabProblems(file, t),
    ...scriptItemProblems(file, asDict(parse(t))),
    ...gitlabIdentityProblems(file, jobs),
    ...gitlabPolicyProblems(file, jobs),
    ...gitlabPreviewBeforeUpProblems(file, jobs),
    ...gitlabReaperProblems(file, jobs),
    ...gitlabDisasterRecoveryProblems(file, jobs),
  ];
}

describe(".gitlab-ci.yml", () => {
  it("passes every rule", () => {
    expectNone(allRules(".gitlab-ci.yml", text()));
  });

  it("locks every pulumi job to its stack and names the deployer of each", () => {
    const jobs = new Map(jobsOf(text()).map((j) => [j.name, j]));
    const groups = new Map([...jobs].map(([n, j]) => [n, normalizeVars(str(j.job.resource_group))]));
    // Not vacuous: the jobs that matter are all seen as running pulumi.
    assert.equal(groups.get("prod:up"), "pulumi-prod");
    assert.equal(groups.get("prod:disaster-recovery"), "pulumi-prod");
    assert.equal(groups.get("preview:up"), "pulumi-preview");
    assert.equal(groups.get("review:deploy"), "pulumi-pr-$CI_MERGE_REQUEST_IID");
    assert.equal(groups.get("review:stop"), "pulumi-pr-$CI_MERGE_REQUEST_IID");
    assert.equal(groups.get("reaper"), "pulumi-reaper");
    const sa = (name: string) => str(asDict(jobs.get(name)?.job.variables).WIF_SERVICE_ACCOUNT);
    assert.equal(sa("prod:up"), "$PROD_GCP_SERVICE_ACCOUNT");
    assert.equal(sa("prod:disaster-recovery"), "$PROD_GCP_SERVICE_ACCOUNT");
    assert.equal(sa("preview:up"), "$PREVIEW_GCP_SERVICE_ACCOUNT");
    for (const n of ["review:deploy", "review:stop", "reaper"]) assert.equal(sa(n), "$BRANCH_GCP_SERVICE_ACCOUNT", n);
  });

  it("has the same stages: merge-request pipelines, test, offline plans and prod impact, review/<IID>, preview and prod on the default branch, a scheduled reaper", () => {
    const doc = asDict(parse(text()));
    const jobs = new Map(jobsOf(text()).map((j) => [j.name, j]));
    const get = (name: string) => {
      const j = jobs.get(name);
      assert.ok(j, `no job ${name}`);
      return j;
    };
    assert.match(get("test").script, /npm test/);
    assert.equal((get("plan").script.match(/npm run plan -- /g) ?? []).length, 3, "head branch, head prod and base prod plans");
    assert.match(get("plan").script, /npm run plan:impact -- --base plans\/base --head plans\/prod-head/);
    const review = asDict(get("review:deploy").job.environment);
    assert.equal(review.name, "review/$CI_MERGE_REQUEST_IID");
    assert.equal(review.on_stop, "review:stop");
    assert.ok(str(review.auto_stop_in));
    assert.match(get("review:deploy").script, /npm run branch -- up --pr "\$CI_MERGE_REQUEST_IID"/);
    assert.equal(asDict(asList(get("review:stop").job.rules)[0]).when, "manual");
    assert.match(str(asDict(asList(get("reaper").job.rules)[0]).if), /schedule/);
    assert.match(get("reaper").script, /npm run reap:gitlab/);
    assert.equal(str(asDict(doc.variables).PULUMI_VERSION), lockedPulumiVersion());
  });

  describe("the file as it was: rejected by GitLab, and insecure", () => {
    it("has non-string script items, which the script rule names", () => {
      expectSome(scriptItemProblems("old.yml", asDict(parse(brokenText()))), /prod:disaster-recovery script item 2 is \{/, /prod:disaster-recovery script item 3 is \{/);
    });

    it("fails the identity, policy, reaper and disaster-recovery rules", () => {
      const jobs = jobsOf(brokenText());
      expectSome(gitlabIdentityProblems("old.yml", jobs), /job prod:preview: authenticates without naming a deployer/, /prod:up: authenticates without naming a deployer/);
      expectSome(gitlabPolicyProblems("old.yml", jobs), /prod:up: `pulumi up --stack prod[^`]*` runs without --policy-pack policy/, /review:deploy: runs the merge request's own policy/);
      expectSome(gitlabReaperProblems("old.yml", jobs), /compares merge-request IIDs with GitHub pull-request numbers/);
      expectSome(gitlabDisasterRecoveryProblems("old.yml", jobs), /cannot cope with a lost cluster/);
      expectSome(gitlabPreviewBeforeUpProblems("old.yml", jobs), /prod:up: `up` of prod without a preview/);
    });
  });
});

/** One edit of the real file; the edit must apply, so a fixture never silently stops being broken. */
function mutate(t: string, from: string, to: string): string {
  assert.ok(t.includes(from), `the fixture edit no longer applies: ${JSON.stringify(from)}`);
  return t.replace(from, to);
}

describe(".gitlab-ci.yml rules fail on broken files (one edit of the real file each)", () => {
  const cases: [string, string, string, RegExp][] = [
    ["prod:up on merge requests", "  extends: [.prod-deployer, .default-branch-push]", "  extends: [.prod-deployer, .same-project-mr]", /prod:up \(runs on merge requests\): authenticates as the prod deployer/],
    ["prod:up outside production", "  environment:\n    name: production\n  script:\n    - npm ci --prefer-offline --no-audit\n    # The default", "  environment:\n    name: staging\n  script:\n    - npm ci --prefer-offline --no-audit\n    # The default", /prod:up: acts as the prod deployer outside the protected environment "production"/],
    ["a token for another provider", "      aud: https://iam.googleapis.com/$PROD_GCP_WORKLOAD_IDENTITY_PROVIDER", "      aud: https://iam.googleapis.com/$BRANCH_GCP_WORKLOAD_IDENTITY_PROVIDER", /prod:up: its ID token's audience/],
    ["the prod account behind the branch provider", "    WIF_SERVICE_ACCOUNT: $BRANCH_GCP_SERVICE_ACCOUNT", "    WIF_SERVICE_ACCOUNT: $PROD_GCP_SERVICE_ACCOUNT", /review:deploy: the prod deployer's service account through the branch deployer's provider/],
    ["branches in prod's backend", "    PULUMI_BACKEND_URL: $PREVIEW_PULUMI_BACKEND_URL\n    PULUMI_SECRETS_PROVIDER", "    PULUMI_BACKEND_URL: $PROD_PULUMI_BACKEND_URL\n    PULUMI_SECRETS_PROVIDER", /review:deploy \(runs on merge requests\): references a prod deployer setting/],
    ["a review environment called production", "    name: review/$CI_MERGE_REQUEST_IID\n    url:", "    name: production\n    url:", /review:deploy: the branch deployer in the protected environment "production"/],
    ["prod up without the pack", 'pulumi up --stack prod --yes --diff --non-interactive --policy-pack policy --message "$CI_COMMIT_TITLE"', 'pulumi up --stack prod --yes --diff --non-interactive --message "$CI_COMMIT_TITLE"', /prod:up: `pulumi up --stack prod[^`]*` runs without --policy-pack policy/],
    ["the MR's own pack", "    - rm -rf policy && ln -s /tmp/trusted/policy policy && test -f policy/PulumiPolicy.yaml\n", "", /review:deploy: runs the merge request's own policy/],
    ["the pack told another stack", "    DAGSTER_PLATFORM_POLICY_STACK: prod", "    DAGSTER_PLATFORM_POLICY_STACK: preview", /prod:up: the policy pack is not told the stack/],
    ["prod up without a preview", "    - pulumi preview --stack prod --diff --non-interactive --policy-pack policy\n", "", /prod:up: `up` of prod without a preview/],
    ["a reaper that asks GitHub", "    - npm run reap:gitlab", "    - npm run branch -- reap --max-age-days 7", /compares merge-request IIDs with GitHub pull-request numbers/],
    ["a reaper that destroys", "    - npm run reap:gitlab", '    - npm run reap:gitlab\n    - pulumi destroy --stack "pr-$STALE" --yes', /the reaper destroys a branch stack, running code from its state/],
    ["delete-unreachable on up", "    - 'pulumi up --stack prod --yes --diff --non-interactive --policy-pack policy --message \"disaster recovery: $DR_REASON\"'", "    - 'PULUMI_K8S_DELETE_UNREACHABLE=true pulumi up --stack prod --yes --diff --non-interactive --policy-pack policy --message \"disaster recovery: $DR_REASON\"'", /outside the DR refresh/],
    ["a DR refresh that cannot cope with a lost cluster", "'PULUMI_K8S_DELETE_UNREACHABLE=\"${DR_CLUSTER_LOST:-false}\" pulumi refresh", "'pulumi refresh", /cannot cope with a lost cluster/],
    ["an unquoted `: ` in a script line", "    - 'pulumi up --stack prod --yes --diff --non-interactive --policy-pack policy --message \"disaster recovery: $DR_REASON\"'", '    - pulumi up --stack prod --yes --diff --non-interactive --policy-pack policy --message "disaster recovery: $DR_REASON"', /prod:disaster-recovery script item 3 is \{/],
  ];
  for (const [what, from, to, pattern] of cases) {
    it(what, () => {
      expectSome(allRules("broken.yml", mutate(text(), from, to)), pattern);
    });
  }

  it("a script item nested in a list is checked too, and a top-level before_script", () => {
    const doc: Dict = { before_script: [["ok", { a: 1 }]], x: { script: "fine", after_script: [1] } };
    expectSome(scriptItemProblems("n.yml", doc), /top-level before_script item 1\.2 is \{"a":1\}/, /x after_script item 1 is 1/);
  });
});

describe("GitLab lock and review checker fails on broken files", () => {
  it("GitLab: pulumi without a resource_group, a wrong or shared group, interruptible, review env without on_stop/auto_stop_in, a key file", () => {
    const base = [
      "workflow:",
      "  rules:",
      "    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"",
      ".cloud:",
      "  interruptible: false",
      "  id_tokens:",
      "    T:",
      "      aud: x",
      "  before_script:",
      "    - gcloud iam workload-identity-pools create-cred-config p --output-file=c.json",
      "",
    ].join("\n");
    expectSome(gitlabProblems("a.yml", `${base}up:\n  extends: .cloud\n  script:\n    - pulumi up --stack prod --yes\n`), /without a resource_group/, /no review\/<IID> environment/);
    expectSome(gitlabProblems("b.yml", `${base}up:\n  extends: .cloud\n  resource_group: pulumi\n  script:\n    - pulumi up --stack prod --yes\n`), /expected "pulumi-prod"/);
    expectSome(gitlabProblems("c.yml", `${base}up:\n  resource_group: pulumi-prod\n  script:\n    - pulumi up --stack prod --yes\n`), /interruptible/, /OIDC id_token/);
    const review = (env: string, stop: string) =>
      `${base}deploy:\n  extends: .cloud\n  resource_group: pulumi-pr-$CI_MERGE_REQUEST_IID\n  environment:\n${env}  script:\n    - npm run branch -- up --pr "$CI_MERGE_REQUEST_IID" --sha s --branch b\n${stop}`;
    expectSome(gitlabProblems("d.yml", review("    name: review/$CI_MERGE_REQUEST_IID\n", "")), /without auto_stop_in/, /without on_stop/);
    expectSome(
      gitlabProblems(
        "e.yml",
        review(
          "    name: review/$CI_MERGE_REQUEST_IID\n    on_stop: stop\n    auto_stop_in: 1 week\n",
          "stop:\n  extends: .cloud\n  resource_group: pulumi-prod\n  environment:\n    name: review/$CI_MERGE_REQUEST_IID\n  script:\n    - echo nothing\n",
        ),
      ),
      /action: stop/,
      /does not run `npm run branch -- down`/,
      /resource_group differs/,
    );
    expectSome(gitlabProblems("f.yml", `${base}x:\n  script:\n    - echo "$GOOGLE_CREDENTIALS" > key.json\n`), /GOOGLE_CREDENTIALS/);
    expectSome(gitlabProblems("g.yml", "workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH\n"), /merge-request pipelines/);
  });
});
