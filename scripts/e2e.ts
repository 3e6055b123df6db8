/**
 * npm run test:e2e [-- --grep <pattern>]
 *
 * The end-to-end suites (test/e2e/*.e2e.ts): the real things this machine can run (Dagster from
 * PyPI, PostgreSQL, the Pulumi CLI built from its Go modules, gitlab-ci-local). Each suite
 * installs or builds what it needs on first use into the git-ignored cache (tools/cache.ts).
 * Suites run one after another (they start servers); the last line is `N passed, M failed`.
 */
import * as fs from "fs";
import Mocha from "mocha";
import * as path from "path";

const E2E_DIR = path.resolve(__dirname, "..", "test", "e2e");

function main(): void {
  const argv = process.argv.slice(2);
  const grepAt = argv.indexOf("--grep");
  const mocha = new Mocha({ reporter: "spec", timeout: 20 * 60_000, slow: 30_000, grep: grepAt >= 0 ? argv[grepAt + 1] : undefined });
  for (const f of fs.readdirSync(E2E_DIR).filter((n) => n.endsWith(".e2e.ts")).sort()) mocha.addFile(path.join(E2E_DIR, f));
  const started = Date.now();
  const runner = mocha.run((failures) => {
    const { passes, pending } = runner.stats ?? { passes: 0, pending: 0 };
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    console.log(`\ne2e: ${pending ?? 0} pending, ${minutes} min`);
    console.log(`${passes} passed, ${failures} failed`);
    process.exitCode = failures > 0 ? 1 : 0;
  });
}

main();
