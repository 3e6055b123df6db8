#!/usr/bin/env bash
# One-off set-up of what Pulumi itself needs before the first `pulumi up` in a project: its APIs,
# a versioned GCS bucket for the state (the versioned record of what runs) and Cloud KMS keys that
# encrypt the stacks' secrets (instead of a passphrase someone has to keep).
#
#   scripts/bootstrap-state-backend.sh [--dry-run] <gcp-project> <region> [state-bucket] [keyring] [key ...]
#
#   prod:     scripts/bootstrap-state-backend.sh acme-data-prod europe-west4
#   preview:  scripts/bootstrap-state-backend.sh acme-data-preview europe-west4 "" pulumi preview-state branch-state
#             (the preview stack's key, and the key every pr-<N> stack encrypts with)
#
# Defaults: bucket <project>-pulumi-state, keyring pulumi, key pulumi-state. Safe to run again:
# every step checks what exists first. --dry-run (anywhere on the line) prints the commands and
# runs none, not even the checks. Who may use the bucket and keys: scripts/bootstrap-ci-identities.sh.
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" >&2
  exit 2
}

DRY_RUN=0
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    -h | --help) usage ;;
    -*) echo "unknown option ${arg}" >&2; usage ;;
    *) ARGS+=("$arg") ;;
  esac
done
if [[ ${#ARGS[@]} -lt 2 ]]; then usage; fi
PROJECT="${ARGS[0]}"
REGION="${ARGS[1]}"
BUCKET="${ARGS[2]:-}"
BUCKET="${BUCKET:-${PROJECT}-pulumi-state}"
KEYRING="${ARGS[3]:-}"
KEYRING="${KEYRING:-pulumi}"
KEYS=("${ARGS[@]:4}")
if [[ ${#KEYS[@]} -eq 0 ]]; then KEYS=(pulumi-state); fi

# show, run (prints, then runs unless DRY_RUN=1) and exists (never asks in a dry run).
# shellcheck source=lib/dry-run.sh
source "$(dirname "$0")/lib/dry-run.sh"

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
trap 'rm -f "$LIFECYCLE"' EXIT
cat >"$LIFECYCLE" <<'JSON'
{"rule": [{"action": {"type": "Delete"}, "condition": {"isLive": false, "daysSinceNoncurrentTime": 90, "numNewerVersions": 20}}]}
JSON
run gcloud storage buckets update "gs://${BUCKET}" --lifecycle-file "$LIFECYCLE"

# The secrets keys: symmetric, rotated every 90 days (old versions keep decrypting old state).
if ! exists gcloud kms keyrings describe "$KEYRING" --location "$REGION" --project "$PROJECT"; then
  run gcloud kms keyrings create "$KEYRING" --location "$REGION" --project "$PROJECT"
fi
NEXT_ROTATION="$(date -u -d '+90 days' +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v+90d +%Y-%m-%dT%H:%M:%SZ)"
for KEY in "${KEYS[@]}"; do
  if ! exists gcloud kms keys describe "$KEY" --keyring "$KEYRING" --location "$REGION" --project "$PROJECT"; then
    run gcloud kms keys create "$KEY" --keyring "$KEYRING" --location "$REGION" --project "$PROJECT" \
      --purpose encryption --rotation-period 90d --next-rotation-time "$NEXT_ROTATION"
  fi
done

NOTE=""
if [[ "$DRY_RUN" == 1 ]]; then NOTE=" (dry run: nothing was changed)"; fi
echo
echo "State backend ready${NOTE}. Next:"
echo "  pulumi login gs://${BUCKET}"
for KEY in "${KEYS[@]}"; do
  echo "  secrets provider: gcpkms://projects/${PROJECT}/locations/${REGION}/keyRings/${KEYRING}/cryptoKeys/${KEY}"
done
echo "  e.g. pulumi stack init <stack> --secrets-provider \"gcpkms://projects/${PROJECT}/locations/${REGION}/keyRings/${KEYRING}/cryptoKeys/${KEYS[0]}\""
echo "Who may use the bucket and keys (the CI deployers): scripts/bootstrap-ci-identities.sh."
