/**
 * Who may deploy what in the GitHub workflows (docs/ci-cd.md, "Identities"): the prod, preview and
 * branch deployers, each only where its Workload Identity pool lets it; no job a pull request runs
 * holds prod's; the real preview before a protected `up`; the policy pack from a trusted checkout,
 * told the stack; comments that never block a deploy; a DR refresh that copes with a lost
 * cluster. Each rule runs on the real workflows, on the workflows as they were (kept in
 * test/fixtures/ci/old-*.yml: one identity for everything, the prod preview on every pull
 * request), and on one-edit mutations of the real files.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { deployerProblems, privilegedCacheProblems, prodDeployerJobs, pullRequestJobProblems } from "./helpers/ci/identityChecks";
import { commentProblems, disasterRecoveryProblems, previewBeforeUpProblems, trustedPolicyProblems } from "./helpers/ci/pipelineChecks";
import { loadFixtureWorkflow, loadWorkflows, readWorkflow, Workflow } from "./helpers/ci/workflows";
import { expectNone, expectSome, ROOT } from "./helpers/ci/yaml";

const RULES: ((wf: Workflow) => string[])[] = [deployerProblems, pullRequestJobProblems, privilegedCacheProblems, trustedPolicyProblems, previewBeforeUpProblems, commentProblems, disasterRecoveryProblems];
const allRules = (wf: Workflow) => RULES.flatMap((r) => r(wf));

const real = (name: string) => path.join(".github", "workflows", name);
const realText = (name: string) => fs.readFileSync(path.join(ROOT, real(name)), "utf8");

function mutated(name: string, from: string, to: string): Workflow {
  const t = realText(name);
  assert.ok(t.includes(from), `the fixture edit no longer applies to ${name}: ${JSON.stringify(from)}`);
  return readWorkflow(real(name), t.replace(from, to));
}

describe("CI identities (GitHub)", () => {
  const workflows = loadWorkflows();

  it("every workflow passes every identity rule", () => {
    expectNone(workflows.flatMap(allRules));
  });

  it("the prod deployer: only prod.yml's up (on push), disaster-recovery and drill, never a pull-request job", () => {
    const { all, onPush } = prodDeployerJobs(workflows);
    assert.deepEqual(onPush, [".github/workflows/prod.yml#up"]);
    assert.deepEqual(all.sort(), [".github/workflows/prod.yml#disaster-recovery", ".github/workflows/prod.yml#drill", ".github/workflows/prod.yml#up"]);
  });

  describe("the workflows as they were fail", () => {
    const oldProd = () => loadFixtureWorkflow("old-prod.yml", real("prod.yml"));
    const oldBranch = () => loadFixtureWorkflow("old-branch.yml", real("branch.yml"));

    it("old prod.yml: the prod preview of every pull request held an unnamed, all-powerful identity and ran the PR's own pack", () => {
      expectSome(pullRequestJobProblems(oldProd()), /job preview \(runs on pull requests\): authenticates as an identity that is not the branch deployer/);
      expectSome(deployerProblems(oldProd()), /job preview step auth: authenticates without naming a deployer/);
      expectSome(trustedPolicyProblems(oldProd()), /job preview step \d+: the policy pack policy is not in a trusted checkout/, /the policy pack is not told the stack/);
      expectSome(previewBeforeUpProblems(oldProd()), /job up: `up` of prod without a `pulumi preview`/);
      expectSome(disasterRecoveryProblems(oldProd()), /a lost cluster cannot be refreshed/);
    });

    it("old branch.yml: an unnamed identity, the PR's own policy pack, comments that block `up`", () => {
      expectSome(deployerProblems(oldBranch()), /job deploy step auth: authenticates without naming a deployer/);
      expectSome(trustedPolicyProblems(oldBranch()), /runs the pack at head\/policy, the pull request's own/);
      expectSome(commentProblems(oldBranch()), /Comment "deploying": a failing comment would stop the job/);
    });

    it("old prod.yml's up was one of several jobs a pull request could hold prod credentials in", () => {
      const { onPush } = prodDeployerJobs([oldProd()]);
      assert.deepEqual(onPush, [".github/workflows/prod.yml#up"]);
      expectSome(pullRequestJobProblems(oldProd()), /preview \(runs on pull requests\)/);
    });
  });

  describe("one edit of a real workflow breaks a rule", () => {
    const cases: [string, string, string, string, RegExp][] = [
      [
        "prod credentials in the pull-request impact job",
        "prod.yml",
        "      PR_NUMBER: ${{ github.event.pull_request.number }}\n    steps:\n",
        "      PR_NUMBER: ${{ github.event.pull_request.number }}\n    steps:\n      - id: auth\n        uses: google-github-actions/auth@x\n        with:\n          workload_identity_provider: ${{ vars.PROD_GCP_WORKLOAD_IDENTITY_PROVIDER }}\n          service_account: ${{ vars.PROD_GCP_SERVICE_ACCOUNT }}\n",
        /job impact \(runs on pull requests\): authenticates as the prod deployer/,
      ],
      ["prod's up outside production", "prod.yml", "    # only subject the prod deployer's pool accepts.\n    environment: production\n", "    # only subject the prod deployer's pool accepts.\n", /job up: acts as the prod deployer outside the "production" environment/],
      ["prod's up on pull requests", "prod.yml", "    if: github.event_name == 'push' && github.ref == 'refs/heads/main'\n    needs: test", "    if: github.event_name != 'workflow_dispatch'\n    needs: test", /job up \(runs on pull requests\): references a prod deployer setting/],
      ["the branch deploy as prod", "branch.yml", "          service_account: ${{ vars.BRANCH_GCP_SERVICE_ACCOUNT }}", "          service_account: ${{ vars.PROD_GCP_SERVICE_ACCOUNT }}", /deploy step auth: the prod deployer's service account through the branch deployer's provider/],
      ["a branch writing prod's backend", "branch.yml", "          PULUMI_BACKEND_URL: ${{ vars.PREVIEW_PULUMI_BACKEND_URL }}", "          PULUMI_BACKEND_URL: ${{ vars.PROD_PULUMI_BACKEND_URL }}", /job deploy \(runs on pull requests\): references a prod deployer setting/],
      ["a branch in the preview environment", "branch.yml", "    timeout-minutes: 90\n", "    timeout-minutes: 90\n    environment: preview\n", /job deploy: the branch deployer in the protected "preview" environment/],
      ["the PR's own pack", "branch.yml", '          ln -s "${GITHUB_WORKSPACE}/base/policy" head/policy\n', "", /runs the pack at head\/policy, the pull request's own/],
      ["a 'base' checkout of the head", "branch.yml", "          ref: ${{ github.event.pull_request.base.sha }}\n          path: base", "          ref: ${{ github.event.pull_request.head.sha }}\n          path: base", /links head\/policy to base\/policy, which is not a checkout of the base commit/],
      ["prod's up without the pack", "prod.yml", "          policyPacks: policy\n          message: ${{ github.event.head_commit.message }}", "          message: ${{ github.event.head_commit.message }}", /step pulumi up: prod without the policy pack/],
      ["the pack told another stack", "prod.yml", "      DAGSTER_PLATFORM_POLICY_STACK: prod\n    steps:\n      # main itself", "      DAGSTER_PLATFORM_POLICY_STACK: pr-1\n    steps:\n      # main itself", /the policy pack is not told the stack \(DAGSTER_PLATFORM_POLICY_STACK is "pr-1", the stack is "prod"\)/],
      ["the preview stack's up without its preview", "preview.yml", "          command: preview\n          stack-name: preview\n", "          command: preview\n          stack-name: prod\n", /job up: `up` of preview without a `pulumi preview` of it/],
      ["a comment that can block up", "branch.yml", '      - name: Comment "deploying"\n        id: comment-deploying\n        continue-on-error: true\n', '      - name: Comment "deploying"\n        id: comment-deploying\n', /Comment "deploying": a failing comment would stop the job/],
      ["a DR refresh that cannot drop a lost cluster", "prod.yml", "          PULUMI_K8S_DELETE_UNREACHABLE: ${{ inputs.cluster-lost }}\n", "", /a lost cluster cannot be refreshed/],
      [
        "an npm cache restored into prod's up",
        "prod.yml",
        "      DAGSTER_PLATFORM_POLICY_STACK: prod\n    steps:\n      # main itself: the merged, reviewed code, so its policy/ is the trusted pack.\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n        with:\n          persist-credentials: false\n      # No cache in a job holding a protected deployer: a cache on main is writable by any run on\n      # main, and a poisoned one would run inside this job (docs/ci-cd.md, \"Caches\").\n      - uses: actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444 # v5.0.0\n        with:\n          node-version: 20\n",
        "      DAGSTER_PLATFORM_POLICY_STACK: prod\n    steps:\n      # main itself: the merged, reviewed code, so its policy/ is the trusted pack.\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n        with:\n          persist-credentials: false\n      # No cache in a job holding a protected deployer: a cache on main is writable by any run on\n      # main, and a poisoned one would run inside this job (docs/ci-cd.md, \"Caches\").\n      - uses: actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444 # v5.0.0\n        with:\n          node-version: 20\n          cache: npm\n",
        /job up step \d+: setup-\* with cache: npm in a job holding a protected deployer/,
      ],
      ["delete-unreachable on the whole job", "prod.yml", "    env:\n      DAGSTER_PLATFORM_POLICY_STACK: prod\n    steps:\n      - uses", "    env:\n      PULUMI_K8S_DELETE_UNREACHABLE: \"true\"\n      DAGSTER_PLATFORM_POLICY_STACK: prod\n    steps:\n      - uses", /PULUMI_K8S_DELETE_UNREACHABLE on the whole job reaches `up` too/],
    ];
    for (const [what, file, from, to, pattern] of cases) {
      it(what, () => {
        expectSome(allRules(mutated(file, from, to)), pattern);
      });
    }

    it("a job of a workflow whose `on:` is a bare name or a list is still seen to run on pull requests", () => {
      const body = "jobs:\n  j:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - uses: google-github-actions/auth@x\n        with:\n          workload_identity_provider: ${{ vars.PROD_GCP_WORKLOAD_IDENTITY_PROVIDER }}\n          service_account: ${{ vars.PROD_GCP_SERVICE_ACCOUNT }}\n";
      expectSome(pullRequestJobProblems(readWorkflow("a.yml", `on: pull_request\n${body}`)), /job j \(runs on pull requests\): authenticates as the prod deployer/);
      expectSome(pullRequestJobProblems(readWorkflow("b.yml", `on: [push, pull_request_target]\n${body}`)), /job j \(runs on pull requests\)/);
    });

    it("a second workflow deploying prod on push", () => {
      const preview = mutated("preview.yml", "${{ vars.PREVIEW_GCP_SERVICE_ACCOUNT }}", "${{ vars.PROD_GCP_SERVICE_ACCOUNT }}");
      const others = loadWorkflows().filter((w) => w.file !== preview.file);
      assert.deepEqual(prodDeployerJobs([...others, preview]).onPush.sort(), [".github/workflows/preview.yml#up", ".github/workflows/prod.yml#up"]);
    });
  });
});
