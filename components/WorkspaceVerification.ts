import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WEBSERVER_PEERS_SERVICE } from "../chart/names";
import { sha256 } from "../render/workspace";
import { COMPONENT_PREFIX, platformLabels } from "./labels";

export interface WorkspaceVerificationArgs {
  namespace: pulumi.Input<string>;
  image: string;
  timeoutSeconds: number;
  /** The webserver's GraphQL endpoint inside the cluster. */
  graphqlUrl: string;
  /** Pod labels of the webserver replicas, and how many there are: each keeps its own workspace. */
  webserverPodSelector: Record<string, string>;
  webserverReplicas: number;
  webserverPort: number;
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
    // Every webserver replica holds its own copy of the workspace, and a Service call reaches one
    // of them: the verifier resolves this name to all replicas and reloads each.
    const peers = new k8s.core.v1.Service(
      `${name}-webserver-pods`,
      {
        metadata: { name: WEBSERVER_PEERS_SERVICE, namespace: args.namespace, labels },
        spec: { clusterIP: "None", selector: args.webserverPodSelector, ports: [{ name: "http", port: args.webserverPort, targetPort: args.webserverPort }] },
      },
      { parent: this },
    );
    const script = new k8s.core.v1.ConfigMap(
      `${name}-script`,
      { metadata: { name: this.jobName, namespace: args.namespace, labels }, data: { "verify_workspace.py": args.script } },
      { parent: this },
    );
    this.job = new k8s.batch.v1.Job(
      name,
      {
        metadata: {
          name: this.jobName,
          namespace: args.namespace,
          labels,
          // After a failed verification the same workspace keeps the same Job name: replace the
          // failed Job on the next `pulumi up` (once the location is fixed) instead of waiting on it.
          annotations: { "pulumi.com/replaceUnready": "true" },
        },
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
                    { name: "DAGSTER_WEBSERVER_PEERS", value: pulumi.interpolate`${WEBSERVER_PEERS_SERVICE}.${args.namespace}.svc.cluster.local` },
                    { name: "DAGSTER_WEBSERVER_PORT", value: String(args.webserverPort) },
                    { name: "DAGSTER_WEBSERVER_REPLICAS", value: String(args.webserverReplicas) },
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
      {
        parent: this,
        dependsOn: [script, peers, ...args.dependsOn],
        // Pulumi's default wait for a Job is 10 minutes; the verifier may take its whole timeout
        // plus pod start-up on a node Autopilot has to add.
        customTimeouts: { create: `${args.timeoutSeconds + 300}s`, update: `${args.timeoutSeconds + 300}s` },
      },
    );
    this.registerOutputs({ job: this.jobName });
  }
}
