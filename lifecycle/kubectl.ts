/**
 * Deleting a branch namespace with kubectl and the reaper's trusted kubeconfig (lifecycle/kubeconfig.ts).
 * Deleting a namespace deletes everything in it, Helm release records included, and kubectl waits
 * until its finalizers have run (kubectl delete --wait, the default); a `get` then confirms it is
 * gone, so "retired" is never reported for a namespace still terminating.
 */
import { spawn } from "child_process";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  run(args: string[]): Promise<KubectlResult>;
}

/** `kubectl` from PATH, in the job's environment (gcloud's credentials for gke-gcloud-auth-plugin). */
export function kubectlOnPath(command = "kubectl", env: NodeJS.ProcessEnv = process.env): Kubectl {
  return {
    run: (args) =>
      new Promise((resolve, reject) => {
        const child = spawn(command, args, { env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (e) => reject(new Error(`could not run ${command}: ${e.message} (the reaper needs kubectl on PATH)`)));
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      }),
  };
}

/** Long enough for a branch's pods to stop and its volumes to be released. */
export const NAMESPACE_DELETE_TIMEOUT_SECONDS = 900;

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-3).join(" / ");
}

/** Deletes `namespace` (absent is fine) and returns once the API server no longer has it. */
export async function deleteNamespace(kubectl: Kubectl, kubeconfig: string, namespace: string): Promise<void> {
  const base = ["--kubeconfig", kubeconfig];
  const del = await kubectl.run([...base, "delete", "namespace", namespace, "--ignore-not-found", "--wait=true", `--timeout=${NAMESPACE_DELETE_TIMEOUT_SECONDS}s`]);
  if (del.code !== 0) throw new Error(`kubectl delete namespace ${namespace} failed (exit ${del.code}): ${lastLines(del.stderr || del.stdout)}`);
  const get = await kubectl.run([...base, "get", "namespace", namespace, "--ignore-not-found", "--output=name"]);
  if (get.code !== 0) throw new Error(`kubectl get namespace ${namespace} failed (exit ${get.code}): ${lastLines(get.stderr || get.stdout)}`);
  if (get.stdout.trim() !== "") {
    throw new Error(`namespace ${namespace} still exists after kubectl waited up to ${NAMESPACE_DELETE_TIMEOUT_SECONDS}s for its deletion (a finalizer that does not finish?); see kubectl get namespace ${namespace} -o yaml`);
  }
}
