#!/usr/bin/env bash
# The three CI deployers (docs/ci-cd.md, "Identities"), once, as an owner of both projects, after
# scripts/bootstrap-state-backend.sh has made each project's state bucket and keys:
#   prod deployer    (prod project)     only jobs in the `production` environment on the default branch
#   preview deployer (preview project)  only jobs in the `preview` environment on the default branch
#   branch deployer  (preview project)  only pull-request / merge-request jobs (and the reaper on the
#                                       default branch); pr-* state only; no prod resource at all, and
#                                       in GCP nothing but access to the preview cluster: branches own
#                                       no GCP resource (the preview stack owns the one bucket they use)
# Each deployer is a service account that trusts one Workload Identity pool of its own; the pool's
# providers accept only the OIDC tokens their attribute conditions allow (GitHub's subject and
# repository id; GitLab's project_id, ref_protected, ref, environment, pipeline_source).
#
#   scripts/bootstrap-ci-identities.sh [--dry-run] --prod-project P --preview-project Q --region R
#       [--github-repo OWNER/NAME --github-repository-id N]
#       [--gitlab-project-path GROUP/NAME --gitlab-project-id N [--gitlab-url https://gitlab.com]]
#       [--prod-project-number N --preview-project-number N] [--default-branch main]
#
# --dry-run (anywhere) prints every command and runs none (project numbers it cannot look up
# then show as <prod-project-number>). Safe to run again: creates check first, bindings are
# idempotent (a binding that fails because a just-created account has not propagated yet
# succeeds on the next run). The repository id: `gh api repos/OWNER/NAME --jq .id` (ids
# survive a rename; names can be re-registered).
set -euo pipefail

usage() {
  sed -n '2,23p' "$0" >&2
  exit 2
}

DRY_RUN=0 PROD="" PREVIEW="" REGION="" GH_REPO="" GH_REPO_ID="" GL_PATH="" GL_ID="" GL_URL="https://gitlab.com"
PROD_NUMBER="" PREVIEW_NUMBER="" BRANCH="main"
KEYRING=pulumi PROD_KEY=pulumi-state PREVIEW_KEY=preview-state BRANCH_KEY=branch-state
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) DRY_RUN=1; shift; continue ;;
    -h | --help) usage ;;
  esac
  [[ $# -ge 2 && "$2" != --* ]] || { echo "$1 needs a value" >&2; usage; }
  case "$1" in
    --prod-project) PROD="$2" ;;
    --preview-project) PREVIEW="$2" ;;
    --region) REGION="$2" ;;
    --github-repo) GH_REPO="$2" ;;
    --github-repository-id) GH_REPO_ID="$2" ;;
    --gitlab-project-path) GL_PATH="$2" ;;
    --gitlab-project-id) GL_ID="$2" ;;
    --gitlab-url) GL_URL="${2%/}" ;;
    --prod-project-number) PROD_NUMBER="$2" ;;
    --preview-project-number) PREVIEW_NUMBER="$2" ;;
    --default-branch) BRANCH="$2" ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
  shift 2
done
fail() { echo "$1" >&2; exit 2; }
[[ -n "$PROD" && -n "$PREVIEW" && -n "$REGION" ]] || fail "--prod-project, --preview-project and --region are required"
[[ "$PROD" != "$PREVIEW" ]] || fail "the preview project must not be the prod project: the project is the boundary branches cannot cross"
[[ -n "$GH_REPO" || -n "$GL_PATH" ]] || fail "give --github-repo or --gitlab-project-path (or both)"
[[ -z "$GH_REPO" || "$GH_REPO_ID" =~ ^[0-9]+$ ]] || fail "--github-repo needs --github-repository-id (gh api repos/${GH_REPO} --jq .id)"
[[ -z "$GL_PATH" || "$GL_ID" =~ ^[0-9]+$ ]] || fail "--gitlab-project-path needs --gitlab-project-id (the number on the project's overview page)"

# show, run (prints, then runs unless DRY_RUN=1) and exists (never asks in a dry run).
# shellcheck source=lib/dry-run.sh
source "$(dirname "$0")/lib/dry-run.sh"

project_number() { # project, given number
  if [[ -n "$2" ]]; then echo "$2"
  elif [[ "$DRY_RUN" == 1 ]]; then echo "<$3-project-number>"
  else gcloud projects describe "$1" --format='value(projectNumber)'; fi
}
PROD_NUMBER="$(project_number "$PROD" "$PROD_NUMBER" prod)"
PREVIEW_NUMBER="$(project_number "$PREVIEW" "$PREVIEW_NUMBER" preview)"

PROD_SA="dagster-prod-deployer@${PROD}.iam.gserviceaccount.com"
PREVIEW_SA="dagster-preview-deployer@${PREVIEW}.iam.gserviceaccount.com"
BRANCH_SA="dagster-branch-deployer@${PREVIEW}.iam.gserviceaccount.com"
PROD_BUCKET="${PROD}-pulumi-state"
PREVIEW_BUCKET="${PREVIEW}-pulumi-state"

