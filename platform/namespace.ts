import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BranchGuardrails } from "../components/BranchGuardrails";
import { DagsterNamespace } from "../components/DagsterNamespace";
import { WebserverIngress, webserverSourceRanges } from "../components/WebserverIngress";
import { PlatformConfig } from "../config";
import { BRANCH_DEPLOYER_ROLE_BINDING, BRANCH_NAMESPACE_CLUSTER_ROLE } from "../render/branchRbac";
import { PREVIEW_OUTPUTS } from "./outputs";

export interface Namespace {
  namespace: DagsterNamespace;
  /** The namespace's name, resolving once it is usable (a branch: once the deployer is bound in it). */
  name: pulumi.Output<string>;
  /** Only when `ingress` is iap or internal: the webserver is never exposed any other way. */
  ingress?: WebserverIngress;
  /** Branches: what every pod waits for (the preview cluster admits none before it). */
  guardrails: pulumi.Resource[];
}

/** The deployment's namespace, isolated from every other one, and the webserver's exposure if any. */
export function deployNamespace(cfg: PlatformConfig, kubernetes: k8s.Provider, preview?: pulumi.StackReference): Namespace {
  const ing = cfg.ingress;
  const kind = cfg.deployment.kind === "branch" ? "branch" : "prod";
  const namespace = new DagsterNamespace(
    "namespace",
    {
      name: cfg.namespace,
      deploymentKind: kind,
      allowedIngressCidrs: ing.mode === "none" ? [] : webserverSourceRanges(ing.mode === "internal" ? ing.proxySubnetCidr : undefined),
      bindDeployer: preview
        ? { user: preview.requireOutput(PREVIEW_OUTPUTS.branchDeployer) as pulumi.Output<string>, clusterRole: BRANCH_NAMESPACE_CLUSTER_ROLE, bindingName: BRANCH_DEPLOYER_ROLE_BINDING }
        : undefined,
    },
    { provider: kubernetes },
  );
  const name = namespace.name;
  const guardrails: pulumi.Resource[] = [];
  if (cfg.branch && preview) {
    const egress = pulumi
      .all([preview.requireOutput(PREVIEW_OUTPUTS.controlPlaneEndpoint), preview.requireOutput(PREVIEW_OUTPUTS.privateRanges)])
      .apply(([controlPlaneEndpoint, privateRanges]) => ({ controlPlaneEndpoint: String(controlPlaneEndpoint), privateRanges: (privateRanges as string[]).map(String) }));
    guardrails.push(...new BranchGuardrails("guardrails", { namespace: name, limits: cfg.branch.limits, egress }, { provider: kubernetes }).resources);
  }
  if (ing.mode === "none") return { namespace, name, guardrails };
  const ingress = new WebserverIngress(
    "webserver-ingress",
    {
      mode: ing.mode,
      host: ing.host,
      namespace: name,
      oauthClientId: ing.mode === "iap" ? ing.oauthClientId : undefined,
      oauthClientSecret: ing.mode === "iap" ? ing.oauthClientSecret : undefined,
    },
    { provider: kubernetes, dependsOn: [namespace] },
  );
  return { namespace, name, ingress, guardrails };
}
