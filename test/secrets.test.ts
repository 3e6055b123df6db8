/** Secrets stay secrets: plan with known values, then look for them in everything the plan writes. */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRET_CONFIG_KEYS } from "../config/keys";
import { writePlan } from "../offline/plan";
import { InputError } from "../locations/problems";
import { KUBERNETES_ONLY, PROJECT_DIR, SHA_A, plan } from "./helpers/plan";

const KNOWN = {
  snowflakePrivateKey: "KNOWN-SNOWFLAKE-KEY-5f1c",
  iapOAuthClientSecret: "KNOWN-IAP-SECRET-77aa",
  kubeconfig: "KNOWN-KUBECONFIG-91be",
  postgresPassword: "KNOWN-PG-PASSWORD-0c3d",
  branchSecretValues: JSON.stringify({ "marketing-api-tokens": { API_TOKEN: "KNOWN-BRANCH-TOKEN-4e2a" } }),
};

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, String(f))).filter((f) => fs.statSync(f).isFile());
}

describe("secrets never appear in plain text", function () {
  this.timeout(60000);

  it("the test covers every secret config key", () => {
    assert.deepEqual([...SECRET_CONFIG_KEYS].sort(), Object.keys(KNOWN).sort());
  });

  it("plans with known secret values write none of them, nor generated passwords or keys", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-secrets-"));
    const plans = [
      await plan("prod", { overrides: ["ingress=iap", "ingressHost=dagster.acme.example", "iapOAuthClientId=id.apps.googleusercontent.com"], secrets: [`snowflakePrivateKey=${KNOWN.snowflakePrivateKey}`, `iapOAuthClientSecret=${KNOWN.iapOAuthClientSecret}`] }),
      await plan("staging", { overrides: KUBERNETES_ONLY, secrets: [`postgresPassword=${KNOWN.postgresPassword}`, `kubeconfig=${KNOWN.kubeconfig}`] }),
      await plan("pr-42", { overrides: [`commitSha=${SHA_A}`] }),
      await plan("preview", { secrets: [`branchSecretValues=${KNOWN.branchSecretValues}`] }),
    ];
    plans.forEach((p, i) => writePlan(p, path.join(out, String(i))));
    const forbidden = [...Object.values(KNOWN), "KNOWN-BRANCH-TOKEN-4e2a", "offline-plan-password", "offline-plan-private-key"];
    for (const file of allFiles(out)) {
      const text = fs.readFileSync(file, "utf8");
      for (const secret of forbidden) assert.ok(!text.includes(secret), `${secret} appears in ${path.relative(out, file)}`);
    }
    // And the plans did carry them, masked, where they belong.
    assert.match(fs.readFileSync(path.join(out, "0", "resources.json"), "utf8"), /"stringData": "\[secret\]"/);
    assert.equal(plans[1].outputs.kubeconfig, "[secret]");
    assert.equal(plans[3].outputs.branchSecrets, "[secret]", "the branch-safe values leave the preview stack as a secret output");
  });

  it("the plan's console output and error messages do not print secrets", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-secrets-cli-"));
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", "--stack", "prod", "--out", out, "--secret", `snowflakePrivateKey=${KNOWN.snowflakePrivateKey}`, "--config", "ingress=bogus"], { cwd: PROJECT_DIR, encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.ok(!(r.stdout + r.stderr).includes(KNOWN.snowflakePrivateKey));
    assert.match(r.stderr, /ingress: "bogus" is not one of none, iap, internal/);
  });

  it("a secret key stored in plain text is refused, naming the command that fixes it", async () => {
    // Real runs mark secret keys by how they were stored; the plan marks them itself, so test the parse directly.
    const { parsePlatformConfig } = await import("../config");
    assert.throws(
      () => parsePlatformConfig({ project: "dagster-platform", stack: "staging", projectDir: PROJECT_DIR, secretKeys: new Set(), values: { "dagster-platform:chartVersion": "1.13.19", "dagster-platform:cloudSql": "false", "dagster-platform:buckets": "false", "dagster-platform:registry": "false", "dagster-platform:postgresHost": "pg", "dagster-platform:postgresPassword": "plain" } }),
      (e: unknown) => e instanceof InputError && /postgresPassword: is stored in plain text \(set it with: pulumi config set --secret postgresPassword <value>\)/.test(e.message),
    );
  });
});
