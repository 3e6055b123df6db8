/**
 * The reusable code-location workflow's steps against the real tools they rely on:
 * - the repos/ bump with mikefarah yq v4 built from source (tools/yq.ts), on a copy of this
 *   repository's repos/, which the platform's own validation must then accept;
 * - the image-contract check with the real Python packages: `docker run --entrypoint python IMAGE
 *   -c …` is stood in for by running that command with an environment's python (docker's
 *   --entrypoint replaces the image's entrypoint and the rest are its arguments: docs.docker.com,
 *   "docker run --entrypoint"). The project's Dagster lock (dagster-postgres, dagster-k8s,
 *   dagster-gcp, gcsfs) is an image that honours the contract; the machine's bare python3 is one
 *   that does not.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { parseLocations, readLocationFiles } from "../../locations/load";
import { formatProblem } from "../../locations/problems";
import { reservedServiceNames } from "../../chart/names";
import { PROJECT_DIR } from "../../tools/cache";
import { ensureVenv } from "../../tools/python";
import { ensureYq } from "../../tools/yq";
import { runStep } from "../helpers/ci/runStep";
import { findJob, loadWorkflows, Step } from "../helpers/ci/workflows";
import { asDict, str } from "../helpers/ci/yaml";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"c".repeat(64)}`;

function shipStep(pred: (s: Step) => boolean): Step {
  const wf = loadWorkflows().find((w) => w.file === ".github/workflows/code-location.yml");
  assert.ok(wf);
  const s = findJob(wf, "ship").steps.find(pred);
  assert.ok(s);
  return s;
}

describe("code-location workflow steps, with real yq and real Python packages", function () {
  this.timeout(15 * 60_000);
  const log = (l: string) => console.log(`      ${l}`);

  describe("the repos/ bump (mikefarah yq v4, built from source)", () => {
    let yqDir = "";
    let work = "";
    before(() => {
      yqDir = path.dirname(ensureYq(log));
      work = fs.mkdtempSync(path.join(os.tmpdir(), "ci-bump-"));
      fs.cpSync(path.join(PROJECT_DIR, "repos"), path.join(work, "platform", "repos"), { recursive: true });
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    const bump = (location: string, targetKind: string, target: string, yqPath = `${yqDir}:${process.env.PATH}`) =>
      runStep(
        shipStep((s) => s.id === "bump"),
        {
          LOCATION: location,
          IMAGE: `europe-west4-docker.pkg.dev/acme-data-prod/dagster/${location}:${SHA}@${DIGEST}`,
          TARGET_KIND: targetKind,
          TARGET: target,
          REPOS_DIR: "repos",
          GIT_SHA: SHA,
          GIT_BRANCH: "main",
          GIT_REPOSITORY: `https://github.com/acme/${location}`,
        },
        { cwd: work, path: yqPath },
      );

    it("keeps every other field and comment of an existing file, and creates a missing one", () => {
      const file = path.join(work, "platform/repos/marketing-etl.yaml");
      const before = asDict(parse(fs.readFileSync(file, "utf8")));
      const r = bump("marketing-etl", "module", "ignored.because.the.file.exists");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.outputs.created, "false");
      const text = fs.readFileSync(file, "utf8");
      const after = asDict(parse(text));
      assert.match(text, /^# Marketing's ingestion/, "comments survive");
      assert.equal(after.image, `europe-west4-docker.pkg.dev/acme-data-prod/dagster/marketing-etl:${SHA}@${DIGEST}`);
      assert.deepEqual(after.git, { sha: SHA, branch: "main", repository: "https://github.com/acme/marketing-etl" });
      const { image: _a, git: _b, ...restAfter } = after;
      const { image: _c, git: _d, ...restBefore } = before;
      void [_a, _b, _c, _d];
      assert.deepEqual(restAfter, restBefore, "every other field is kept");

      const created = bump("new-location", "package", "new_location");
      assert.equal(created.status, 0, created.stderr);
      assert.equal(created.outputs.created, "true");
      const fresh = asDict(parse(fs.readFileSync(path.join(work, "platform/repos/new-location.yaml"), "utf8")));
      assert.equal(fresh.package, "new_location");
      assert.equal(str(asDict(fresh.git).sha), SHA);

      // And the platform's own validation accepts the folder as bumped.
      const read = readLocationFiles(path.join(work, "platform", "repos"), "repos");
      const result = parseLocations(read.files, { reservedEnv: new Set(), reservedEnvPrefixes: ["DAGSTER_CLOUD_"], reservedServiceNames: new Set(reservedServiceNames()) });
      assert.deepEqual(result.problems.map(formatProblem), []);
      assert.ok(result.locations.some((l) => l.name === "new-location"));
    });

    it("refuses another yq that takes the same arguments (the Python jq wrapper)", () => {
      const fake = fs.mkdtempSync(path.join(os.tmpdir(), "fake-yq-"));
      try {
        // What `pip install yq` puts on PATH answers `yq --version` like this.
        fs.writeFileSync(path.join(fake, "yq"), "#!/bin/sh\necho 'yq 3.4.3'\n", { mode: 0o755 });
        const r = bump("marketing-etl", "module", "x", `${fake}:/usr/bin:/bin`);
        assert.equal(r.status, 1);
        assert.match(r.stdout, /::error::needs mikefarah yq v4, found: yq 3\.4\.3/);
      } finally {
        fs.rmSync(fake, { recursive: true, force: true });
      }
    });
  });

  describe("the image contract (real imports)", () => {
    // `docker run --rm --pull always --entrypoint python IMAGE -c CODE` runs CODE with the image's python.
    const docker = (python: string) => `docker() { local code=""; while (( $# )); do if [[ "$1" == -c ]]; then code="$2"; fi; shift; done; ${JSON.stringify(python)} -c "$code"; }`;
    const contract = () => shipStep((s) => s.name === "The image honours the platform's image contract");

    it("passes an image with dagster-postgres, dagster-k8s, dagster-gcp and gcsfs", () => {
      const env = ensureVenv("dagster-1.13.19", path.join(PROJECT_DIR, "requirements", "dagster-1.13.19.txt"), log);
      const r = runStep(contract(), { IMAGE: "europe-west4-docker.pkg.dev/p/dagster/etl:t@sha256:1", NEEDS_GCSFS: "true" }, { stubs: docker(env.python) });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /imports dagster_postgres, dagster_k8s, dagster_gcp, gcsfs/);
    });

    it("refuses an image whose python cannot import them, naming what to add", () => {
      const r = runStep(contract(), { IMAGE: "europe-west4-docker.pkg.dev/p/dagster/etl:t@sha256:1", NEEDS_GCSFS: "false" }, { stubs: docker("python3") });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /ModuleNotFoundError: No module named 'dagster_postgres'/);
      assert.match(r.stdout, /::error::.* cannot import dagster_postgres, dagster_k8s, dagster_gcp: .*Add dagster-postgres, dagster-k8s and dagster-gcp/);
    });
  });
});
