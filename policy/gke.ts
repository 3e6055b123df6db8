import { at, keysOf, record, text } from "./props";
import { Props, StackResource } from "./types";

/**
 * How GKE decides who can reach a Service: which load balancer an Ingress class makes, whether an
 * L4 Service is internal, and whether a Service's BackendConfig puts Identity-Aware Proxy in front.
 */
const INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";
const BACKEND_CONFIG_ANNOTATIONS = ["cloud.google.com/backend-config", "beta.cloud.google.com/backend-config"];
const INTERNAL_LB_ANNOTATIONS = ["networking.gke.io/load-balancer-type", "cloud.google.com/load-balancer-type"];

export type IngressExposure = "internal" | "external" | "other";

/**
 * GKE's controller reads the annotation first; an Ingress with no class at all is picked up by it
 * as `gce`, the external load balancer.
 */
export function ingressExposure(annotations: Props | undefined, ingressClassName: unknown): { exposure: IngressExposure; ingressClass: string } {
  const ingressClass = text(annotations?.[INGRESS_CLASS_ANNOTATION]) || text(ingressClassName) || "gce";
  const exposure = ingressClass === "gce-internal" ? "internal" : ingressClass === "gce" ? "external" : "other";
  return { exposure, ingressClass };
}

export function isInternalLoadBalancer(annotations: Props | undefined): boolean {
  return INTERNAL_LB_ANNOTATIONS.some((a) => (text(annotations?.[a]) ?? "").toLowerCase() === "internal");
}

/** How Services and BackendConfigs are looked up: a Service only uses BackendConfigs of its own namespace. */
export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

/** The stack's BackendConfigs, by namespace and name, with whether each turns IAP on. */
export function backendConfigs(resources: readonly StackResource[]): Map<string, boolean> {
  const configs = new Map<string, boolean>();
  for (const r of resources) {
    if (!/^kubernetes:cloud\.google\.com\/[^:]+:BackendConfig$/.test(r.type)) continue;
    const name = text(at(r.props, "metadata", "name"));
    if (name) configs.set(objectKey(text(at(r.props, "metadata", "namespace")), name), at(r.props, "spec", "iap", "enabled") === true);
  }
  return configs;
}

/**
 * Why a Service in `namespace` with these annotations is NOT behind IAP, or undefined when it is.
 * The annotation is `{"default": name}` and/or `{"ports": {port: name}}`; every BackendConfig it
 * names must be in the stack and enable IAP, since any of them may serve the load balancer.
 */
export function iapGap(annotations: Props | undefined, namespace: string | undefined, configs: ReadonlyMap<string, boolean>): string | undefined {
  const annotation = BACKEND_CONFIG_ANNOTATIONS.map((a) => text(annotations?.[a])).find((v) => v !== undefined);
  if (annotation === undefined) return `has no ${BACKEND_CONFIG_ANNOTATIONS[0]} annotation naming an IAP-enabled BackendConfig`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(annotation);
  } catch {
    return `has a ${BACKEND_CONFIG_ANNOTATIONS[0]} annotation that is not JSON: ${annotation}`;
  }
  const ports = record(at(parsed, "ports"));
  const names = [text(at(parsed, "default")), ...keysOf(ports).map((p) => text(ports?.[p]))].filter((n): n is string => !!n);
  if (names.length === 0) return `has a ${BACKEND_CONFIG_ANNOTATIONS[0]} annotation that names no BackendConfig`;
  for (const name of names) {
    const iap = configs.get(objectKey(namespace, name));
    if (iap === undefined) return `names BackendConfig ${name}, which is not a resource of this stack in namespace ${namespace ?? "(default)"}`;
    if (!iap) return `names BackendConfig ${name}, which does not set spec.iap.enabled: true`;
  }
  return undefined;
}
