import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEPLOYMENT_KIND_LABEL } from "../render/deployment";
import { COMPONENT_PREFIX, platformLabels } from "./labels";

export interface DagsterNamespaceArgs {
  name: string;
  /** `prod` or `branch`, as a label, so humans can tell them apart (the policy pack goes by the stack name). */
  deploymentKind: "prod" | "branch";
  /** Source ranges allowed to reach pods from outside the namespace (the load balancer's). */
  allowedIngressCidrs: string[];
  /**
   * Branches: the deployer binds itself in its new namespace with this ClusterRole, the first
   * thing it does there (it holds no rights in the namespace before).
   */
  bindDeployer?: { user: pulumi.Input<string>; clusterRole: string; bindingName: string };
}

/**
 * The namespace a deployment runs in, isolated: pods accept traffic only from their own
 * namespace (and from the load balancer's ranges when the webserver is exposed). A branch's
 * pods therefore cannot call prod's webserver or code servers, and the other way round.
 */
export class DagsterNamespace extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  /** The name, resolving once the namespace is usable (for a branch: once the deployer is bound in it). */
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: DagsterNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:DagsterNamespace`, name, {}, opts);
    this.namespace = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.name,
          labels: { ...platformLabels("namespace"), [DEPLOYMENT_KIND_LABEL]: args.deploymentKind },
        },
      },
      { parent: this },
    );
    this.name = this.namespace.metadata.name;
    if (args.bindDeployer) {
      const b = args.bindDeployer;
      const binding = new k8s.rbac.v1.RoleBinding(
        `${name}-deployer`,
        {
          metadata: { name: b.bindingName, namespace: this.name, labels: platformLabels("branch-deployer") },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: b.clusterRole },
          subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: b.user }],
        },
        { parent: this },
      );
      this.name = pulumi.all([this.namespace.metadata.name, binding.metadata.name]).apply(([n]) => n);
    }
    new k8s.networking.v1.NetworkPolicy(
      `${name}-isolation`,
      {
        metadata: { name: "isolate-namespace", namespace: this.name, labels: platformLabels("namespace") },
        spec: {
          podSelector: {},
          policyTypes: ["Ingress"],
          ingress: [
            { from: [{ podSelector: {} }] },
            ...(args.allowedIngressCidrs.length > 0 ? [{ from: args.allowedIngressCidrs.map((cidr) => ({ ipBlock: { cidr } })) }] : []),
          ],
        },
      },
      { parent: this },
    );
    this.registerOutputs({ name: this.name });
  }
}
