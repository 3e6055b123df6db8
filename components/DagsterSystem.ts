import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SYSTEM_CHART, SYSTEM_RELEASE } from "../chart/names";
import { SystemValuesInput, renderSystemValues } from "../render/systemValues";
import { ChartRef, helmRelease } from "./helm";
import { COMPONENT_PREFIX } from "./labels";

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export interface DagsterSystemArgs {
  namespace: pulumi.Input<string>;
  chart: Omit<ChartRef, "chart">;
  timeoutSeconds: number;
  /** Plain or Output pieces of the values; rendered by render/systemValues.ts once resolved. */
  values: Inputs<SystemValuesInput>;
}

/** The `dagster/dagster` release: webserver, daemon and the instance config, no user code. */
export class DagsterSystem extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  readonly values: pulumi.Output<Record<string, unknown>>;

  constructor(name: string, args: DagsterSystemArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:DagsterSystem`, name, {}, opts);
    this.values = pulumi.output(args.values).apply((v) => renderSystemValues(v as SystemValuesInput));
    this.release = helmRelease(
      SYSTEM_RELEASE,
      {
        releaseName: SYSTEM_RELEASE,
        chart: SYSTEM_CHART,
        ...args.chart,
        namespace: args.namespace,
        values: this.values,
        timeoutSeconds: args.timeoutSeconds,
      },
      // The release is what has to wait, not just its component.
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({ release: this.release.name });
  }
}
