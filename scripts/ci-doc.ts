/**
 * npm run docs:ci
 *
 * Writes the exact commands of scripts/bootstrap-ci-identities.sh (its --dry-run, for the example
 * projects and repository of docs/ci-cd.md) between the `identities` markers of docs/ci-cd.md, so
 * the page shows what the script runs. test/bootstrap.test.ts fails when they drift apart.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const DOC = path.join(ROOT, "docs", "ci-cd.md");

export const DOC_ARGS = [
  "--prod-project", "acme-data-prod", "--preview-project", "acme-data-preview", "--region", "europe-west4",
  "--github-repo", "acme/dagster-platform", "--github-repository-id", "123456789",
  "--gitlab-project-path", "acme/dagster-platform", "--gitlab-project-id", "4242",
  "--dry-run", "--prod-project-number", "111111111111", "--preview-project-number", "222222222222",
];

export function identitiesDryRun(): string {
  const r = spawnSync("bash", [path.join(ROOT, "scripts", "bootstrap-ci-identities.sh"), ...DOC_ARGS], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bootstrap-ci-identities.sh --dry-run failed: ${r.stderr}`);
  return r.stdout;
}

function main(): void {
  const doc = fs.readFileSync(DOC, "utf8");
  const marker = /<!-- identities:begin -->\n```sh\n[\s\S]*?```\n<!-- identities:end -->/;
  if (!marker.test(doc)) throw new Error(`${DOC} has no <!-- identities:begin --> … <!-- identities:end --> block`);
  fs.writeFileSync(DOC, doc.replace(marker, () => `<!-- identities:begin -->\n\`\`\`sh\n${identitiesDryRun()}\`\`\`\n<!-- identities:end -->`));
  console.log(`updated ${path.relative(process.cwd(), DOC)}`);
}

if (require.main === module) main();
