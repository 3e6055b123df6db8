/**
 * scripts/bootstrap-state-backend.sh and scripts/bootstrap-ci-identities.sh with a recording
 * `gcloud` on PATH (test/helpers/fakeGcloud.ts): --dry-run anywhere on the line calls gcloud not
 * once; a real run makes exactly the calls the dry run prints (so the printed commands, which
 * docs/ci-cd.md shows, are what runs); creates are skipped for what exists; and the deployers get
 * the conditions and bindings docs/ci-cd.md promises, written out here in full.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { identitiesDryRun } from "../scripts/ci-doc";
import { FakeGcloud, fakeGcloud, printedCommands } from "./helpers/fakeGcloud";
import { ROOT } from "./helpers/ci/yaml";

const STATE = path.join(ROOT, "scripts", "bootstrap-state-backend.sh");
const IDENTITIES = path.join(ROOT, "scripts", "bootstrap-ci-identities.sh");
const PREVIEW_BACKEND = ["acme-data-preview", "europe-west4", "", "pulumi", "preview-state", "branch-state"];
const IDENTITY_ARGS = [
  "--prod-project", "acme-data-prod", "--preview-project", "acme-data-preview", "--region", "europe-west4",
  "--github-repo", "acme/dagster-platform", "--github-repository-id", "123456789",
  "--gitlab-project-path", "acme/dagster-platform", "--gitlab-project-id", "4242",
];

/** Calls that change something (describes are the scripts' own questions). */
const mutating = (calls: string[][]) => calls.filter((c) => !c.includes("describe"));
/** The rotation time and the lifecycle file's path differ between two runs. */
const stable = (calls: string[][]) => calls.map((c) => c.map((a) => a.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "<time>").replace(/^\/tmp\/tmp\.\w+$/, "<file>")));

