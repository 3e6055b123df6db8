/**
 * Plausible values for what providers compute (IPs, emails, endpoints), so the offline plan shows
 * the wiring as it will be. Documentation address ranges (RFC 5737) mark the fakes as fakes.
 */
type Inputs = Record<string, unknown>;

/** What a StackReference reads: every output in clear, and which of them are secrets. */
export interface ReferencedOutputs {
  outputs: Inputs;
  secretOutputNames: string[];
}

export const STACK_REFERENCE = "pulumi:pulumi:StackReference";

export interface ComputedContext {
  project: string;
  region: string;
  /** Answers a StackReference: the referenced stack's outputs, by `org/project/stack`. */
  stackOutputs: (reference: string) => Promise<ReferencedOutputs>;
}

const str = (v: unknown, fallback: string): string => (typeof v === "string" && v !== "" ? v : fallback);

/** What a provider returns besides the inputs (StackReferences are answered by `stackReferenceState`). */
export function computedOutputs(type: string, name: string, inputs: Inputs, ctx: Pick<ComputedContext, "project" | "region">): Inputs {
  const project = str(inputs.project, ctx.project);
  const region = str(inputs.region ?? inputs.location, ctx.region);
  switch (type) {
    case "gcp:sql/databaseInstance:DatabaseInstance": {
      const instance = str(inputs.name, name);
      return { name: instance, privateIpAddress: "192.0.2.10", publicIpAddress: "", connectionName: `${project}:${region}:${instance}`, selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${project}/instances/${instance}` };
    }
    case "gcp:container/cluster:Cluster":
      return {
        name: str(inputs.name, name),
        endpoint: "203.0.113.10",
        masterAuth: { clusterCaCertificate: Buffer.from(`offline plan CA for ${str(inputs.name, name)}`).toString("base64") },
        privateClusterConfig: { ...(inputs.privateClusterConfig as Inputs | undefined), privateEndpoint: "192.0.2.20" },
        controlPlaneEndpointsConfig: { dnsEndpointConfig: { ...((inputs.controlPlaneEndpointsConfig as Inputs | undefined)?.dnsEndpointConfig as Inputs | undefined), endpoint: `gke-offline-plan-${str(inputs.name, name)}.${region}.gke.goog` } },
      };
    case "gcp:serviceaccount/account:Account": {
      const email = `${str(inputs.accountId, name)}@${project}.iam.gserviceaccount.com`;
      return { email, name: `projects/${project}/serviceAccounts/${email}`, member: `serviceAccount:${email}` };
    }
    case "gcp:storage/bucket:Bucket":
      // projectNumber: a placeholder (the real one is the project's, known once the bucket exists).
      return { name: str(inputs.name, name), url: `gs://${str(inputs.name, name)}`, selfLink: `https://www.googleapis.com/storage/v1/b/${str(inputs.name, name)}`, projectNumber: 123456789012 };
    case "gcp:compute/network:Network":
      return { name: str(inputs.name, name), selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/networks/${str(inputs.name, name)}` };
    case "gcp:compute/globalAddress:GlobalAddress":
      return { name: str(inputs.name, name), address: "192.0.2.0" };
    case "gcp:compute/address:Address": {
      // A documentation address (RFC 5737 TEST-NET-3), one per reserved address of the plan.
      const n = /-(\d+)$/.exec(str(inputs.name, name))?.[1] ?? "1";
      return { name: str(inputs.name, name), address: `203.0.113.${100 + Number(n)}`, selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${region}/addresses/${str(inputs.name, name)}` };
    }
    case "gcp:artifactregistry/repository:Repository":
      return { name: `projects/${project}/locations/${region}/repositories/${str(inputs.repositoryId, name)}` };
    case "random:index/randomPassword:RandomPassword":
      return { result: `offline-plan-password-${name}` };
    case "tls:index/privateKey:PrivateKey":
      return {
        publicKeyPem: "-----BEGIN PUBLIC KEY-----\nT0ZGTElORS1QTEFOLVBVQkxJQy1LRVk=\n-----END PUBLIC KEY-----\n",
        privateKeyPem: "offline-plan-private-key",
        privateKeyPemPkcs8: "offline-plan-private-key-pkcs8",
      };
    case "snowflake:index/accountRole:AccountRole":
    case "snowflake:index/serviceUser:ServiceUser":
      return { name: str(inputs.name, name) };
    default:
      return {};
  }
}

/** A StackReference's state: the referenced stack's outputs, once its plan has them. */
export async function stackReferenceState(name: string, inputs: Inputs, ctx: ComputedContext): Promise<Inputs> {
  const reference = str(inputs.name, name);
  const { outputs, secretOutputNames } = await ctx.stackOutputs(reference);
  return { name: reference, outputs, secretOutputNames };
}

/** The id a provider would assign, in the provider's own format where other resources use it. */
export function computedId(type: string, name: string, inputs: Inputs, ctx: ComputedContext): string {
  const project = str(inputs.project, ctx.project);
  const region = str(inputs.region, ctx.region);
  const own = str(inputs.name, name);
  switch (type) {
    case "gcp:compute/network:Network":
      return `projects/${project}/global/networks/${own}`;
    case "gcp:compute/subnetwork:Subnetwork":
      return `projects/${project}/regions/${region}/subnetworks/${own}`;
    case "gcp:container/cluster:Cluster":
      return `projects/${project}/locations/${str(inputs.location, region)}/clusters/${own}`;
    default:
      break;
  }
  if (type.startsWith("kubernetes:")) {
    const meta = (inputs.metadata ?? {}) as Inputs;
    return meta.namespace ? `${String(meta.namespace)}/${String(meta.name ?? name)}` : String(meta.name ?? inputs.name ?? name);
  }
  return `${name}-id`;
}
