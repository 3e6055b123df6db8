/**
 * Each GitHub checker of test/helpers/ci/githubChecks.ts fails on a small broken fixture (and
 * passes a correct one where that is not obvious): a rule that cannot fail is no rule.
 */
import { concurrencyProblems, keyFileProblems, permissionProblems, pinConsistencyProblems, pinProblems, secretScopeProblems, toolingProblems, wifProblems } from "./helpers/ci/githubChecks";
import { npmScriptProblems } from "./helpers/ci/cliContract";
import { readWorkflow } from "./helpers/ci/workflows";
import { expectNone, expectSome } from "./helpers/ci/yaml";

const workflow = (file: string, text: string) => readWorkflow(file, text);

describe("CI checkers fail on broken files", () => {
  const job = (body: string) => `name: x\non: pull_request\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n${body}`;

  it("concurrency: missing, cancellable, keyed wrong, or a preview in the stack's group", () => {
    const up = "    steps:\n      - run: npm run branch -- up --pr \"$PR_NUMBER\" --sha x --branch y\n        env:\n          PR_NUMBER: ${{ github.event.pull_request.number }}\n";
    expectSome(concurrencyProblems(workflow("a.yml", job(up))), /without a concurrency group/);
    expectSome(
      concurrencyProblems(workflow("b.yml", job(`    concurrency:\n      group: pulumi-pr-\${{ github.event.pull_request.number }}\n      cancel-in-progress: true\n${up}`))),
      /cancel-in-progress must be false/,
    );
    expectSome(concurrencyProblems(workflow("c.yml", job(`    concurrency:\n      group: pulumi-\${{ github.run_id }}\n      cancel-in-progress: false\n${up}`))), /expected "pulumi-pr-\$\{\{ github\.event\.pull_request\.number \}\}"/);
    expectSome(concurrencyProblems(workflow("d.yml", job("    concurrency: pulumi-prod\n    steps:\n      - run: pulumi up --stack prod --yes\n"))), /not "pulumi-prod"/);
    const preview = "    concurrency:\n      group: pulumi-prod\n      cancel-in-progress: false\n    steps:\n      - uses: pulumi/actions@x\n        with:\n          command: preview\n          stack-name: prod\n";
    expectSome(concurrencyProblems(workflow("e.yml", job(preview))), /can cancel a pending job/);
    expectSome(concurrencyProblems(workflow("f.yml", job("    steps:\n      - run: pulumi up --yes\n"))), /does not name its --stack/);
    expectSome(
      concurrencyProblems(workflow("g.yml", job("    concurrency:\n      group: pulumi-prod\n      cancel-in-progress: false\n    steps:\n      - run: |\n          pulumi up --stack prod --yes\n          npm run branch -- down --pr 3\n"))),
      /several stacks/,
    );
    // and a correct one passes
    expectNone(concurrencyProblems(workflow("ok.yml", job(`    concurrency:\n      group: pulumi-pr-\${{ github.event.pull_request.number }}\n      cancel-in-progress: false\n${up}`))));
  });

  it("pins: tags, branches, short shas, missing version comments, drifting shas", () => {
    const sha = "a".repeat(40);
    expectSome(pinProblems("a.yml", "      - uses: actions/checkout@v4\n"), /full 40-character commit sha/);
    expectSome(pinProblems("b.yml", "      - uses: actions/checkout@main\n"), /full 40-character commit sha/);
    expectSome(pinProblems("c.yml", "      - uses: actions/checkout@11bd719\n"), /full 40-character commit sha/);
    expectSome(pinProblems("d.yml", `      - uses: actions/checkout@${sha}\n`), /# vX\.Y\.Z/);
    expectSome(pinProblems("e.yml", `      - uses: actions/checkout@${sha} # v4\n`), /# vX\.Y\.Z/);
    expectSome(pinProblems("f.yml", "    uses: acme/p/.github/workflows/x.yml@main\n"), /reusable workflow/);
    expectSome(pinProblems("g.yml", "      - uses: docker://alpine:3\n"), /digest/);
    expectSome(pinProblems("h.yml", "      - uses: actions/checkout\n"), /not pinned/);
    expectNone(pinProblems("ok.yml", `      - uses: actions/checkout@${sha} # v4.2.2\n    uses: acme/p/.github/workflows/x.yml@v1.0.0\n      - uses: ./local\n`));
    expectSome(
      pinConsistencyProblems([
        { file: "a.yml", text: `  - uses: actions/checkout@${sha} # v4.2.2\n` },
        { file: "b.yml", text: `  - uses: actions/checkout@${"b".repeat(40)} # v4.2.3\n` },
      ]),
      /differs/,
    );
  });

  it("permissions: missing, too broad, id-token or pull-requests write without a use", () => {
    expectSome(permissionProblems(workflow("a.yml", "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n")), /no top-level permissions/, /declares no permissions/);
    expectSome(permissionProblems(workflow("b.yml", "on: push\npermissions: write-all\njobs:\n  j:\n    permissions: write-all\n    steps: [{run: echo}]\n")), /must be \{\}/, /not a list of scopes/);
    expectSome(permissionProblems(workflow("c.yml", job("    permissions:\n      id-token: write\n      pull-requests: write\n      contents: write\n    steps: [{run: echo}]\n"))), /id-token: write but no Workload/, /pull-requests: write but the job does not comment/, /contents: write/);
    expectSome(
      permissionProblems(workflow("d.yml", job("    permissions: {}\n    steps:\n      - uses: google-github-actions/auth@x\n      - run: npm run branch -- comment --pr 1 --state ready\n"))),
      /auth needs id-token: write/,
      /without pull-requests: write/,
    );
  });

  it("credentials: key files and settings that do not come from variables", () => {
    expectSome(keyFileProblems("a.yml", "      - uses: google-github-actions/auth@x\n        with:\n          credentials_json: ${{ secrets.GCP_KEY }}\n"), /credentials_json/);
    expectSome(keyFileProblems("b.yml", "    - gcloud auth activate-service-account --key-file=key.json\n"), /activate-service-account/, /--key-file/);
    expectNone(keyFileProblems("c.yml", "# never credentials_json\n"));
    expectSome(wifProblems(workflow("d.yml", job("    steps:\n      - uses: google-github-actions/auth@x\n        with:\n          workload_identity_provider: projects/1/locations/global/workloadIdentityPools/p/providers/g\n          service_account: ${{ secrets.SA }}\n"))), /workload_identity_provider must come from/, /service_account must come from/);
  });

  it("tooling: unpinned pulumi CLI, no GKE auth plugin, credentials after pulumi", () => {
    const wf = workflow(
      "a.yml",
      `env:\n  PULUMI_VERSION: 3.1.0\n${job("    steps:\n      - uses: pulumi/actions@x\n      - run: npm run branch -- up --pr 1 --sha s --branch b\n      - uses: google-github-actions/auth@x\n")}`,
    );
    expectSome(toolingProblems(wf, "3.248.0"), /PULUMI_VERSION 3\.1\.0/, /installs "the latest \^3"/, /auth before/, /gke-gcloud-auth-plugin/);
  });

  it("secrets: a Snowflake key handed to a whole job, or to a step that does not need it", () => {
    const wf = workflow("a.yml", job("    env:\n      SNOWFLAKE_PRIVATE_KEY: ${{ secrets.SNOWFLAKE_ADMIN_PRIVATE_KEY }}\n    steps:\n      - run: npm ci\n        env:\n          K: ${{ secrets.SNOWFLAKE_ADMIN_PRIVATE_KEY }}\n"));
    expectSome(secretScopeProblems(wf), /job env reach every step/, /gets a Snowflake secret it does not use/);
  });

  it("npm scripts: a call to a script package.json does not have", () => {
    expectSome(npmScriptProblems("a.yml", "run: npm run deploy-everything", { test: "mocha" }), /npm run deploy-everything/);
  });
});