describe("bootstrap scripts (recording gcloud)", () => {
  let gcloud: FakeGcloud;
  beforeEach(() => (gcloud = fakeGcloud()));
  afterEach(() => gcloud.remove());

  describe("bootstrap-state-backend.sh", () => {
    for (const [where, args] of [
      ["first", ["--dry-run", ...PREVIEW_BACKEND]],
      ["in the middle", [...PREVIEW_BACKEND.slice(0, 2), "--dry-run", ...PREVIEW_BACKEND.slice(2)]],
      ["last", [...PREVIEW_BACKEND, "--dry-run"]],
    ] as [string, string[]][]) {
      it(`--dry-run ${where} calls gcloud not once, and prints every create`, () => {
        const r = gcloud.run(STATE, args);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(gcloud.calls(), []);
        assert.match(r.stdout, /^\+ gcloud storage buckets create gs:\/\/acme-data-preview-pulumi-state /m);
        assert.match(r.stdout, /^\+ gcloud kms keys create preview-state /m);
        assert.match(r.stdout, /^\+ gcloud kms keys create branch-state /m);
      });
    }

    it("a real run makes exactly the calls the dry run prints: bucket, keyring, both keys", () => {
      const dry = gcloud.run(STATE, ["--dry-run", ...PREVIEW_BACKEND]);
      const real = gcloud.run(STATE, PREVIEW_BACKEND);
      assert.equal(real.status, 0, real.stderr);
      assert.deepEqual(stable(mutating(gcloud.calls())), stable(printedCommands(dry.stdout)));
      assert.deepEqual(
        gcloud.calls().map((c) => c.slice(0, 3).join(" ")),
        ["services enable --project", "storage buckets describe", "storage buckets create", "storage buckets update", "storage buckets update", "kms keyrings describe", "kms keyrings create", "kms keys describe", "kms keys create", "kms keys describe", "kms keys create"],
      );
    });

    it("creates nothing that exists, and keeps the defaults of one key for prod", () => {
      assert.equal(gcloud.run(STATE, ["acme-data-prod", "europe-west4"], { exists: true }).status, 0);
      assert.deepEqual(gcloud.calls().filter((c) => c.includes("create")), []);
      assert.ok(gcloud.calls().some((c) => c.join(" ") === "kms keys describe pulumi-state --keyring pulumi --location europe-west4 --project acme-data-prod"));
    });

    it("refuses an unknown option or missing arguments before calling anything", () => {
      assert.equal(gcloud.run(STATE, ["--dryrun", "p", "r"]).status, 2);
      assert.equal(gcloud.run(STATE, ["p"]).status, 2);
      assert.deepEqual(gcloud.calls(), []);
    });
  });

  describe("bootstrap-ci-identities.sh", () => {
    it("--dry-run anywhere calls gcloud not once (project numbers shown as placeholders)", () => {
      const r = gcloud.run(IDENTITIES, [...IDENTITY_ARGS.slice(0, 6), "--dry-run", ...IDENTITY_ARGS.slice(6)]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(gcloud.calls(), []);
      assert.match(r.stdout, /projects\/<prod-project-number>\/locations\/global\/workloadIdentityPools\/prod-deployer\/\*/);
    });

    it("a real run makes exactly the calls the dry run prints", () => {
      const dry = gcloud.run(IDENTITIES, [...IDENTITY_ARGS, "--dry-run", "--prod-project-number", "111111111111", "--preview-project-number", "222222222222"]);
      const real = gcloud.run(IDENTITIES, IDENTITY_ARGS);
      assert.equal(real.status, 0, real.stderr);
      const calls = mutating(gcloud.calls()).filter((c) => c.join(" ") !== "projects describe acme-data-prod --format=value(projectNumber)" && c.join(" ") !== "projects describe acme-data-preview --format=value(projectNumber)");
      assert.deepEqual(calls, printedCommands(dry.stdout));
    });

    it("each pool accepts only its deployer's tokens", () => {
      gcloud.run(IDENTITIES, IDENTITY_ARGS);
      const condition = (pool: string, provider: string) => {
        const c = gcloud.calls().find((x) => x[3] === "create-oidc" && x[4] === provider && x.includes(pool));
        assert.ok(c, `no ${provider} provider in ${pool}`);
        return c[c.indexOf("--attribute-condition") + 1];
      };
      assert.equal(condition("prod-deployer", "github"), 'assertion.repository_id == "123456789" && assertion.sub == "repo:acme/dagster-platform:environment:production" && assertion.ref == "refs/heads/main"');
      assert.equal(condition("preview-deployer", "github"), 'assertion.repository_id == "123456789" && assertion.sub == "repo:acme/dagster-platform:environment:preview" && assertion.ref == "refs/heads/main"');
      assert.equal(condition("branch-deployer", "github"), 'assertion.repository_id == "123456789" && (assertion.sub == "repo:acme/dagster-platform:pull_request" || assertion.job_workflow_ref == "acme/dagster-platform/.github/workflows/reaper.yml@refs/heads/main")');
      assert.equal(condition("prod-deployer", "gitlab"), 'assertion.project_id == "4242" && assertion.ref_protected == "true" && assertion.ref_type == "branch" && assertion.ref == "main" && assertion.environment == "production" && assertion.pipeline_source in ["push", "web"]');
      assert.equal(condition("preview-deployer", "gitlab"), 'assertion.project_id == "4242" && assertion.ref_protected == "true" && assertion.ref_type == "branch" && assertion.ref == "main" && assertion.environment == "preview" && assertion.pipeline_source == "push"');
      assert.equal(condition("branch-deployer", "gitlab"), 'assertion.project_id == "4242" && (assertion.pipeline_source == "merge_request_event" || (assertion.pipeline_source == "schedule" && assertion.ref_protected == "true" && assertion.ref_type == "branch" && assertion.ref == "main"))');
      // And each service account trusts its own pool only.
      const trust = gcloud.calls().filter((c) => c.includes("roles/iam.workloadIdentityUser")).map((c) => `${c[3]} <- ${c[c.indexOf("--member") + 1]}`);
      assert.deepEqual(trust, [
        "dagster-prod-deployer@acme-data-prod.iam.gserviceaccount.com <- principalSet://iam.googleapis.com/projects/111111111111/locations/global/workloadIdentityPools/prod-deployer/*",
        "dagster-preview-deployer@acme-data-preview.iam.gserviceaccount.com <- principalSet://iam.googleapis.com/projects/222222222222/locations/global/workloadIdentityPools/preview-deployer/*",
        "dagster-branch-deployer@acme-data-preview.iam.gserviceaccount.com <- principalSet://iam.googleapis.com/projects/222222222222/locations/global/workloadIdentityPools/branch-deployer/*",
      ]);
    });

    it("the branch deployer: nothing in prod's project, pr-* state only, the branch key, decrypt-only on preview's", () => {
      gcloud.run(IDENTITIES, IDENTITY_ARGS);
      const branch = gcloud.calls().filter((c) => c.some((a) => a.includes("dagster-branch-deployer@")));
      assert.deepEqual(branch.filter((c) => c.some((a) => /acme-data-prod\b|acme-data-prod-pulumi-state/.test(a))), [], "no grant in the prod project");
      const grants = branch.filter((c) => c.includes("--role")).map((c) => `${c.slice(0, c.findIndex((a) => a.startsWith("--"))).join(" ")} ${c[c.indexOf("--role") + 1]}${c.includes("--condition") && !c.includes("None") ? " (conditional)" : ""}`);
      assert.deepEqual(grants, [
        "projects add-iam-policy-binding acme-data-preview roles/container.clusterViewer",
        "storage buckets add-iam-policy-binding gs://acme-data-preview-pulumi-state roles/storage.objectViewer",
        "storage buckets add-iam-policy-binding gs://acme-data-preview-pulumi-state roles/storage.objectAdmin (conditional)",
        "kms keys add-iam-policy-binding branch-state roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "kms keys add-iam-policy-binding preview-state roles/cloudkms.cryptoKeyDecrypter",
        "iam service-accounts add-iam-policy-binding dagster-branch-deployer@acme-data-preview.iam.gserviceaccount.com roles/iam.workloadIdentityUser",
      ]);
      const write = branch.find((c) => c.includes("roles/storage.objectAdmin"));
      const o = "projects/_/buckets/acme-data-preview-pulumi-state/objects/.pulumi";
      assert.equal(
        write?.[write.indexOf("--condition") + 1],
        `^;^title=pr-stacks-only;expression=resource.name.startsWith("${o}/stacks/dagster-platform/pr-") || resource.name.startsWith("${o}/history/dagster-platform/pr-") || resource.name.startsWith("${o}/backups/dagster-platform/pr-") || resource.name.startsWith("${o}/journal/dagster-platform/pr-") || resource.name.startsWith("${o}/locks/organization/dagster-platform/pr-")`,
      );
    });

    it("refuses one project for both, and a repository without its id, before calling anything", () => {
      const same = gcloud.run(IDENTITIES, ["--prod-project", "p", "--preview-project", "p", "--region", "r", "--github-repo", "a/b", "--github-repository-id", "1"]);
      assert.equal(same.status, 2);
      assert.match(same.stderr, /the preview project must not be the prod project/);
      const noId = gcloud.run(IDENTITIES, ["--prod-project", "p", "--preview-project", "q", "--region", "r", "--github-repo", "a/b"]);
      assert.equal(noId.status, 2);
      assert.match(noId.stderr, /--github-repo needs --github-repository-id/);
      assert.deepEqual(gcloud.calls(), []);
    });
  });

  it("docs/ci-cd.md shows exactly the commands the identities script runs (regenerate: npm run docs:ci)", () => {
    const docs = fs.readFileSync(path.join(ROOT, "docs", "ci-cd.md"), "utf8");
    const block = /<!-- identities:begin -->\n```sh\n([\s\S]*?)```\n<!-- identities:end -->/.exec(docs);
    assert.ok(block, "docs/ci-cd.md has no identities block");
    assert.equal(block[1], identitiesDryRun(), "the block is out of date: npm run docs:ci");
  });
});
