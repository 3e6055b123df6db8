import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "../render/deployment";
import { readBranchLimits } from "./branch";
import { parseBranchObjectValues, readBranchObjectNames } from "./branchObjects";
import { GCP_SERVICE_ACCOUNT } from "./formats";
import { ConfigReader } from "./reader";
import { PlatformConfig, PreviewConfig } from "./types";

/** Keys only the preview stack reads: on any other stack they would be ignored, so they are refused. */
const PREVIEW_ONLY = ["branchDeployer", "branchSecretValues", "branchConfigMapValues"] as const;

/**
 * The preview stack's own settings: who the branch deployer is, and the branch-safe values of
 * every Secret and ConfigMap project config lists.
 */
export function readPreview(c: ConfigReader, deployment: Deployment, gcp: PlatformConfig["gcp"]): PreviewConfig | undefined {
  if (deployment.kind !== "preview") {
    for (const key of PREVIEW_ONLY) if (c.isSet(key)) c.problem(key, "is set on a stack that is not the preview stack", "branch-safe values and the branch deployer belong to the preview stack only");
    return undefined;
  }
  const objects = readBranchObjectNames(c);
  const branchDeployer = c.required("branchDeployer", "the preview cluster grants the branch deployer its Kubernetes rights") ?? "";
  const project = gcp?.project ?? "";
  if (branchDeployer && !(GCP_SERVICE_ACCOUNT.test(branchDeployer) && branchDeployer.endsWith(`@${project}.iam.gserviceaccount.com`))) {
    c.problem("branchDeployer", `"${branchDeployer}" is not a service account of the preview project ${project}`, `<name>@${project}.iam.gserviceaccount.com: the branch deployer has rights in the preview project only`);
  }
  const secret = c.secretText("branchSecretValues", "branches need branch-safe values for every name in branchSecretNames");
  const secretValues = secret && "text" in secret ? parseBranchObjectValues(c, "branchSecretValues", secret.text, objects.secrets) : placeholders(objects.secrets);
  const configMapValues = parseBranchObjectValues(c, "branchConfigMapValues", c.string("branchConfigMapValues") ?? "{}", objects.configMaps);
  return { branchDeployer, objects, limits: readBranchLimits(c), secretValues: pulumi.secret(secretValues), configMapValues };
}

/** Offline plans without the secret: each listed Secret, empty, so the wiring still shows. */
function placeholders(names: readonly string[]): Record<string, Record<string, string>> {
  return Object.fromEntries(names.map((n) => [n, {}]));
}
