import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { COMPONENT_PREFIX } from "./labels";

export interface ArtifactRegistryArgs {
  repositoryId: string;
  project: string;
  region: string;
  keepRecent: number;
  untaggedDays: number;
  /** Service accounts of other projects' nodes that pull these images (the preview cluster's). */
  readers?: string[];
}

/**
 * The Docker repository code-location images are pushed to. Tags are immutable, so a pinned tag
 * in repos/ always means the same image; a cleanup policy keeps storage bounded.
 */
export class ArtifactRegistry extends pulumi.ComponentResource {
  readonly repository: gcp.artifactregistry.Repository;
  readonly url: string;

  constructor(name: string, args: ArtifactRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:ArtifactRegistry`, name, {}, opts);
    this.repository = new gcp.artifactregistry.Repository(
      name,
      {
        repositoryId: args.repositoryId,
        location: args.region,
        format: "DOCKER",
        description: "Dagster code-location images",
        dockerConfig: { immutableTags: true },
        cleanupPolicyDryRun: false,
        cleanupPolicies: [
          { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: args.keepRecent } },
          { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: `${args.untaggedDays * 86400}s` } },
        ],
        labels: { "managed-by": "pulumi", "part-of": "dagster-platform" },
      },
      { parent: this },
    );
    for (const reader of [...new Set(args.readers ?? [])].sort()) {
      // Read on this repository only: images are code, never data.
      new gcp.artifactregistry.RepositoryIamMember(
        `${name}-reader-${reader.split("@")[0]}`,
        { location: this.repository.location, repository: this.repository.repositoryId, role: "roles/artifactregistry.reader", member: `serviceAccount:${reader}` },
        { parent: this },
      );
    }
    this.url = `${args.region}-docker.pkg.dev/${args.project}/${args.repositoryId}`;
    this.registerOutputs({ url: this.url });
  }
}
