/**
 * Child process of offline/reference.ts: plans one stack and writes only its outputs, as JSON, to
 * fd 3 (a pipe to the parent). Arguments: <projectDir> <stack> <reposDir or "">.
 */
import * as fs from "fs";
import { InputError } from "../locations/problems";
import { planStack } from "./plan";
import { SECRET_MARK } from "./record";
import { OfflineRunError } from "./runtime";

/** Writes everything to a pipe that may accept only part of it at a time. */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  for (let off = 0; off < buf.length; ) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
    }
  }
}

async function main(): Promise<void> {
  const [projectDir, stack, reposDir] = process.argv.slice(2);
  try {
    const plan = await planStack({ projectDir, stack, reposDir: reposDir || undefined });
    const secretOutputNames = Object.keys(plan.outputs).filter((k) => plan.outputs[k] === SECRET_MARK).sort();
    writeAll(3, JSON.stringify({ outputs: plan.rawOutputs, secretOutputNames }));
    process.exitCode = 0;
  } catch (e) {
    const cause = e instanceof OfflineRunError ? e.cause : e;
    process.stderr.write(cause instanceof InputError ? cause.message : String((cause as Error).stack ?? cause));
    process.exitCode = 1;
  }
}

void main().then(() => process.exit());
