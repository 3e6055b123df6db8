#!/usr/bin/env bash
# npm test's first step: the type-check and the lint, side by side (each is mostly one core, and
# npm test must stay under a minute on two). Both always run to the end; either failing fails it.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run --silent typecheck &
typecheck=$!
npm run --silent lint
lint=$?
wait "$typecheck"
typecheck=$?
[ "$typecheck" -eq 0 ] && [ "$lint" -eq 0 ]
