import { USER_CODE_CHART } from "../chart/names";
import { list, record, text } from "./props";
import { PolicyInput, Props } from "./types";

/**
 * The program installs charts as v3 Releases; a v4 Chart takes the same `chart`, `values`, `name`
 * and `namespace`, so a switch to it keeps the rules on.
 */
const HELM_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"];

/**
 * Whether a resource installs `chart`. The chart may be named bare (`dagster`), with its
 * repository alias (`dagster/dagster`) or as an OCI/URL reference ending in the chart name.
 */
export function isReleaseOf(resource: PolicyInput, chart: string): boolean {
  if (!HELM_TYPES.includes(resource.type)) return false;
  const name = text(resource.props.chart);
  return name !== undefined && (name === chart || name.endsWith(`/${chart}`));
}

export function releaseValues(resource: PolicyInput): Props {
  return record(resource.props.values) ?? {};
}

/** The `deployments` entries of a `dagster-user-deployments` release; none for any other resource. */
export function userDeployments(resource: PolicyInput): Props[] {
  if (!isReleaseOf(resource, USER_CODE_CHART)) return [];
  return list(releaseValues(resource).deployments)
    .map((d) => record(d))
    .filter((d): d is Props => d !== undefined);
}

/** How messages name a code location: its `name`, or its position when it has none. */
export function deploymentLabel(deployment: Props, index: number): string {
  return text(deployment.name) ?? `deployments[${index}]`;
}
