import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformLabels } from "./labels";

/**
 * A Kubernetes Secret whose values stay Pulumi secrets end to end: they are wrapped again here,
 * so even a value that arrived as a plain Output is encrypted in state and masked in plans.
 */
export function kubernetesSecret(
  resourceName: string,
  args: { name: string; namespace: pulumi.Input<string>; component: string; data: Record<string, pulumi.Input<string>> },
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const stringData: Record<string, pulumi.Output<string>> = {};
  for (const key of Object.keys(args.data).sort()) stringData[key] = pulumi.secret(args.data[key]);
  return new k8s.core.v1.Secret(
    resourceName,
    {
      metadata: { name: args.name, namespace: args.namespace, labels: platformLabels(args.component) },
      type: "Opaque",
      stringData,
    },
    opts,
  );
}
