import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { COMPONENT_PREFIX } from "./labels";

export interface NetworkArgs {
  mode: "create" | "existing";
  name: string;
  project: string;
  region: string;
  subnetCidr?: string;
  podsCidr?: string;
  servicesCidr?: string;
  /** A proxy-only subnet for internal Application Load Balancers (ingress internal). */
  proxySubnetCidr?: string;
  /** Private services access (a peering for Cloud SQL's private IP); the preview VPC has no Cloud SQL. */
  privateServicesAccess: boolean;
  /** Reserved external addresses Cloud NAT sends from (create mode): the VPC's fixed egress IPs. */
  natAddresses?: number;
}

export const PODS_RANGE = "pods";
export const SERVICES_RANGE = "services";

/**
 * The VPC: a subnet with secondary ranges for a VPC-native cluster, Cloud NAT so private nodes
 * reach registries and Snowflake, and private services access so Cloud SQL gets a private IP
 * and no public one.
 */
export class Network extends pulumi.ComponentResource {
  readonly networkId: pulumi.Output<string>;
  readonly networkName: pulumi.Output<string>;
  readonly subnetId?: pulumi.Output<string>;
  /**
   * Cloud SQL must wait for the peering, or it cannot take a private IP. Only a created VPC gets
   * one: an existing VPC's private services access is taken as given (a VPC has one connection
   * to servicenetworking; creating a second fails, and changing its ranges would cut off the
   * instances already using it).
   */
  readonly privateServicesAccess?: gcp.servicenetworking.Connection;
  /** The addresses everything in the VPC reaches the internet from (create mode). */
  readonly natEgressIps?: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:Network`, name, {}, opts);
    const parent = { parent: this };
    let network: pulumi.Output<string>;
    if (args.mode === "create") {
      const vpc = new gcp.compute.Network(name, { name: args.name, autoCreateSubnetworks: false, routingMode: "REGIONAL" }, parent);
      const subnet = new gcp.compute.Subnetwork(
        `${name}-nodes`,
        {
          name: `${args.name}-nodes`,
          region: args.region,
          network: vpc.id,
          ipCidrRange: args.subnetCidr as string,
          privateIpGoogleAccess: true,
          secondaryIpRanges: [
            { rangeName: PODS_RANGE, ipCidrRange: args.podsCidr as string },
            { rangeName: SERVICES_RANGE, ipCidrRange: args.servicesCidr as string },
          ],
          logConfig: { aggregationInterval: "INTERVAL_10_MIN", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
        },
        parent,
      );
      if (args.proxySubnetCidr) {
        new gcp.compute.Subnetwork(
          `${name}-proxy-only`,
          { name: `${args.name}-proxy-only`, region: args.region, network: vpc.id, ipCidrRange: args.proxySubnetCidr, purpose: "REGIONAL_MANAGED_PROXY", role: "ACTIVE" },
          parent,
        );
      }
      const router = new gcp.compute.Router(`${name}-router`, { name: `${args.name}-router`, region: args.region, network: vpc.id }, parent);
      // Reserved addresses, not AUTO_ONLY: Google may change auto-allocated NAT addresses, and an
      // allow-list on the other side (a Snowflake network policy on the branch users,
      // docs/snowflake-branches.md) would then lock the cluster out.
      const natAddresses = Array.from({ length: args.natAddresses ?? 1 }, (_, i) =>
        new gcp.compute.Address(`${name}-nat-${i + 1}`, { name: `${args.name}-nat-${i + 1}`, region: args.region, addressType: "EXTERNAL", networkTier: "PREMIUM" }, parent),
      );
      this.natEgressIps = pulumi.all(natAddresses.map((a) => a.address));
      new gcp.compute.RouterNat(
        `${name}-nat`,
        {
          name: `${args.name}-nat`,
          router: router.name,
          region: args.region,
          natIpAllocateOption: "MANUAL_ONLY",
          natIps: natAddresses.map((a) => a.selfLink),
          sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
          logConfig: { enable: true, filter: "ERRORS_ONLY" },
        },
        parent,
      );
      network = vpc.id;
      this.networkName = vpc.name;
      this.subnetId = subnet.id;
    } else {
      network = pulumi.output(`projects/${args.project}/global/networks/${args.name}`);
      this.networkName = pulumi.output(args.name);
    }
    this.networkId = network;
    if (args.mode === "create" && args.privateServicesAccess) {
      const range = new gcp.compute.GlobalAddress(
        `${name}-private-services`,
        { name: `${args.name}-private-services`, purpose: "VPC_PEERING", addressType: "INTERNAL", prefixLength: 20, network },
        parent,
      );
      this.privateServicesAccess = new gcp.servicenetworking.Connection(
        `${name}-private-services`,
        { network, service: "servicenetworking.googleapis.com", reservedPeeringRanges: [range.name] },
        parent,
      );
    }
    this.registerOutputs({ networkId: this.networkId });
  }
}
