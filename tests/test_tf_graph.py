"""summary.saturation traces to a graph of TF ops only, so it stays on the accelerator."""

import pytest

tf = pytest.importorskip("tensorflow")

from tensorboard_plugin_saturation import summary  # noqa: E402

PYTHON_OPS = {"PyFunc", "PyFuncStateless", "EagerPyFunc", "NumpyFunction"}


def _graph_def(tmp_path, activation, dtype):
    writer = tf.summary.create_file_writer(str(tmp_path))

    @tf.function
    def log(x):
        with writer.as_default():
            return summary.saturation("layer", x, step=1, activation=activation)

    return log.get_concrete_function(tf.TensorSpec([None, 64], dtype)).graph.as_graph_def()


def _nodes(graph_def):
    """Every node of the graph and of its function library (cond branches, nested functions)."""
    yield from graph_def.node
    for function in graph_def.library.function:
        yield from function.node_def


@pytest.mark.parametrize("dtype", [tf.float32, tf.float16, tf.float64])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_traced_saturation_has_no_python_ops(tmp_path, activation, dtype):
    graph_def = _graph_def(tmp_path, activation, dtype)
    ops = {node.op for node in _nodes(graph_def)}
    assert ops & PYTHON_OPS == set()
    assert "WriteSummary" in ops


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_float32_statistics_run_as_one_xla_compiled_loop(tmp_path, activation):
    graph_def = _graph_def(tmp_path, activation, tf.float32)
    compiled = [f for f in graph_def.library.function if f.attr["_XlaMustCompile"].b]
    assert len(compiled) == 1
    body_ops = {node.op for node in compiled[0].node_def}
    assert "While" in body_ops or "StatelessWhile" in body_ops
