#!/usr/bin/env bash
# One-off set-up of what Pulumi itself needs before the first `pulumi up`: the project's APIs, a
# versioned GCS bucket for the state (the versioned record of what runs) and a Cloud KMS key that
# encrypts the stacks' secrets (instead of a passphrase someone has to keep).
#
#   scripts/bootstrap-state-backend.sh [--dry-run] <gcp-project> <region> [state-bucket] [keyring] [key]
#
# Safe to run again: every step checks what exists first. --dry-run prints the commands only.
set -euo pipefail

DRY_RUN=0
if [[ "${1:-}" == "--dry-run" ]]; then DRY_RUN=1; shift; fi
if [[ $# -lt 2 ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
PROJECT="$1"
REGION="$2"
BUCKET="${3:-${PROJECT}-pulumi-state}"
KEYRING="${4:-pulumi}"
KEY="${5:-pulumi-state}"

run() {
  echo "+ $*"
  if [[ "$DRY_RUN" == 0 ]]; then "$@"; fi
}
exists() {
  [[ "$DRY_RUN" == 0 ]] && "$@" >/dev/null 2>&1
}

# APIs the platform uses (GKE, Cloud SQL with private IP, buckets, registry, IAM, KMS, and STS
# for CI's Workload Identity Federation).
run gcloud services enable --project "$PROJECT" \
  container.googleapis.com compute.googleapis.com servicenetworking.googleapis.com \
  sqladmin.googleapis.com storage.googleapis.com artifactregistry.googleapis.com \
  iam.googleapis.com iamcredentials.googleapis.com sts.googleapis.com \
  cloudresourcemanager.googleapis.com cloudkms.googleapis.com

# The state bucket: versioned (every checkpoint can be restored), never public, soft-deleted
# objects kept 30 days, and old versions pruned only after 90 days.
if ! exists gcloud storage buckets describe "gs://${BUCKET}" --project "$PROJECT"; then
  run gcloud storage buckets create "gs://${BUCKET}" --project "$PROJECT" --location "$REGION" \
    --uniform-bucket-level-access --public-access-prevention --soft-delete-duration 30d
fi
run gcloud storage buckets update "gs://${BUCKET}" --versioning
LIFECYCLE="$(mktemp)"
cat >"$LIFECYCLE" <<'JSON'
{"rule": [{"action": {"type": "Delete"}, "condition": {"isLive": false, "daysSinceNoncurrentTime": 90, "numNewerVersions": 20}}]}
JSON
run gcloud storage buckets update "gs://${BUCKET}" --lifecycle-file "$LIFECYCLE"
rm -f "$LIFECYCLE"

# The secrets key: symmetric, rotated every 90 days (old versions keep decrypting old state).
if ! exists gcloud kms keyrings describe "$KEYRING" --location "$REGION" --project "$PROJECT"; then
  run gcloud kms keyrings create "$KEYRING" --location "$REGION" --project "$PROJECT"
fi
if ! exists gcloud kms keys describe "$KEY" --keyring "$KEYRING" --location "$REGION" --project "$PROJECT"; then
  run gcloud kms keys create "$KEY" --keyring "$KEYRING" --location "$REGION" --project "$PROJECT" \
    --purpose encryption --rotation-period 90d \
    --next-rotation-time "$(date -u -d '+90 days' +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v+90d +%Y-%m-%dT%H:%M:%SZ)"
fi

cat <<DONE

State backend ready. Next:
  pulumi login gs://${BUCKET}
  pulumi stack init prod --secrets-provider "gcpkms://projects/${PROJECT}/locations/${REGION}/keyRings/${KEYRING}/cryptoKeys/${KEY}"
  # an existing passphrase stack moves over with:
  #   pulumi stack change-secrets-provider "gcpkms://projects/${PROJECT}/locations/${REGION}/keyRings/${KEYRING}/cryptoKeys/${KEY}"
Whoever runs pulumi (you, CI's service account) needs roles/storage.objectAdmin on gs://${BUCKET}
and roles/cloudkms.cryptoKeyEncrypterDecrypter on the key.
DONE
