package org.attn4j.bench.peers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds the one-node ONNX models that {@link OnnxRuntimeAttention} runs, as serialized {@code ModelProto} bytes.
 *
 * <p>Field numbers are those of {@code onnx/onnx.proto} (ONNX 1.18, IR version 11).
 */
final class OnnxAttentionModel {

  /** Which operator the single node is. */
  enum Op {
    /** The standard {@code Attention} operator, opset 23, 4-D inputs {@code [b, h, n, d]}. */
    ATTENTION_23,
    /** {@code com.microsoft.MultiHeadAttention}, 3-D inputs {@code [b, n, h*d]}. */
    MULTI_HEAD_ATTENTION
  }

  static final String Q = "Q";
  static final String K = "K";
  static final String V = "V";
  static final String Y = "Y";
  static final String MASK = "causal_mask";
  static final String BIAS = "B";

  private static final long IR_VERSION = 11;
  private static final int ELEM_FLOAT = 1; // TensorProto.DataType.FLOAT
  private static final int ATTR_INT = 2; // AttributeProto.AttributeType.INT
  private static final int ATTR_FLOAT = 1; // AttributeProto.AttributeType.FLOAT
  private static final int ATTR_F = 2;

  // ModelProto
  private static final int MODEL_IR_VERSION = 1;
  private static final int MODEL_PRODUCER_NAME = 2;
  private static final int MODEL_GRAPH = 7;
  private static final int MODEL_OPSET_IMPORT = 8;
  // OperatorSetIdProto
  private static final int OPSET_DOMAIN = 1;
  private static final int OPSET_VERSION = 2;
  // GraphProto
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_NAME = 2;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_INPUT = 11;
  private static final int GRAPH_OUTPUT = 12;
  // NodeProto
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP_TYPE = 4;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int NODE_DOMAIN = 7;
  // AttributeProto
  private static final int ATTR_NAME = 1;
  private static final int ATTR_I = 3;
  private static final int ATTR_TYPE = 20;
  // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, Dimension
  private static final int VALUE_INFO_NAME = 1;
  private static final int VALUE_INFO_TYPE = 2;
  private static final int TYPE_TENSOR = 1;
  private static final int TENSOR_ELEM_TYPE = 1;
  private static final int TENSOR_SHAPE = 2;
  private static final int SHAPE_DIM = 1;
  private static final int DIM_VALUE = 1;
  // TensorProto
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_DATA_TYPE = 2;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_RAW_DATA = 9;

  private OnnxAttentionModel() {}

  /**
   * Encodes a model with inputs {@code Q, K, V} and output {@code Y}.
   *
   * <p>Causal with {@code m == n} uses the operator's own flag ({@code is_causal} or {@code unidirectional}). Causal
   * with {@code m > n} instead adds a constant additive float mask {@code [1, 1, n, m]} (0 where
   * {@code j <= i + m - n}, -inf elsewhere) as an initializer, because the operators' flags align the triangle to
   * the upper left.
   */
  static byte[] build(Op op, int b, int h, int n, int m, int d, boolean causal) {
    return build(op, b, h, n, m, d, causal, null, Double.NaN);
  }

