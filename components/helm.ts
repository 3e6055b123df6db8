import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface ChartRef {
  /** `dagster` or `dagster-user-deployments`. */
  chart: string;
  version: string;
  repository: string;
}

export interface HelmReleaseArgs extends ChartRef {
  releaseName: string;
  namespace: pulumi.Input<string>;
  values: pulumi.Input<Record<string, unknown>>;
  timeoutSeconds: number;
}

/**
 * Every release this platform installs, with the same safety settings: atomic (a failed upgrade
 * rolls itself back), no namespace creation (Pulumi owns the namespace), bounded history.
 */
export function helmRelease(resourceName: string, args: HelmReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    resourceName,
    {
      name: args.releaseName,
      chart: args.chart,
      version: args.version,
      repositoryOpts: { repo: args.repository },
      namespace: args.namespace,
      values: args.values,
      atomic: true,
      cleanupOnFail: true,
      createNamespace: false,
      timeout: args.timeoutSeconds,
      maxHistory: 10,
    },
    opts,
  );
}
