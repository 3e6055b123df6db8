/** Labels on every Kubernetes object Pulumi (not Helm) creates, so `kubectl get -l` finds them. */
export function platformLabels(component: string): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "dagster-platform",
    "app.kubernetes.io/component": component,
  };
}

export const COMPONENT_PREFIX = "dagster-platform:index";
