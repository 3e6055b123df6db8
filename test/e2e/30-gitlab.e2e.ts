/**
 * .gitlab-ci.yml through a real GitLab CI interpreter (gitlab-ci-local 4.62, tools/gitlabCiLocal.ts):
 * its schema validation accepts the file and rejects the shape it had (two `script:` items that
 * YAML read as mappings); its rule evaluation gives each pipeline (merge request, default branch,
 * schedule) exactly the jobs below; and the project's identity and policy rules
 * (test/helpers/ci/) hold on the jobs as the interpreter expanded them, not only as this
 * project's own reading of `extends` would have them.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { gitlabCiLocal, pipelineJobs, PIPELINES, previewPipeline } from "../../tools/gitlabCiLocal";
import { gitlabJobs } from "../helpers/ci/gitlab";
import { Deployer } from "../helpers/ci/deployers";
import { gitlabDeployer, gitlabIdentityProblems, scriptItemProblems } from "../helpers/ci/gitlabChecks";
import { gitlabDisasterRecoveryProblems, gitlabPolicyProblems, gitlabPreviewBeforeUpProblems, gitlabReaperProblems } from "../helpers/ci/gitlabPipelineChecks";
import { asDict, CI_FIXTURES, expectNone, GITLAB_FILE, str } from "../helpers/ci/yaml";

const BROKEN = path.join(CI_FIXTURES, "gitlab-ci.broken-script.yml");

describe("GitLab CI, with a real interpreter (gitlab-ci-local)", function () {
  this.timeout(120_000);

  it("rejects the old file for its non-string script items, as GitLab did", () => {
    const r = gitlabCiLocal(BROKEN, ["--list-json"], PIPELINES.main);
    assert.notEqual(r.status, 0);
    assert.match(`${r.stdout}${r.stderr}`, /prod:disaster-recovery script contains non string value/);
  });

  it("validates .gitlab-ci.yml against GitLab's schema", () => {
    const r = gitlabCiLocal(GITLAB_FILE, ["--list-json"], PIPELINES.main);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(`${r.stdout}${r.stderr}`, /json schema validated/);
  });

  /** Per pipeline: the jobs it runs, and the deployer each of them authenticates as (none: no credentials). */
  const expected: Record<keyof typeof PIPELINES, Record<string, Deployer | "none">> = {
    mergeRequest: { test: "none", plan: "none", "review:deploy": "branch", "review:stop": "branch" },
    main: { test: "none", "preview:up": "preview", "prod:up": "prod" },
    schedule: { reaper: "branch" },
    disasterRecovery: { "prod:disaster-recovery": "prod" },
  };
  for (const [pipeline, jobs] of Object.entries(expected) as [keyof typeof PIPELINES, Record<string, Deployer | "none">][]) {
    it(`a ${pipeline} pipeline runs ${Object.keys(jobs).join(", ")}, as the interpreter expands them: deployers, policy pack, preview, reaper and DR rules hold`, () => {
      const listed = pipelineJobs(GITLAB_FILE, PIPELINES[pipeline]);
      assert.deepEqual(listed.map((j) => j.name), Object.keys(jobs));
      if (pipeline === "mergeRequest") assert.equal(listed.find((j) => j.name === "review:stop")?.when, "manual");
      const doc = previewPipeline(GITLAB_FILE, PIPELINES[pipeline]);
      const runs = gitlabJobs(doc).filter((j) => j.name in jobs);
      assert.deepEqual(Object.fromEntries(runs.map((j) => [j.name, gitlabDeployer(j).deployer ?? "none"])), jobs);
      expectNone([
        ...scriptItemProblems(pipeline, doc),
        ...gitlabIdentityProblems(pipeline, runs),
        ...gitlabPolicyProblems(pipeline, runs),
        ...gitlabPreviewBeforeUpProblems(pipeline, runs),
        ...gitlabReaperProblems(pipeline, runs),
        ...gitlabDisasterRecoveryProblems(pipeline, gitlabJobs(doc)),
      ]);
    });
  }

  it("the interpreter merged the deployer templates the way this project's own checks read them", () => {
    const prodUp = gitlabJobs(previewPipeline(GITLAB_FILE, PIPELINES.main)).find((j) => j.name === "prod:up");
    assert.equal(str(asDict(asDict(prodUp?.job.id_tokens).GCP_ID_TOKEN).aud), "https://iam.googleapis.com/$PROD_GCP_WORKLOAD_IDENTITY_PROVIDER");
    assert.match(prodUp?.script ?? "", /create-cred-config "\$WIF_PROVIDER"/);
    assert.equal(str(asDict(prodUp?.job.environment).name), "production");
  });
});
