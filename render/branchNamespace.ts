import type * as k8s from "@pulumi/kubernetes";
import { BranchLimits } from "../config/types";

/**
 * What bounds one branch namespace, as plain Kubernetes specs: its egress, its quota and its
 * per-container limits. The branch stack creates these objects; the preview stack's admission
 * policies (render/admission.ts) refuse pods in a branch namespace while any of them is missing
 * or differs, so a pull request cannot drop or loosen them.
 */
export const BRANCH_EGRESS_POLICY = "branch-egress";
export const BRANCH_QUOTA = "branch-quota";
export const BRANCH_LIMIT_RANGE = "branch-limits";

/**
 * Never "the internet": RFC 1918 private ranges, RFC 6598 shared space (which GKE may use for
 * pods) and RFC 3927 link-local. Every VPC, peering, private services access range, internal load
 * balancer and cluster address of this platform lies in them.
 */
export const NON_INTERNET_RANGES = ["10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"];

/**
 * The GKE metadata server, which Workload Identity needs (GKE docs, "Use Workload Identity
 * Federation for GKE", restrictions with network policies): 169.254.169.254:80, and
 * 169.254.169.252:988 where gke-metadata-server listens on Dataplane V2.
 */
export const METADATA_SERVER = [
  { cidr: "169.254.169.254/32", port: 80 },
  { cidr: "169.254.169.252/32", port: 988 },
] as const;
/** NodeLocal DNSCache's link-local listener (GKE docs, "Setting up NodeLocal DNSCache"). */
export const NODE_LOCAL_DNS = "169.254.20.10/32";
/**
 * Internet ports: 443 for Google APIs and Snowflake; 80 because Snowflake's drivers check
 * certificates through OCSP responders over plain HTTP (Snowflake docs, "OCSP").
 */
export const INTERNET_PORTS = [443, 80];

type Peer = Record<string, unknown>;
interface EgressRule {
  to: Peer[];
  ports?: { protocol: string; port: number }[];
}

export interface EgressInput {
  /** The cluster's private control-plane endpoint (an IP): run launchers call the Kubernetes API. */
  controlPlaneEndpoint: string;
  /** The preview VPC's ranges: kept out of internet egress even if they are not private ranges. */
  privateRanges: readonly string[];
}

/**
 * Egress of every pod in a branch namespace: its own namespace (its PostgreSQL, webserver and
 * code servers), cluster DNS, the metadata server, the Kubernetes API, and the internet on HTTPS
 * (and HTTP, for OCSP) with every private range excepted. A NetworkPolicy cannot match host names,
 * so "Google APIs and Snowflake" is "public addresses": nothing else in the cluster, the preview
 * VPC, or a peered network (prod's internal load balancer included) is reachable.
 */
export function branchEgressSpec(input: EgressInput): k8s.types.input.networking.v1.NetworkPolicySpec {
  const tcp = (port: number) => ({ protocol: "TCP", port });
  const egress: EgressRule[] = [
    { to: [{ podSelector: {} }] },
    {
      to: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchExpressions: [{ key: "k8s-app", operator: "In", values: ["kube-dns", "node-local-dns"] }] } },
        { ipBlock: { cidr: NODE_LOCAL_DNS } },
      ],
      ports: [{ protocol: "UDP", port: 53 }, tcp(53)],
    },
    ...METADATA_SERVER.map((m) => ({ to: [{ ipBlock: { cidr: m.cidr } }], ports: [tcp(m.port)] })),
    { to: [{ ipBlock: { cidr: `${input.controlPlaneEndpoint}/32` } }], ports: [tcp(443)] },
    { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: internetExceptions(input.privateRanges) } }], ports: INTERNET_PORTS.map(tcp) },
  ];
  return { podSelector: {}, policyTypes: ["Egress"], egress };
}

/** The non-internet ranges, plus any VPC range they do not already cover, sorted. */
export function internetExceptions(vpcRanges: readonly string[]): string[] {
  const extra = vpcRanges.filter((r) => !NON_INTERNET_RANGES.some((outer) => cidrContains(outer, r)));
  return [...new Set([...NON_INTERNET_RANGES, ...extra])].sort();
}

