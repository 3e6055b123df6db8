import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { USER_CODE_CHART, userCodeObjectNames } from "../chart/names";
import { UserCodeValuesInput, renderUserCodeValues } from "../render/userCodeValues";
import { ChartRef, helmRelease } from "./helm";
import { COMPONENT_PREFIX } from "./labels";

export interface UserCodeLocationArgs {
  namespace: pulumi.Input<string>;
  chart: Omit<ChartRef, "chart">;
  timeoutSeconds: number;
  values: UserCodeValuesInput;
}

/**
 * One code location: its own `dagster/dagster-user-deployments` release `code-<name>`, so that
 * changing one location's image upgrades that release and nothing else.
 */
export class UserCodeLocation extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  readonly serviceName: string;

  constructor(name: string, args: UserCodeLocationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:UserCodeLocation`, name, {}, opts);
    const names = userCodeObjectNames(args.values.location.name);
    this.serviceName = names.service;
    const values = renderUserCodeValues(args.values);
    this.release = helmRelease(
      names.release,
      {
        releaseName: names.release,
        chart: USER_CODE_CHART,
        ...args.chart,
        namespace: args.namespace,
        values,
        timeoutSeconds: args.timeoutSeconds,
      },
      // The release is what has to wait, not just its component.
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({ release: this.release.name, service: this.serviceName });
  }
}
