import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SystemIngress } from "../render/systemValues";
import { COMPONENT_PREFIX, platformLabels } from "./labels";
import { kubernetesSecret } from "./secrets";

/** Google Front End and health-check source ranges: the only outsiders that may reach the webserver pods. */
export const GOOGLE_LB_RANGES = ["130.211.0.0/22", "35.191.0.0/16"];

/** Where traffic to an exposed webserver comes from: Google's proxies and health checks, and an internal load balancer's proxy-only subnet. */
export function webserverSourceRanges(proxySubnetCidr?: string): string[] {
  return [...GOOGLE_LB_RANGES, ...(proxySubnetCidr ? [proxySubnetCidr] : [])].sort();
}

export interface WebserverIngressArgs {
  mode: "iap" | "internal";
  host: string;
  namespace: pulumi.Input<string>;
  /** iap only. */
  oauthClientId?: string;
  oauthClientSecret?: pulumi.Input<string>;
}

const BACKEND_CONFIG = "dagster-webserver";
const CERTIFICATE = "dagster-webserver";

/**
 * Exposure of the webserver, which has no login of its own, only in two shapes: an external
 * HTTPS load balancer with Identity-Aware Proxy in front, or an internal load balancer. The
 * chart renders the Ingress; this component adds what GKE needs around it and hands back the
 * chart values.
 */
export class WebserverIngress extends pulumi.ComponentResource {
  readonly chartValues: SystemIngress;
  readonly url: string;
  readonly dependencies: pulumi.Resource[] = [];

  constructor(name: string, args: WebserverIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:WebserverIngress`, name, {}, opts);
    const parent = { parent: this };
    const labels = platformLabels("ingress");
    const backend: Record<string, unknown> = { healthCheck: { type: "HTTP", requestPath: "/server_info", port: 80 }, timeoutSec: 300 };
    if (args.mode === "iap") {
      const oauth = kubernetesSecret(
        `${name}-iap-oauth`,
        { name: "dagster-iap-oauth", namespace: args.namespace, component: "ingress", data: { client_id: args.oauthClientId ?? "", client_secret: args.oauthClientSecret ?? "" }, describe: { "oauth-client-id": args.oauthClientId ?? "" } },
        parent,
      );
      this.dependencies.push(oauth);
      backend.iap = { enabled: true, oauthclientCredentials: { secretName: "dagster-iap-oauth" } };
      this.dependencies.push(
        new k8s.apiextensions.CustomResource(
          `${name}-certificate`,
          { apiVersion: "networking.gke.io/v1", kind: "ManagedCertificate", metadata: { name: CERTIFICATE, namespace: args.namespace, labels }, spec: { domains: [args.host] } },
          parent,
        ),
      );
    }
    this.dependencies.push(
      new k8s.apiextensions.CustomResource(
        `${name}-backend`,
        { apiVersion: "cloud.google.com/v1", kind: "BackendConfig", metadata: { name: BACKEND_CONFIG, namespace: args.namespace, labels }, spec: backend },
        parent,
      ),
    );
    const external = args.mode === "iap";
    this.chartValues = {
      host: args.host,
      annotations: external
        ? { "kubernetes.io/ingress.class": "gce", "kubernetes.io/ingress.allow-http": "false", "networking.gke.io/managed-certificates": CERTIFICATE }
        : { "kubernetes.io/ingress.class": "gce-internal" },
      serviceAnnotations: {
        "cloud.google.com/backend-config": JSON.stringify({ default: BACKEND_CONFIG }),
        "cloud.google.com/neg": JSON.stringify({ ingress: true }),
      },
    };
    this.url = `${external ? "https" : "http"}://${args.host}`;
    this.registerOutputs({ url: this.url });
  }
}