service_account() { # project, account id, description
  if ! exists gcloud iam service-accounts describe "$2@$1.iam.gserviceaccount.com" --project "$1"; then
    run gcloud iam service-accounts create "$2" --project "$1" --display-name "$3"
  fi
}
project_roles() { # project, member, roles...
  local project="$1" member="$2" role
  shift 2
  for role in "$@"; do run gcloud projects add-iam-policy-binding "$project" --member "$member" --role "$role" --condition None; done
}
key_role() { # project, key, member, role
  run gcloud kms keys add-iam-policy-binding "$2" --project "$1" --location "$REGION" --keyring "$KEYRING" --member "$3" --role "$4"
}

# A pool per deployer, and in it one provider per CI system, each with its attribute condition.
# The provider's default audience (its own resource name) is what .gitlab-ci.yml's id_tokens ask
# for. Only claims every token has are mapped; a condition on a claim a token lacks (environment)
# fails, which rejects the token.
pool() { # project, pool, description, github condition, gitlab condition
  if ! exists gcloud iam workload-identity-pools describe "$2" --project "$1" --location global; then
    run gcloud iam workload-identity-pools create "$2" --project "$1" --location global --display-name "$3"
  fi
  if [[ -n "$GH_REPO" ]] && ! exists gcloud iam workload-identity-pools providers describe github --project "$1" --location global --workload-identity-pool "$2"; then
    run gcloud iam workload-identity-pools providers create-oidc github --project "$1" --location global --workload-identity-pool "$2" \
      --issuer-uri "https://token.actions.githubusercontent.com" \
      --attribute-mapping "google.subject=assertion.sub,attribute.repository_id=assertion.repository_id,attribute.ref=assertion.ref,attribute.workflow_ref=assertion.job_workflow_ref" \
      --attribute-condition "$4"
  fi
  if [[ -n "$GL_PATH" ]] && ! exists gcloud iam workload-identity-pools providers describe gitlab --project "$1" --location global --workload-identity-pool "$2"; then
    run gcloud iam workload-identity-pools providers create-oidc gitlab --project "$1" --location global --workload-identity-pool "$2" \
      --issuer-uri "$GL_URL" \
      --attribute-mapping "google.subject=assertion.sub,attribute.project_id=assertion.project_id,attribute.ref=assertion.ref,attribute.ref_protected=assertion.ref_protected,attribute.pipeline_source=assertion.pipeline_source" \
      --attribute-condition "$5"
  fi
}
trust_pool() { # project, project number, service account, pool
  run gcloud iam service-accounts add-iam-policy-binding "$3" --project "$1" --role roles/iam.workloadIdentityUser \
    --member "principalSet://iam.googleapis.com/projects/$2/locations/global/workloadIdentityPools/$4/*"
}

GH="assertion.repository_id == \"${GH_REPO_ID}\""
GL="assertion.project_id == \"${GL_ID}\""
GL_DEFAULT="assertion.ref_protected == \"true\" && assertion.ref_type == \"branch\" && assertion.ref == \"${BRANCH}\""

echo "# The prod deployer (project ${PROD})"
service_account "$PROD" dagster-prod-deployer "dagster-platform prod deployer (CI, production environment only)"
project_roles "$PROD" "serviceAccount:${PROD_SA}" roles/container.admin roles/cloudsql.admin roles/compute.networkAdmin \
  roles/servicenetworking.networksAdmin roles/storage.admin roles/artifactregistry.admin roles/iam.serviceAccountAdmin \
  roles/iam.serviceAccountUser roles/resourcemanager.projectIamAdmin
run gcloud storage buckets add-iam-policy-binding "gs://${PROD_BUCKET}" --member "serviceAccount:${PROD_SA}" --role roles/storage.objectAdmin
key_role "$PROD" "$PROD_KEY" "serviceAccount:${PROD_SA}" roles/cloudkms.cryptoKeyEncrypterDecrypter
pool "$PROD" prod-deployer "dagster-platform prod deployer" \
  "${GH} && assertion.sub == \"repo:${GH_REPO}:environment:production\" && assertion.ref == \"refs/heads/${BRANCH}\"" \
  "${GL} && ${GL_DEFAULT} && assertion.environment == \"production\" && assertion.pipeline_source in [\"push\", \"web\"]"
trust_pool "$PROD" "$PROD_NUMBER" "$PROD_SA" prod-deployer

echo "# The preview deployer (project ${PREVIEW})"
service_account "$PREVIEW" dagster-preview-deployer "dagster-platform preview deployer (CI, preview environment only)"
project_roles "$PREVIEW" "serviceAccount:${PREVIEW_SA}" roles/container.admin roles/compute.networkAdmin roles/storage.admin \
  roles/iam.serviceAccountAdmin roles/iam.serviceAccountUser roles/resourcemanager.projectIamAdmin
run gcloud storage buckets add-iam-policy-binding "gs://${PREVIEW_BUCKET}" --member "serviceAccount:${PREVIEW_SA}" --role roles/storage.objectAdmin
key_role "$PREVIEW" "$PREVIEW_KEY" "serviceAccount:${PREVIEW_SA}" roles/cloudkms.cryptoKeyEncrypterDecrypter
pool "$PREVIEW" preview-deployer "dagster-platform preview deployer" \
  "${GH} && assertion.sub == \"repo:${GH_REPO}:environment:preview\" && assertion.ref == \"refs/heads/${BRANCH}\"" \
  "${GL} && ${GL_DEFAULT} && assertion.environment == \"preview\" && assertion.pipeline_source == \"push\""
