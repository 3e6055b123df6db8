import * as k8s from "@pulumi/kubernetes";
import { DagsterNamespace } from "../components/DagsterNamespace";
import { WebserverIngress, webserverSourceRanges } from "../components/WebserverIngress";
import { PlatformConfig } from "../config";

export interface Namespace {
  namespace: DagsterNamespace;
  /** Only when `ingress` is iap or internal: the webserver is never exposed any other way. */
  ingress?: WebserverIngress;
}

/** The deployment's namespace, isolated from every other one, and the webserver's exposure if any. */
export function deployNamespace(cfg: PlatformConfig, kubernetes: k8s.Provider): Namespace {
  const ing = cfg.ingress;
  const namespace = new DagsterNamespace(
    "namespace",
    {
      name: cfg.namespace,
      deploymentKind: cfg.deployment.kind,
      allowedIngressCidrs: ing.mode === "none" ? [] : webserverSourceRanges(ing.mode === "internal" ? ing.proxySubnetCidr : undefined),
    },
    { provider: kubernetes },
  );
  if (ing.mode === "none") return { namespace };
  const ingress = new WebserverIngress(
    "webserver-ingress",
    {
      mode: ing.mode,
      host: ing.host,
      namespace: namespace.name,
      oauthClientId: ing.mode === "iap" ? ing.oauthClientId : undefined,
      oauthClientSecret: ing.mode === "iap" ? ing.oauthClientSecret : undefined,
    },
    { provider: kubernetes, dependsOn: [namespace] },
  );
  return { namespace, ingress };
}
