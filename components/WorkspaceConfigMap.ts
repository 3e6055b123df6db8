import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { COMPONENT_PREFIX, platformLabels } from "./labels";

export interface WorkspaceConfigMapArgs {
  namespace: pulumi.Input<string>;
  /** The ConfigMap's name; the system release's `workspace.externalConfigmap` points at it. */
  configMapName: string;
  /** Rendered by render/workspace.ts. */
  workspaceYaml: string;
}

/**
 * The workspace ConfigMap, owned by Pulumi rather than Helm so that adding a location edits one
 * ConfigMap in place and never upgrades the system release. The chart mounts it without subPath,
 * so the kubelet brings an edit into running pods.
 */
export class WorkspaceConfigMap extends pulumi.ComponentResource {
  readonly configMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: WorkspaceConfigMapArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:WorkspaceConfigMap`, name, {}, opts);
    this.configMap = new k8s.core.v1.ConfigMap(
      name,
      {
        metadata: { name: args.configMapName, namespace: args.namespace, labels: platformLabels("workspace") },
        data: { "workspace.yaml": args.workspaceYaml },
      },
      // The ConfigMap itself waits (e.g. for the location releases), not just its component.
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({ configMap: this.configMap.metadata.name });
  }
}
