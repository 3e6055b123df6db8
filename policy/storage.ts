import { PolicyInput } from "./types";

const BUCKET_TYPE = "gcp:storage/bucket:Bucket";

/**
 * Dagster's buckets hold compute logs and definitions state: never public. Public access
 * prevention blocks allUsers/allAuthenticatedUsers grants; uniform access turns off object ACLs,
 * the other way an object becomes public.
 */
export function bucketAccessViolations(resource: PolicyInput): string[] {
  if (resource.type !== BUCKET_TYPE) return [];
  const out: string[] = [];
  if (resource.props.publicAccessPrevention !== "enforced") {
    out.push(`publicAccessPrevention must be "enforced" (is ${JSON.stringify(resource.props.publicAccessPrevention ?? null)})`);
  }
  if (resource.props.uniformBucketLevelAccess !== true) {
    out.push("uniformBucketLevelAccess must be true: object ACLs could make single objects public");
  }
  return out;
}
