/**
 * branch.yml (and GitLab's review:deploy) run the lifecycle CLI from the pull request's checkout,
 * which runs the policy pack at <checkout>/policy, after replacing that folder by a link to the
 * base checkout's policy/. That is only worth anything if everything the pack loads then comes
 * from the base checkout: its own files, what it imports from the rest of the repository
 * (locations/, chart/, render/) and node_modules. What the pulumi CLI does: it starts the pack's
 * analyzer with its working directory set to the pack folder (sdk/go/common/resource/plugin/
 * analyzer_plugin.go, NewPolicyAnalyzer: `pwd := policyPackPath`), and run-policy-pack loads
 * `path.join(process.cwd(), program)` (@pulumi/pulumi/cmd/run-policy-pack/run.js). This runs that
 * sequence with real node and a real symlink.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

describe("the trusted policy-pack link", () => {
  it("makes the pack, its imports and its node_modules the base checkout's", () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "policy-link-")));
    try {
      for (const side of ["base", "head"]) {
        fs.mkdirSync(path.join(root, side, "policy"), { recursive: true });
        fs.mkdirSync(path.join(root, side, "locations"), { recursive: true });
        fs.mkdirSync(path.join(root, side, "node_modules", "dep"), { recursive: true });
        fs.writeFileSync(path.join(root, side, "locations", "rule.js"), `module.exports = "${side} rule";\n`);
        fs.writeFileSync(path.join(root, side, "node_modules", "dep", "index.js"), `module.exports = "${side} dep";\n`);
        fs.writeFileSync(
          path.join(root, side, "policy", "index.js"),
          `console.log(JSON.stringify({ pack: "${side}", rule: require("../locations/rule"), dep: require("dep"), cwd: process.cwd() }));\n`,
        );
      }
      // The CI step: rm -rf head/policy && ln -s "$GITHUB_WORKSPACE/base/policy" head/policy
      fs.rmSync(path.join(root, "head", "policy"), { recursive: true });
      fs.symlinkSync(path.join(root, "base", "policy"), path.join(root, "head", "policy"));
      // The CLI: the analyzer runs in <head>/policy; run-policy-pack loads cwd + "index.js".
      const r = spawnSync(process.execPath, ["-e", 'require(require("path").join(process.cwd(), "index.js"))'], { cwd: path.join(root, "head", "policy"), encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { pack: "base", rule: "base rule", dep: "base dep", cwd: path.join(root, "base", "policy") });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