function ipv4(address: string): number {
  return address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** Whether CIDR `inner` lies wholly inside CIDR `outer` (IPv4). */
export function cidrContains(outer: string, inner: string): boolean {
  const [oAddr, oBits] = outer.split("/");
  const [iAddr, iBits] = inner.split("/");
  const ob = Number(oBits);
  if (Number(iBits) < ob) return false;
  const block = 2 ** (32 - ob);
  return Math.floor(ipv4(oAddr) / block) === Math.floor(ipv4(iAddr) / block);
}

/** Requests a branch may hold in all; no load balancer or node port at all (the webserver has no login). */
export function branchQuotaSpec(limits: BranchLimits): { hard: Record<string, string> } {
  return {
    hard: {
      "requests.cpu": limits.cpuQuota,
      "requests.memory": limits.memoryQuota,
      pods: String(limits.podQuota),
      persistentvolumeclaims: "2",
      "services.loadbalancers": "0",
      "services.nodeports": "0",
    },
  };
}

/**
 * Default requests for containers that state none (the charts' init containers, run pods of a
 * location without resources): a quota on requests refuses a pod with a container that has no
 * request, and the default makes every such pod count. No `max` or default limit: a `max` makes
 * Kubernetes refuse every container without a limit, and a default limit below a container's own
 * request makes the pod invalid.
 */
export function branchLimitRangeSpec(): k8s.types.input.core.v1.LimitRangeSpec {
  return { limits: [{ type: "Container", defaultRequest: { cpu: "250m", memory: "512Mi" } }] };
}

/**
 * What the preview cluster's admission policies hold every branch namespace to: derived from the
 * same inputs as the objects a branch creates (branchEgressSpec, branchQuotaSpec), so the two agree.
 */
export function guardrailExpectations(input: EgressInput, limits: BranchLimits): { exactCidrs: string[]; internetExcept: string[]; quota: Record<string, string> } {
  return {
    exactCidrs: [`${input.controlPlaneEndpoint}/32`, ...METADATA_SERVER.map((m) => m.cidr), NODE_LOCAL_DNS].sort(),
    internetExcept: internetExceptions(input.privateRanges),
    quota: branchQuotaSpec(limits).hard,
  };
}

/** Requests of one container, in cores and bytes; a missing request counts as the LimitRange default. */
function requestOf(r: { requests?: Record<string, string> } | undefined, parse: (q: string) => number | undefined): { cpu: number; memory: number } {
  return { cpu: parse(r?.requests?.cpu ?? "250m") ?? 0, memory: parse(r?.requests?.memory ?? "512Mi") ?? 0 };
}

export interface BranchWorkload {
  /** Pods that always run: webserver replicas, daemon, PostgreSQL, the verification Job. */
  fixed: ({ requests?: Record<string, string> } | undefined)[];
  codeServers: ({ requests?: Record<string, string> } | undefined)[];
  run: { requests?: Record<string, string> } | undefined;
}

/**
 * Why the quota cannot hold what a branch runs with every allowed run going (undefined if it can):
 * a run beyond the quota is refused by Kubernetes and waits, which looks like a hung branch.
 */
export function quotaShortfall(limits: BranchLimits, work: BranchWorkload, parse: (q: string) => number | undefined): string | undefined {
  const pods = [...work.fixed, ...work.codeServers, ...Array<typeof work.run>(limits.maxConcurrentRuns).fill(work.run)].map((p) => requestOf(p, parse));
  const need = pods.reduce((a, p) => ({ cpu: a.cpu + p.cpu, memory: a.memory + p.memory }), { cpu: 0, memory: 0 });
  const cpu = parse(limits.cpuQuota) ?? 0;
  const memory = parse(limits.memoryQuota) ?? 0;
  if (need.cpu <= cpu + 1e-9 && need.memory <= memory && pods.length <= limits.podQuota) return undefined;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)}Gi`;
  return `${pods.length} pods requesting ${need.cpu.toFixed(2)} CPU and ${gib(need.memory)} with ${limits.maxConcurrentRuns} runs going exceed the quota (${limits.cpuQuota} CPU, ${limits.memoryQuota}, ${limits.podQuota} pods)`;
}