  /**
   * As {@link #build(Op, int, int, int, int, int, boolean)}, optionally with a graph input {@code B} of shape
   * {@code biasShape} fed as the opset-23 {@code Attention}'s float {@code attn_mask} (additive; it must hold the
   * causal mask, so {@code is_causal} is 0), and a {@code softcap} attribute (NaN: none). Bias and soft-cap need
   * {@link Op#ATTENTION_23}.
   */
  static byte[] build(Op op, int b, int h, int n, int m, int d, boolean causal, long @org.jspecify.annotations.Nullable [] biasShape,
      double softcap) {
    if ((biasShape != null || !Double.isNaN(softcap)) && op != Op.ATTENTION_23) {
      throw new IllegalArgumentException("a bias or a soft-cap needs the opset-23 Attention");
    }
    boolean explicitMask = causal && m != n && biasShape == null;
    long[] qShape;
    long[] kvShape;
    if (op == Op.ATTENTION_23) {
      qShape = new long[] {b, h, n, d};
      kvShape = new long[] {b, h, m, d};
    } else {
      qShape = new long[] {b, n, (long) h * d};
      kvShape = new long[] {b, m, (long) h * d};
    }

    ProtoWriter node = new ProtoWriter().string(NODE_INPUT, Q).string(NODE_INPUT, K).string(NODE_INPUT, V);
    if (explicitMask) {
      if (op == Op.MULTI_HEAD_ATTENTION) {
        // query, key, value, bias, key_padding_mask, attention_bias
        node.string(NODE_INPUT, "").string(NODE_INPUT, "");
      }
      node.string(NODE_INPUT, MASK);
    }
    if (biasShape != null) {
      node.string(NODE_INPUT, BIAS);
    }
    node.string(NODE_OUTPUT, Y).string(NODE_NAME, "attention");
    if (op == Op.ATTENTION_23) {
      node.string(NODE_OP_TYPE, "Attention");
      node.message(NODE_ATTRIBUTE, intAttribute("is_causal", causal && !explicitMask && biasShape == null ? 1 : 0));
      if (!Double.isNaN(softcap)) {
        node.message(NODE_ATTRIBUTE, new ProtoWriter().string(ATTR_NAME, "softcap").float32(ATTR_F, (float) softcap)
            .int64(ATTR_TYPE, ATTR_FLOAT));
      }
    } else {
      node.string(NODE_OP_TYPE, "MultiHeadAttention").string(NODE_DOMAIN, "com.microsoft");
      node.message(NODE_ATTRIBUTE, intAttribute("num_heads", h));
      node.message(NODE_ATTRIBUTE, intAttribute("unidirectional", causal && !explicitMask ? 1 : 0));
    }

    ProtoWriter graph = new ProtoWriter().message(GRAPH_NODE, node).string(GRAPH_NAME, "attn4j_peer");
    if (explicitMask) {
      graph.message(GRAPH_INITIALIZER, causalMask(n, m));
    }
    graph.message(GRAPH_INPUT, valueInfo(Q, qShape))
        .message(GRAPH_INPUT, valueInfo(K, kvShape))
        .message(GRAPH_INPUT, valueInfo(V, kvShape));
    if (biasShape != null) {
      graph.message(GRAPH_INPUT, valueInfo(BIAS, biasShape));
    }
    graph.message(GRAPH_OUTPUT, valueInfo(Y, qShape));

    ProtoWriter model = new ProtoWriter()
        .int64(MODEL_IR_VERSION, IR_VERSION)
        .string(MODEL_PRODUCER_NAME, "attn4j-bench")
        .message(MODEL_GRAPH, graph)
        .message(MODEL_OPSET_IMPORT, new ProtoWriter().string(OPSET_DOMAIN, "").int64(OPSET_VERSION, 23));
    if (op == Op.MULTI_HEAD_ATTENTION) {
      model.message(MODEL_OPSET_IMPORT,
          new ProtoWriter().string(OPSET_DOMAIN, "com.microsoft").int64(OPSET_VERSION, 1));
    }
    return model.toByteArray();
  }

  private static ProtoWriter intAttribute(String name, long value) {
    return new ProtoWriter().string(ATTR_NAME, name).int64(ATTR_I, value).int64(ATTR_TYPE, ATTR_INT);
  }

  private static ProtoWriter valueInfo(String name, long[] shape) {
    ProtoWriter dims = new ProtoWriter();
    for (long dim : shape) {
      dims.message(SHAPE_DIM, new ProtoWriter().int64(DIM_VALUE, dim));
    }
    ProtoWriter tensorType = new ProtoWriter().int64(TENSOR_ELEM_TYPE, ELEM_FLOAT).message(TENSOR_SHAPE, dims);
    ProtoWriter type = new ProtoWriter().message(TYPE_TENSOR, tensorType);
    return new ProtoWriter().string(VALUE_INFO_NAME, name).message(VALUE_INFO_TYPE, type);
  }

  private static ProtoWriter causalMask(int n, int m) {
    ByteBuffer raw = ByteBuffer.allocate(n * m * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        raw.putFloat(j <= i + (m - n) ? 0f : Float.NEGATIVE_INFINITY);
      }
    }
    return new ProtoWriter()
        .int64(TENSOR_DIMS, 1).int64(TENSOR_DIMS, 1).int64(TENSOR_DIMS, n).int64(TENSOR_DIMS, m)
        .int64(TENSOR_DATA_TYPE, ELEM_FLOAT)
        .string(TENSOR_NAME, MASK)
        .bytes(TENSOR_RAW_DATA, raw.array());
  }
}
