import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { COMPONENT_PREFIX } from "./labels";

export interface DagsterIdentityArgs {
  /** 6-30 characters: `dagster` (prod; branch pods impersonate no Google service account). */
  accountId: string;
  project: string;
  namespace: string;
  /** Every Kubernetes ServiceAccount that acts as Dagster: system, and one per code location. */
  kubernetesServiceAccounts: string[];
  /** Buckets the account may read and write, and nothing else. */
  buckets: Record<string, pulumi.Input<string>>;
}

/** Workload Identity member for a Kubernetes ServiceAccount. */
export function workloadIdentityMember(project: string, namespace: string, ksa: string): string {
  return `serviceAccount:${project}.svc.id.goog[${namespace}/${ksa}]`;
}

/**
 * The Google identity Dagster's pods use, with no key file anywhere: Kubernetes ServiceAccounts
 * impersonate it through Workload Identity. Least privilege: object access on its own buckets,
 * granted on the buckets, no project-wide role.
 */
export class DagsterIdentity extends pulumi.ComponentResource {
  readonly account: gcp.serviceaccount.Account;
  readonly email: pulumi.Output<string>;

  constructor(name: string, args: DagsterIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:DagsterIdentity`, name, {}, opts);
    const parent = { parent: this };
    this.account = new gcp.serviceaccount.Account(name, { accountId: args.accountId, displayName: `Dagster (${args.namespace})` }, parent);
    this.email = this.account.email;
    const member = pulumi.interpolate`serviceAccount:${this.email}`;
    for (const key of Object.keys(args.buckets).sort()) {
      new gcp.storage.BucketIAMMember(`${name}-${key}`, { bucket: args.buckets[key], role: "roles/storage.objectAdmin", member }, parent);
    }
    for (const ksa of [...new Set(args.kubernetesServiceAccounts)].sort()) {
      new gcp.serviceaccount.IAMMember(
        `${name}-wi-${ksa}`,
        { serviceAccountId: this.account.name, role: "roles/iam.workloadIdentityUser", member: workloadIdentityMember(args.project, args.namespace, ksa) },
        parent,
      );
    }
    this.registerOutputs({ email: this.email });
  }
}
