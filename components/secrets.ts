import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformLabels } from "./labels";

/**
 * A Kubernetes Secret whose values stay Pulumi secrets end to end: they are wrapped again here,
 * so even a value that arrived as a plain Output is encrypted in state and masked in plans and
 * logs. `describe` lists non-sensitive facts about the content (which user, which database) as
 * annotations, so a plan review and `kubectl describe secret` can see what it is for.
 */
export function kubernetesSecret(
  resourceName: string,
  args: {
    name: string;
    namespace: pulumi.Input<string>;
    component: string;
    data: Record<string, pulumi.Input<string>>;
    describe?: Record<string, pulumi.Input<string>>;
  },
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const stringData: Record<string, pulumi.Output<string>> = {};
  for (const key of Object.keys(args.data).sort()) stringData[key] = pulumi.secret(args.data[key]);
  const annotations: Record<string, pulumi.Input<string>> = {};
  for (const key of Object.keys(args.describe ?? {}).sort()) annotations[`dagster-platform/${key}`] = (args.describe ?? {})[key];
  return new k8s.core.v1.Secret(
    resourceName,
    {
      metadata: { name: args.name, namespace: args.namespace, labels: platformLabels(args.component), annotations },
      type: "Opaque",
      stringData,
    },
    opts,
  );
}
