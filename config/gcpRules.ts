/**
 * Google Cloud's own naming rules for the names this program gives GCP resources, so that a name
 * the API would refuse is refused before anything is planned. Each rule cites its source.
 * Each function returns why a name breaks the rule, or undefined.
 */

/** RFC 1035 label, as Compute Engine names (VPCs, subnets, routers, addresses) must be: cloud.google.com/compute/docs/naming-resources. */
const RFC1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function computeNameProblem(name: string): string | undefined {
  if (!RFC1035.test(name)) return "Compute Engine names are 1-63 lowercase letters, digits and -, starting with a letter and not ending with - (RFC 1035)";
  return undefined;
}

/** GKE: "must start with a lowercase letter followed by up to 39 lowercase letters, numbers, or hyphens, and can't end with a hyphen" (cloud.google.com/kubernetes-engine/docs/how-to/creating-an-autopilot-cluster). */
export function gkeClusterNameProblem(name: string): string | undefined {
  if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) return "a GKE cluster name is 1-40 lowercase letters, digits and -, starting with a letter and not ending with -";
  return undefined;
}

/** IAM: a service account id is 6-30 characters, `^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$` (cloud.google.com/iam/docs/service-accounts-create). */
export function serviceAccountIdProblem(id: string): string | undefined {
  if (!/^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/.test(id)) return "a service account id is 6-30 lowercase letters, digits and -, starting with a letter and not ending with -";
  return undefined;
}

/** Artifact Registry: repository names are lowercase letters, numbers and hyphens, start with a letter, end with a letter or number, at most 63 (cloud.google.com/artifact-registry/docs/repositories/create-repos). */
export function registryIdProblem(id: string): string | undefined {
  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(id)) return "an Artifact Registry repository id is 1-63 lowercase letters, digits and -, starting with a letter";
  return undefined;
}

/**
 * Cloud Storage bucket names (cloud.google.com/storage/docs/buckets#naming): 3-63 characters
 * (up to 222 with dots, each dot-separated part at most 63), lowercase letters, digits, -, _ and
 * ., starting and ending with a letter or digit; not an IP address; not starting with "goog" and
 * not containing "google" or a close misspelling of it.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][-a-z0-9_.]*[a-z0-9]$/.test(name)) return "a bucket name is lowercase letters, digits, -, _ and ., starting and ending with a letter or digit";
  const parts = name.split(".");
  if (name.length < 3 || (parts.length === 1 && name.length > 63) || name.length > 222 || parts.some((p) => p.length > 63)) {
    return "a bucket name is 3-63 characters (222 with dots, at most 63 between two dots)";
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "a bucket name cannot be an IP address";
  if (name.startsWith("goog") || /g[o0][o0]g[l1]e/.test(name)) return 'a bucket name cannot start with "goog" or contain "google" (or a misspelling of it)';
  return undefined;
}

/** A GCP region (compute regions are <area>-<direction><digit>, e.g. europe-west4, us-central1: cloud.google.com/compute/docs/regions-zones). */
export function regionProblem(region: string): string | undefined {
  if (!/^[a-z]+-[a-z]+[0-9]+$/.test(region)) return "a GCP region looks like europe-west4 or us-central1";
  return undefined;
}

/**
 * Bucket locations (cloud.google.com/storage/docs/locations): a region (EUROPE-WEST4), a
 * dual-region (EUR4, NAM4, ASIA1) or a multi-region (EU, US, ASIA); case does not matter.
 */
export function bucketLocationProblem(location: string): string | undefined {
  if (!/^[A-Za-z]+(-[A-Za-z]+[0-9]+|[0-9]+)?$/.test(location)) return "a bucket location is a region (EUROPE-WEST4), a dual-region (EUR4) or a multi-region (EU, US, ASIA)";
  return undefined;
}

/**
 * Cloud SQL tiers (cloud.google.com/sql/docs/postgres/instance-settings): shared-core
 * db-f1-micro and db-g1-small, or db-custom-<vCPUs>-<MB> where vCPUs is 1 or an even number up
 * to 96 and memory is 0.9 to 6.5 GB per vCPU, a multiple of 256 MB and at least 3840 MB
 * (cloud.google.com/sql/docs/postgres/create-instance#machine-types).
 */
export function sqlTierProblem(tier: string): string | undefined {
  if (tier === "db-f1-micro" || tier === "db-g1-small") return undefined;
  const m = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (!m) return "a Cloud SQL tier is db-custom-<vCPUs>-<memory MB> (or db-f1-micro, db-g1-small)";
  const cpus = Number(m[1]);
  const mb = Number(m[2]);
  if (cpus !== 1 && (cpus % 2 !== 0 || cpus < 2 || cpus > 96)) return `${cpus} vCPUs: a custom tier has 1 or an even number of vCPUs up to 96`;
  if (mb % 256 !== 0) return `${mb} MB: custom memory is a multiple of 256 MB`;
  if (mb < 3840 || mb < cpus * 921.6 || mb > cpus * 6656) return `${mb} MB for ${cpus} vCPU: custom memory is 0.9 to 6.5 GB per vCPU, at least 3840 MB`;
  return undefined;
}
