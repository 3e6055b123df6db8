import { excerpt } from "../locations/problems";
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "../render/deployment";
import { rangeProblem } from "./cidr";
import { HOST } from "./formats";
import { ConfigReader } from "./reader";
import { IngressConfig } from "./types";

/** How the webserver is exposed: not at all, behind IAP, or on an internal load balancer. */
export function readIngress(c: ConfigReader, deployment: Deployment): IngressConfig {
  const mode = c.enumValue<"none" | "iap" | "internal">("ingress");
  if (mode === "none") return { mode };
  const host = readHost(c, deployment, mode);
  if (mode === "iap" && deployment.kind === "branch") {
    // GKE gives an iap Ingress an external load balancer, and IAP lives in a BackendConfig that
    // admission cannot check together with the Ingress: the preview cluster refuses it.
    c.problem("ingress", "is iap on a branch stack", "branch Ingresses must be internal (the preview cluster admits no other): set ingress internal, or none and use kubectl port-forward");
  }
  if (mode === "iap") {
    const oauthClientId = c.required("iapOAuthClientId", "IAP needs an OAuth client") ?? "";
    const oauthClientSecret = c.requiredSecret("iapOAuthClientSecret", "IAP needs an OAuth client") ?? pulumi.secret("");
    return { mode, host, oauthClientId, oauthClientSecret };
  }
  const proxySubnetCidr = c.string("proxySubnetCidr") ?? "";
  const err = rangeProblem(proxySubnetCidr);
  if (err) c.problem("proxySubnetCidr", err);
  return { mode, host, proxySubnetCidr };
}

/** The webserver's host: `ingressHost`, or pr-<N>.<ingressBranchDomain> for a branch. */
function readHost(c: ConfigReader, deployment: Deployment, mode: string): string {
  let host: string | undefined;
  if (deployment.kind === "branch") {
    const domain = c.required("ingressBranchDomain", `ingress is ${mode}, so branch webservers need a host name under a domain`);
    host = domain ? `pr-${deployment.pullRequest}.${domain}` : undefined;
  } else {
    host = c.required("ingressHost", `ingress is ${mode}, so the webserver needs a host name`);
  }
  if (host !== undefined && !HOST.test(host)) c.problem(deployment.kind === "branch" ? "ingressBranchDomain" : "ingressHost", `${excerpt(host)} is not a DNS host name`);
  return host ?? "";
}
