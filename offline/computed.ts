/**
 * Plausible values for what providers compute (IPs, emails, endpoints), so the offline plan shows
 * the wiring as it will be. Documentation address ranges (RFC 5737) mark the fakes as fakes.
 */
type Inputs = Record<string, unknown>;

export interface ComputedContext {
  project: string;
  region: string;
  /** Answers for StackReferences, by referenced stack name. */
  stackOutputs: Record<string, Record<string, unknown>>;
}

const str = (v: unknown, fallback: string): string => (typeof v === "string" && v !== "" ? v : fallback);

export function computedOutputs(type: string, name: string, inputs: Inputs, ctx: ComputedContext): Inputs {
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
    case "pulumi:pulumi:StackReference": {
      const ref = str(inputs.name, name);
      const outputs = ctx.stackOutputs[ref];
      if (!outputs) throw new Error(`the offline plan has no outputs for the stack reference ${ref}`);
      return { name: ref, outputs, secretOutputNames: [] };
    }
    default:
      return {};
  }
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
