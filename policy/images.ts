import { isPinned, parseImage } from "../locations/image";
import { deploymentLabel, userDeployments } from "./helm";
import { record, text } from "./props";
import { PolicyInput, Props } from "./types";

/**
 * The reference the chart deploys for one code location. The chart renders
 * `<repository>:<tag>` and falls back to its own version for an empty tag, so that is rebuilt here
 * (locations/image.ts `chartImage` writes digests so that they survive this).
 */
function renderedImage(deployment: Props): { reference?: string; problem?: string } {
  const image = record(deployment.image);
  const repository = text(image?.repository);
  if (!repository) return { problem: "has no image.repository (the chart would deploy its example image)" };
  const rawTag = image?.tag;
  const tag = typeof rawTag === "number" ? String(rawTag) : text(rawTag);
  if (!tag) return { problem: `image ${repository} has no tag: the chart would fall back to its own version, not a pinned build` };
  return { reference: `${repository}:${tag}` };
}

/** Every code-location image must be a digest or an immutable tag, so a release always runs the same code. */
export function unpinnedImageViolations(resource: PolicyInput): string[] {
  return userDeployments(resource).flatMap((deployment, i) => {
    const where = `code location ${deploymentLabel(deployment, i)}`;
    const { reference, problem } = renderedImage(deployment);
    if (reference === undefined) return [`${where} ${problem}`];
    const parsed = parseImage(reference);
    if (!parsed.ok) return [`${where}: image "${reference}" is not a valid reference: ${parsed.reason}`];
    if (!isPinned(parsed.image)) return [`${where}: image "${reference}" is not pinned: use a version tag or a digest, never latest`];
    return [];
  });
}