trust_pool "$PREVIEW" "$PREVIEW_NUMBER" "$PREVIEW_SA" preview-deployer

echo "# The branch deployer (project ${PREVIEW}; no role anywhere in ${PROD})"
service_account "$PREVIEW" dagster-branch-deployer "dagster-platform branch deployer (CI, pull requests)"
# Credentials for the preview cluster (its DNS endpoint needs container.clusters.connect); what
# it may do inside is the Kubernetes RBAC the preview stack grants it (namespaces dagster-pr-*
# only, enforced by its ValidatingAdmissionPolicies). Nothing else in GCP: a branch owns no
# bucket or service account, and a right to create service accounts here would let it become
# the preview deployer.
project_roles "$PREVIEW" "serviceAccount:${BRANCH_SA}" roles/container.clusterViewer
# The preview backend: read everything (the preview stack's outputs, through its StackReference),
# write only pr-* stacks' objects (Pulumi's DIY layout: .pulumi/{stacks,history,backups,journal}/
# <project>/<stack>, .pulumi/locks/organization/<project>/<stack>).
run gcloud storage buckets add-iam-policy-binding "gs://${PREVIEW_BUCKET}" --member "serviceAccount:${BRANCH_SA}" --role roles/storage.objectViewer
OBJ="projects/_/buckets/${PREVIEW_BUCKET}/objects/.pulumi"
PR_OBJECTS="resource.name.startsWith(\"${OBJ}/stacks/dagster-platform/pr-\") || resource.name.startsWith(\"${OBJ}/history/dagster-platform/pr-\") || resource.name.startsWith(\"${OBJ}/backups/dagster-platform/pr-\") || resource.name.startsWith(\"${OBJ}/journal/dagster-platform/pr-\") || resource.name.startsWith(\"${OBJ}/locks/organization/dagster-platform/pr-\")"
run gcloud storage buckets add-iam-policy-binding "gs://${PREVIEW_BUCKET}" --member "serviceAccount:${BRANCH_SA}" --role roles/storage.objectAdmin \
  --condition "^;^title=pr-stacks-only;expression=${PR_OBJECTS}"
key_role "$PREVIEW" "$BRANCH_KEY" "serviceAccount:${BRANCH_SA}" roles/cloudkms.cryptoKeyEncrypterDecrypter
# Decrypt only: the preview stack's (branch-safe) secret outputs its StackReference reads.
key_role "$PREVIEW" "$PREVIEW_KEY" "serviceAccount:${BRANCH_SA}" roles/cloudkms.cryptoKeyDecrypter
pool "$PREVIEW" branch-deployer "dagster-platform branch deployer" \
  "${GH} && (assertion.sub == \"repo:${GH_REPO}:pull_request\" || assertion.job_workflow_ref == \"${GH_REPO}/.github/workflows/reaper.yml@refs/heads/${BRANCH}\")" \
  "${GL} && (assertion.pipeline_source == \"merge_request_event\" || (assertion.pipeline_source == \"schedule\" && ${GL_DEFAULT}))"
trust_pool "$PREVIEW" "$PREVIEW_NUMBER" "$BRANCH_SA" branch-deployer

provider() { echo "projects/$1/locations/global/workloadIdentityPools/$2/providers/$3"; }
echo
echo "# CI settings (docs/ci-cd.md, \"Settings\")"
for system in github gitlab; do
  if [[ "$system" == github && -z "$GH_REPO" ]] || [[ "$system" == gitlab && -z "$GL_PATH" ]]; then continue; fi
  echo "${system}: PROD_GCP_WORKLOAD_IDENTITY_PROVIDER=$(provider "$PROD_NUMBER" prod-deployer "$system") PROD_GCP_SERVICE_ACCOUNT=${PROD_SA} PROD_PULUMI_BACKEND_URL=gs://${PROD_BUCKET}"
  echo "${system}: PREVIEW_GCP_WORKLOAD_IDENTITY_PROVIDER=$(provider "$PREVIEW_NUMBER" preview-deployer "$system") PREVIEW_GCP_SERVICE_ACCOUNT=${PREVIEW_SA} PREVIEW_PULUMI_BACKEND_URL=gs://${PREVIEW_BUCKET}"
  echo "${system}: BRANCH_GCP_WORKLOAD_IDENTITY_PROVIDER=$(provider "$PREVIEW_NUMBER" branch-deployer "$system") BRANCH_GCP_SERVICE_ACCOUNT=${BRANCH_SA} BRANCH_PULUMI_SECRETS_PROVIDER=gcpkms://projects/${PREVIEW}/locations/${REGION}/keyRings/${KEYRING}/cryptoKeys/${BRANCH_KEY}"
done
if [[ "$DRY_RUN" == 1 ]]; then echo "(dry run: nothing was changed)"; fi
