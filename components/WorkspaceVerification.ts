import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sha256 } from "../render/workspace";
import { COMPONENT_PREFIX, platformLabels } from "./labels";

export interface WorkspaceVerificationArgs {
  namespace: pulumi.Input<string>;
  image: string;
  timeoutSeconds: number;
  /** The webserver's GraphQL endpoint inside the cluster. */
  graphqlUrl: string;
  /** Location names that must be loaded, and no others. */
  expectedLocations: string[];
  workspaceYaml: string;
  /** The verifier (verify/verify_workspace.py), mounted from a ConfigMap. */
  script: string;
  /** The workspace ConfigMap and every release: the Job runs after all of them. */
  dependsOn: pulumi.Resource[];
}

/** Finished verification Jobs are removed by Kubernetes after this long. */
export const VERIFY_JOB_TTL_SECONDS = 3600;

/** The Job name for a workspace version: a new workspace (or verifier) is a new Job. */
export function verificationJobName(workspaceYaml: string, script: string): string {
  return `verify-workspace-${sha256(`${workspaceYaml}\n---\n${script}`).slice(0, 12)}`;
}

/**
 * Proof that a workspace change took effect without restarting anything: a Job that calls the
 * webserver's `reloadWorkspace` until exactly the expected locations are LOADED, or fails with
 * the location's Python error. Pulumi waits for Jobs, so `pulumi up` fails when a location does.
 */
export class WorkspaceVerification extends pulumi.ComponentResource {
  readonly job: k8s.batch.v1.Job;
  readonly jobName: string;

  constructor(name: string, args: WorkspaceVerificationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:WorkspaceVerification`, name, {}, opts);
    const labels = platformLabels("workspace-verification");
    this.jobName = verificationJobName(args.workspaceYaml, args.script);
    const script = new k8s.core.v1.ConfigMap(
      `${name}-script`,
      { metadata: { name: this.jobName, namespace: args.namespace, labels }, data: { "verify_workspace.py": args.script } },
      { parent: this },
    );
    this.job = new k8s.batch.v1.Job(
      name,
      {
        metadata: { name: this.jobName, namespace: args.namespace, labels },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: args.timeoutSeconds + 120,
          ttlSecondsAfterFinished: VERIFY_JOB_TTL_SECONDS,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              containers: [
                {
                  name: "verify",
                  image: args.image,
                  command: ["python3", "/verifier/verify_workspace.py"],
                  env: [
                    { name: "DAGSTER_GRAPHQL_URL", value: args.graphqlUrl },
                    { name: "EXPECTED_LOCATIONS", value: [...args.expectedLocations].sort().join(",") },
                    { name: "VERIFY_TIMEOUT_SECONDS", value: String(args.timeoutSeconds) },
                    { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
                  ],
                  resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "512Mi" } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
                  volumeMounts: [{ name: "verifier", mountPath: "/verifier", readOnly: true }],
                },
              ],
              volumes: [{ name: "verifier", configMap: { name: this.jobName } }],
            },
          },
        },
      },
      { parent: this, dependsOn: [script, ...args.dependsOn] },
    );
    this.registerOutputs({ job: this.jobName });
  }
}
