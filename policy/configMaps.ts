import { looksSecret } from "../locations/secretLooking";
import { deploymentLabel, userDeployments } from "./helm";
import { keysOf, record } from "./props";
import { PolicyInput } from "./types";

const CONFIG_MAP_TYPE = "kubernetes:core/v1:ConfigMap";

/**
 * ConfigMaps are readable by anyone who can read the namespace's configuration and are stored
 * unencrypted: a key that looks like a secret means a secret in the wrong place. Only keys are
 * judged; values are never read, so nothing sensitive ends up in a policy message.
 */
export function configMapSecretViolations(resource: PolicyInput): string[] {
  if (resource.type === CONFIG_MAP_TYPE) {
    return (["data", "binaryData"] as const).flatMap((field) =>
      keysOf(resource.props[field])
        .filter(looksSecret)
        .map((key) => `${field} key "${key}" looks like a secret: keep it in a Kubernetes Secret, not a ConfigMap`),
    );
  }
  // dagster-user-deployments renders a map-shaped `env` into the ConfigMap <release>-<name>-user-env.
  // A list-shaped env goes into the pod spec instead, and is not this rule's concern.
  return userDeployments(resource).flatMap((deployment, i) =>
    record(deployment.env)
      ? keysOf(deployment.env)
          .filter(looksSecret)
          .map(
            (key) =>
              `code location ${deploymentLabel(deployment, i)}: env "${key}" looks like a secret, and the chart writes env into a ConfigMap: ` +
              "list a Kubernetes Secret under `secrets:` in its repos/ file instead",
          )
      : [],
  );
}
