/** The shared e2e tools work on this machine: a real PostgreSQL starts, answers and stops. */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { startPostgres } from "../../tools/postgres";

describe("e2e tools", () => {
  it("starts a throwaway PostgreSQL on loopback and removes it on stop", async () => {
    const pg = await startPostgres();
    try {
      const out = execFileSync(path.join(pg.binDir, "psql"), [pg.url("postgres"), "-Atc", "select 1"], { encoding: "utf8" });
      assert.equal(out.trim(), "1");
    } finally {
      pg.stop();
    }
    assert.equal(fs.existsSync(pg.dataDir), false);
  });
});
