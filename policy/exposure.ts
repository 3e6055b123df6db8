import { SYSTEM_CHART, systemObjectNames } from "../chart/names";
import { backendConfigs, iapGap, ingressExposure, isInternalLoadBalancer, objectKey } from "./gke";
import { isReleaseOf, releaseValues } from "./helm";
import { at, helmTruthy, list, record, text } from "./props";
import { describe, Props, StackResource, StackViolation } from "./types";

const SERVICE_TYPE = "kubernetes:core/v1:Service";
const INGRESS_TYPE = /^kubernetes:(networking\.k8s\.io|extensions)\/[^:]+:Ingress$/;

/** Annotations of every Service this stack defines, directly or through the dagster chart, by namespace/name. */
function serviceAnnotations(resources: readonly StackResource[]): Map<string, Props | undefined> {
  const services = new Map<string, Props | undefined>();
  for (const r of resources) {
    if (r.type === SERVICE_TYPE) {
      const name = text(at(r.props, "metadata", "name"));
      if (name) services.set(objectKey(text(at(r.props, "metadata", "namespace")), name), record(at(r.props, "metadata", "annotations")));
    } else if (isReleaseOf(r, SYSTEM_CHART)) {
      const names = systemObjectNames(text(r.props.name) ?? r.name);
      const annotations = record(at(releaseValues(r), "dagsterWebserver", "service", "annotations"));
      for (const service of [names.webserverService, names.webserverReadOnlyService]) {
        services.set(objectKey(text(r.props.namespace), service), annotations);
      }
    }
  }
  return services;
}

/**
 * The dagster system release: the webserver Service stays ClusterIP, and the chart's Ingress is
 * internal, or external with IAP on the webserver Service's BackendConfig.
 */
function systemReleaseViolations(r: StackResource, configs: ReadonlyMap<string, boolean>): StackViolation[] {
  const values = releaseValues(r);
  const out: StackViolation[] = [];
  const serviceType = at(values, "dagsterWebserver", "service", "type");
  if (serviceType !== undefined && serviceType !== "ClusterIP") {
    out.push({ urn: r.urn, message: `${describe(r)}: dagsterWebserver.service.type must be ClusterIP (is ${JSON.stringify(serviceType)}): the webserver has no login of its own` });
  }
  const ingress = record(values.ingress);
  if (ingress && helmTruthy(ingress.enabled)) {
    const { exposure, ingressClass } = ingressExposure(record(ingress.annotations), ingress.ingressClassName);
    if (exposure === "external") {
      const gap = iapGap(record(at(values, "dagsterWebserver", "service", "annotations")), text(r.props.namespace), configs);
      if (gap) out.push({ urn: r.urn, message: `${describe(r)}: the webserver Ingress is an external load balancer (class gce) without IAP: the webserver Service ${gap}` });
    } else if (exposure === "other") {
      out.push({ urn: r.urn, message: `${describe(r)}: ingress class "${ingressClass}" is neither gce-internal nor gce with IAP` });
    }
  }
  return out;
}

function serviceViolations(r: StackResource, configs: ReadonlyMap<string, boolean>): StackViolation[] {
  const type = at(r.props, "spec", "type");
  const annotations = record(at(r.props, "metadata", "annotations"));
  if (type === "LoadBalancer" && !isInternalLoadBalancer(annotations)) {
    return [{ urn: r.urn, message: `${describe(r)}: a LoadBalancer Service must be internal (annotation networking.gke.io/load-balancer-type: "Internal")` }];
  }
  if (type === "NodePort") {
    const gap = iapGap(annotations, text(at(r.props, "metadata", "namespace")), configs);
    if (gap) return [{ urn: r.urn, message: `${describe(r)}: a NodePort Service must sit behind an IAP-protected load balancer, but it ${gap}` }];
  }
  return [];
}

/** Backend Service names of an Ingress, in both the v1 and the older v1beta1 shapes. */
function ingressBackends(spec: unknown): string[] {
  const backends = [at(spec, "defaultBackend"), at(spec, "backend")];
  for (const rule of list(at(spec, "rules"))) backends.push(...list(at(rule, "http", "paths")).map((p) => at(p, "backend")));
  return backends
    .map((b) => text(at(b, "service", "name")) ?? text(at(b, "serviceName")))
    .filter((n): n is string => n !== undefined);
}

function ingressViolations(r: StackResource, configs: ReadonlyMap<string, boolean>, services: ReadonlyMap<string, Props | undefined>): StackViolation[] {
  const { exposure, ingressClass } = ingressExposure(record(at(r.props, "metadata", "annotations")), at(r.props, "spec", "ingressClassName"));
  if (exposure === "internal") return [];
  if (exposure === "other") return [{ urn: r.urn, message: `${describe(r)}: ingress class "${ingressClass}" is neither gce-internal nor gce with IAP` }];
  const namespace = text(at(r.props, "metadata", "namespace"));
  const backends = ingressBackends(r.props.spec);
  if (backends.length === 0) return [{ urn: r.urn, message: `${describe(r)}: an external (gce) Ingress with no backend Service cannot be shown to be behind IAP` }];
  return backends.flatMap((backend) => {
    const key = objectKey(namespace, backend);
    const gap = services.has(key) ? iapGap(services.get(key), namespace, configs) : "is not defined by this stack, so its IAP cannot be checked";
    return gap ? [{ urn: r.urn, message: `${describe(r)}: external (gce) Ingress without IAP: backend Service ${backend} ${gap}` }] : [];
  });
}

/**
 * The webserver has no authentication: nothing in the stack may expose it, or anything else,
 * beyond the VPC unless Identity-Aware Proxy stands in front.
 */
export function exposureViolations(resources: readonly StackResource[]): StackViolation[] {
  const configs = backendConfigs(resources);
  const services = serviceAnnotations(resources);
  return resources.flatMap((r) => {
    if (isReleaseOf(r, SYSTEM_CHART)) return systemReleaseViolations(r, configs);
    if (r.type === SERVICE_TYPE) return serviceViolations(r, configs);
    if (INGRESS_TYPE.test(r.type)) return ingressViolations(r, configs, services);
    return [];
  });
}
