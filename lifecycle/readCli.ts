/**
 * Read-only CLI commands the Automation API has no call for, run with the workspace's CLI, folder
 * and environment: `stack export` without `--show-secrets` (Workspace.exportStack always adds it,
 * and a branch state's secrets need not be decrypted to list its resources) and one named stack
 * output. Neither loads a plugin or runs a program (pkg/cmd/pulumi/stack/stack_export.go and
 * stack_output.go at v3.248.0 read the checkpoint through RequireStack(LoadOnly)).
 */
import { spawn } from "child_process";
import * as path from "path";
import { Workspace } from "@pulumi/pulumi/automation";

export class CliError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`pulumi ${args.join(" ")} exited ${code}\n stderr: ${stderr}\n err?: none`);
    this.name = "CliError";
  }
}

/** The Automation API's own test for a missing stack (automation/errors.ts, StackNotFoundError). */
export function isStackNotFound(e: unknown): boolean {
  return e instanceof CliError && /no stack named.*found/.test(e.stderr);
}

export function runPulumi(ws: Workspace, args: string[]): Promise<string> {
  const command = ws.pulumiCommand.command;
  const env: NodeJS.ProcessEnv = { ...process.env, ...(ws.pulumiHome ? { PULUMI_HOME: ws.pulumiHome } : {}), ...ws.envVars, PULUMI_AUTOMATION_API: "true" };
  // As PulumiCommand.run: the CLI's own folder first, for its bundled plugins.
  if (path.isAbsolute(command)) env.PATH = `${path.dirname(command)}${path.delimiter}${env.PATH ?? ""}`;
  const argv = [...args, "--non-interactive"];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ws.workDir, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new CliError(argv, code ?? -1, stderr))));
  });
}

/** `pulumi stack export --stack <stack>`: the raw deployment, secrets left encrypted. */
export async function exportState(ws: Workspace, stack: string): Promise<string> {
  return runPulumi(ws, ["stack", "export", "--stack", stack]);
}

/** `pulumi stack output <name> --show-secrets --json --stack <stack>`: one output's value. */
export async function stackOutput(ws: Workspace, stack: string, name: string): Promise<unknown> {
  return JSON.parse(await runPulumi(ws, ["stack", "output", name, "--show-secrets", "--json", "--stack", stack])) as unknown;
}
