import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { gkeKubeconfig } from "../render/kubeconfig";
import { COMPONENT_PREFIX } from "./labels";
import { PODS_RANGE, SERVICES_RANGE } from "./Network";

export interface GkeAutopilotClusterArgs {
  name: string;
  project: string;
  region: string;
  releaseChannel: string;
  network: pulumi.Input<string>;
  subnetwork: pulumi.Input<string>;
  /** Artifact Registry repository the nodes pull code-location images from. */
  registry?: { location: pulumi.Input<string>; repositoryId: pulumi.Input<string> };
  /**
   * How the control plane is reached from outside the VPC. `public-ip`: its public IP endpoint.
   * `dns`: only the DNS-based endpoint, which Google authorizes (IAM container.clusters.connect)
   * before a request reaches the API server, with Kubernetes tokens and certificates refused
   * there; the IP endpoint stays private (pods and nodes use it inside the VPC).
   */
  controlPlane?: "public-ip" | "dns";
}

/** The nodes' service account id: derivable from the cluster name, so another stack can name it in config. */
export function nodeAccountId(clusterName: string): string {
  return `${clusterName}-nodes`.slice(0, 30);
}

/** Roles GKE nodes need to ship logs and metrics; nothing that touches data. */
const NODE_ROLES = ["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer", "roles/stackdriver.resourceMetadata.writer"];

/**
 * A regional GKE Autopilot cluster with private nodes. Autopilot: Dagster's load is a webserver,
 * a daemon, a few code servers and bursts of run pods; Autopilot bills those pods' requests,
 * scales nodes for the bursts, and always has Workload Identity on, with no node pools to run.
 */
export class GkeAutopilotCluster extends pulumi.ComponentResource {
  readonly cluster: gcp.container.Cluster;
  readonly kubeconfig: pulumi.Output<string>;
  readonly workloadPool: string;
  /** The nodes' own Google service account (image pulls, logs, metrics). */
  readonly nodeServiceAccount: pulumi.Output<string>;
  /** The control plane's private endpoint, as pods in the cluster reach it. */
  readonly privateEndpoint: pulumi.Output<string>;

  constructor(name: string, args: GkeAutopilotClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:GkeAutopilotCluster`, name, {}, opts);
    const parent = { parent: this };
    // Nodes run as their own account, not the default compute one (which has Editor).
    const nodes = new gcp.serviceaccount.Account(`${name}-nodes`, { accountId: nodeAccountId(args.name), displayName: `GKE nodes of ${args.name}` }, parent);
    this.nodeServiceAccount = nodes.email;
    NODE_ROLES.forEach((role) => {
      new gcp.projects.IAMMember(`${name}-nodes-${role.split("/")[1].replace(/\./g, "-")}`, { project: args.project, role, member: pulumi.interpolate`serviceAccount:${nodes.email}` }, parent);
    });
    if (args.registry) {
      new gcp.artifactregistry.RepositoryIamMember(
        `${name}-nodes-registry-reader`,
        { location: args.registry.location, repository: args.registry.repositoryId, role: "roles/artifactregistry.reader", member: pulumi.interpolate`serviceAccount:${nodes.email}` },
        parent,
      );
    }
    this.workloadPool = `${args.project}.svc.id.goog`;
    const dnsOnly = args.controlPlane === "dns";
    this.cluster = new gcp.container.Cluster(
      name,
      {
        name: args.name,
        location: args.region,
        enableAutopilot: true,
        network: args.network,
        subnetwork: args.subnetwork,
        ipAllocationPolicy: { clusterSecondaryRangeName: PODS_RANGE, servicesSecondaryRangeName: SERVICES_RANGE },
        releaseChannel: { channel: args.releaseChannel },
        workloadIdentityConfig: { workloadPool: this.workloadPool },
        privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: dnsOnly },
        ...(dnsOnly ? { controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true, enableK8sTokensViaDns: false, enableK8sCertsViaDns: false } } } : {}),
        clusterAutoscaling: { autoProvisioningDefaults: { serviceAccount: nodes.email, oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"] } },
        deletionProtection: true,
      },
      parent,
    );
    this.privateEndpoint = this.cluster.privateClusterConfig.apply((p) => p?.privateEndpoint ?? "");
    const dnsEndpoint = this.cluster.controlPlaneEndpointsConfig.apply((c) => c?.dnsEndpointConfig?.endpoint ?? "");
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.endpoint, this.cluster.masterAuth, dnsEndpoint])
        .apply(([clusterName, endpoint, auth, dns]) =>
          gkeKubeconfig({
            contextName: `gke_${args.project}_${args.region}_${clusterName}`,
            ...(dnsOnly ? { endpoint: dns } : { endpoint, caCertificate: auth.clusterCaCertificate ?? "" }),
          }),
        ),
    );
    this.registerOutputs({ name: this.cluster.name, kubeconfig: this.kubeconfig });
  }
}
