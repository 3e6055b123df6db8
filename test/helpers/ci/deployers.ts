/**
 * The three deploy identities of DESIGN/docs/ci-cd.md ("Identities") as CI names them: each has a
 * Workload Identity provider and a service account in settings prefixed by its name, and the
 * state backend it may write. CI files name a deployer only through these settings, so a check
 * can tell from the text alone which identity a job holds.
 */
export type Deployer = "prod" | "preview" | "branch";

export interface DeployerSpec {
  /** The environment its jobs must run in (GitHub environment / GitLab protected environment). */
  environment?: string;
  backend: string;
  secretsProvider?: string;
}

export const DEPLOYERS: Record<Deployer, DeployerSpec> = {
  prod: { environment: "production", backend: "PROD_PULUMI_BACKEND_URL" },
  preview: { environment: "preview", backend: "PREVIEW_PULUMI_BACKEND_URL" },
  // Branch stacks live in the preview environment's backend (pr-* objects only) with their own key.
  branch: { backend: "PREVIEW_PULUMI_BACKEND_URL", secretsProvider: "BRANCH_PULUMI_SECRETS_PROVIDER" },
};

export const PROTECTED_ENVIRONMENTS = new Set(["production", "preview"]);

const SETTING = /^(PROD|PREVIEW|BRANCH)_GCP_(SERVICE_ACCOUNT|WORKLOAD_IDENTITY_PROVIDER)$/;

/** `PROD_GCP_SERVICE_ACCOUNT` -> prod; anything else -> undefined. */
export function deployerOfSetting(name: string): { deployer: Deployer; kind: "service-account" | "provider" } | undefined {
  const m = SETTING.exec(name);
  if (!m) return undefined;
  return { deployer: m[1].toLowerCase() as Deployer, kind: m[2] === "SERVICE_ACCOUNT" ? "service-account" : "provider" };
}

/** Settings of the prod identity (its provider, service account, backend, key). */
export const PROD_SETTING = /\b(?:vars|secrets)\.PROD_[A-Z0-9_]+|\$\{?PROD_[A-Z0-9_]+/;
