import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformLabels } from "../components/labels";
import { PlatformConfig } from "../config";
import { referencedNames } from "../config/branchObjects";
import { offlinePlanEnabled } from "../offline/mode";
import { PREVIEW_OUTPUTS } from "./outputs";

type ObjectData = Record<string, Record<string, string>>;

/**
 * A branch's copies of the Secrets and ConfigMaps its locations reference, with the preview
 * stack's branch-safe values. config/ has already refused any reference the preview stack does not
 * provide, so every name here has an entry; every one is a required reference, as in prod.
 */
export function deployBranchObjects(cfg: PlatformConfig, preview: pulumi.StackReference | undefined, namespace: pulumi.Output<string>, kubernetes: k8s.Provider): pulumi.Resource[] {
  if (!cfg.branch || !preview) return [];
  const secrets = preview.requireOutput(PREVIEW_OUTPUTS.branchSecrets) as pulumi.Output<ObjectData>;
  const configMaps = preview.requireOutput(PREVIEW_OUTPUTS.branchConfigMaps) as pulumi.Output<ObjectData>;
  const entry = (all: pulumi.Output<ObjectData>, name: string) => all.apply((a) => valuesOf(a, name, offlinePlanEnabled()));
  return [
    ...referencedNames(cfg.locations, "secrets").map(
      (name) =>
        new k8s.core.v1.Secret(
          `branch-secret-${name}`,
          // A Pulumi secret end to end: the preview stack's output is one, and it is wrapped again.
          { metadata: { name, namespace, labels: platformLabels("branch-safe-secret") }, type: "Opaque", stringData: pulumi.secret(entry(secrets, name)) },
          { provider: kubernetes },
        ),
    ),
    ...referencedNames(cfg.locations, "configMaps").map(
      (name) =>
        new k8s.core.v1.ConfigMap(
          `branch-configmap-${name}`,
          { metadata: { name, namespace, labels: platformLabels("branch-safe-configmap") }, data: entry(configMaps, name) },
          { provider: kubernetes },
        ),
    ),
  ];
}

/**
 * One object's values. The preview stack deploys from main, so a pull request that lists a new
 * name gets no value until it is merged and the preview stack redeployed: the branch fails then
 * rather than start a location without its variables. An offline plan answers from the committed
 * preview configuration, which may lag a branch's own list: it plans the object empty.
 */
export function valuesOf(all: ObjectData, name: string, offline: boolean): Record<string, string> {
  const values = all[name];
  if (values !== undefined) return values;
  if (offline) return {};
  throw new Error(`the preview stack has no branch-safe values for "${name}": set them in its branchSecretValues/branchConfigMapValues and redeploy it from main`);
}
