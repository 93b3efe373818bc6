"""Which parts of a PyTorch model `SaturationLogger` logs, and how their tensors are captured.

Three kinds of targets, found by running the probe batch through the model
once (`capture`), in the order they run, which is the order the tab shows:

- activation modules: `nn.Sigmoid`, `nn.Tanh`, `nn.ReLU`, `nn.ReLU6`,
  `nn.Hardsigmoid`, `nn.Hardtanh` ((-1, 1): hard_tanh; (0, V): relu with
  max_value V), `nn.ELU(alpha)`, `nn.CELU(1)`, `nn.SELU`, `nn.Softsign`,
  captured by forward hooks; tag = module name;
- functional activations called inside any module's `forward`
  (`torch.sigmoid`, `x.tanh()`, `F.relu`, ... see `FUNCTIONS`), captured by a
  `TorchFunctionMode` while the probe runs (forward hooks cannot see them);
  tag = `"<module name>/<activation>"`, `_1`, `_2` ... for further calls of the
  same activation in one module, the bare activation name at the top level;
- `nn.LSTM` / `nn.GRU` gates and `nn.RNN` states, recomputed from the weights (`_torch_recurrent`);
  tag = `"<module name>/<gate>"` (`"<module name>/l1_reverse/<gate>"` for
  other layers and directions), grouped by `"<module name>"` (or its layer).

Not seen: what runs inside TorchScript modules (`torch.jit.script`; opaque
to hooks and to the function mode), activations computed inside fused
kernels other than the recurrent ones (`F.scaled_dot_product_attention`,
custom C++/CUDA ops), and activations not in `activations.py` (GELU, SiLU,
LeakyReLU, softmax, ...). A `torch.compile`d model is probed through its
original, eager module. Transformer layers are seen: their fast path is off
while the function mode is active, so their `F.relu` shows as
`"<layer>/relu"`.

A target's kernel, for the signals, is the weight (dim >= 2) of the module
that produced the activation's input, looking through normalization, dropout
and identity modules; the signals' input is that module's input. Units are
the last axis, except after convolutions (and for unattributed rank 4-5
data), where PyTorch's channels, axis 1, are the units (`units_last`).
"""

import collections

import torch
from torch import nn
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode

from tensorboard_plugin_saturation import _torch_recurrent
from tensorboard_plugin_saturation import activations as activations_lib


def module_activation(module):
    """The activation name of an activation module (see NOTES: PyTorch's definitions), or None."""
    if isinstance(module, nn.Sigmoid):
        return "sigmoid"
    if isinstance(module, nn.Tanh):
        return "tanh"
    if isinstance(module, nn.ReLU):
        return "relu"
    if isinstance(module, nn.Hardtanh):  # nn.ReLU6 is a Hardtanh(0, 6)
        return _hardtanh_name(module.min_val, module.max_val)
    if isinstance(module, nn.Hardsigmoid):  # relu6(x + 3) / 6: Keras 3's hard_sigmoid
        return "hard_sigmoid"
    if isinstance(module, nn.ELU):
        return _parametrised("elu", module.alpha)
    if isinstance(module, nn.CELU):  # CELU(alpha) is ELU(alpha) only for alpha 1
        return "elu" if float(module.alpha) == 1.0 else None
    if isinstance(module, nn.SELU):
        return "selu"
    if isinstance(module, nn.Softsign):
        return "softsign"
    return None


def _hardtanh_name(min_val, max_val):
    low, high = float(min_val), float(max_val)
    if (low, high) == (-1.0, 1.0):
        return "hard_tanh"
    if low == 0.0 and high > 0.0:
        return _parametrised("relu", high)  # 6: "relu6"
    return None


def _parametrised(family, value):
    try:
        return activations_lib.parametrised(family, float(value))
    except ValueError:
        return None


def _function_table():
    table = {}
    for name, functions in (
        ("sigmoid", ("sigmoid", "sigmoid_")),
        ("tanh", ("tanh", "tanh_")),
        ("relu", ("relu", "relu_")),
    ):
        for fn in functions:
            for owner in (torch, torch.Tensor):
                if hasattr(owner, fn):
                    table[getattr(owner, fn)] = name
    table[torch.special.expit] = "sigmoid"
    table[F.relu] = "relu"
    table[F.relu6] = "relu6"
    table[F.hardsigmoid] = "hard_sigmoid"
    table[F.hardtanh] = "hard_tanh"
    table[F.elu] = "elu"
    table[F.celu] = "celu"
    table[F.selu] = table[torch.selu] = "selu"
    table[F.softsign] = "softsign"
    return table


FUNCTIONS = _function_table()


def function_activation(func, args, kwargs):
    """The activation name of a functional call, or None (also for unsupported arguments)."""
    try:
        name = FUNCTIONS.get(func)
    except TypeError:  # unhashable
        return None
    if name == "hard_tanh":
        min_val = kwargs.get("min_val", args[1] if len(args) > 1 else -1.0)
        max_val = kwargs.get("max_val", args[2] if len(args) > 2 else 1.0)
        return _hardtanh_name(min_val, max_val)
    if name in ("elu", "celu"):
        alpha = float(kwargs.get("alpha", args[1] if len(args) > 1 else 1.0))
        if name == "celu":
            return "elu" if alpha == 1.0 else None
        return _parametrised("elu", alpha)
    return name


def supported(name):
    return name is not None and activations_lib.is_supported(name)


_ACTIVATION_MODULES = (
    nn.Sigmoid, nn.Tanh, nn.ReLU, nn.Hardtanh, nn.Hardsigmoid, nn.ELU, nn.LeakyReLU,
    nn.GELU, nn.SiLU, nn.Softplus, nn.Softsign, nn.Mish, nn.Hardswish, nn.SELU, nn.CELU,
)
_PASS_THROUGH = (
    nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm,  # pylint: disable=protected-access
    nn.modules.dropout._DropoutNd, nn.Identity,  # pylint: disable=protected-access
)


Target = collections.namedtuple(
    "Target", ["tag", "activation", "kind", "module", "key", "gate", "group", "cell", "block"]
)
Target.__doc__ = """One logged series. `kind`: "module", "function" or "gate"; `key` identifies
its capture (module id, or (module id, ordinal) of a functional call); gates have their
recurrent `module`, `gate` name, `group` tag, `cell` and weight row `block`."""

Captured = collections.namedtuple("Captured", ["output", "inputs", "kernel", "output_of_model"])
Captured.__doc__ = """A target's activations, the signals' input tensor, its kernel tensor (or None),
and whether the activations are returned by the model as they are."""


class Capture:
    """One forward pass of the probe with every target's tensors captured.

    Args:
      model: The (unwrapped) `nn.Module`.
      functions: Whether to run the `TorchFunctionMode` that sees functional
        activations.
    """

    def __init__(self, model, functions=True):
        self._model = model
        self._functions = functions
        self._paths = {id(m): path for path, m in model.named_modules()}
        self.order = []  # keys, in the order they first ran
        self.activations = {}  # key -> (activation name, module, input, output)
        self.recurrent = {}  # id(module) -> (module, input, hx)
        self._stack = []
        self._producer = {}  # id(tensor) -> module that returned it (innermost)
        self._module_input = {}  # id(module) -> its first input
        self._keep = []  # keeps captured tensors alive so ids stay unique
        self._ordinals = collections.Counter()
        self.model_outputs = ()

    def run(self, probe):
        """Calls the model on `probe` (a tensor, tuple/list or dict) with the hooks in place."""
        handles = []
        try:
            for module in self._model.modules():
                if isinstance(module, torch.jit.ScriptModule):
                    continue  # compiled TorchScript: opaque, takes no hooks
                handles.append(module.register_forward_pre_hook(self._pre_hook))
                handles.append(module.register_forward_hook(self._post_hook, with_kwargs=True))
            if self._functions:
                with _FunctionSpy(self):
                    outputs = _call(self._model, probe)
            else:
                outputs = _call(self._model, probe)
        finally:
            for handle in handles:
                handle.remove()
            self._stack.clear()
        self.model_outputs = tuple(t for t in _flatten(outputs) if isinstance(t, torch.Tensor))
        return outputs

    def path(self, module):
        return self._paths.get(id(module), type(module).__name__)

    def _pre_hook(self, module, args):
        self._stack.append(module)
        if args and id(module) not in self._module_input:
            first = _first_tensor(args)
            if first is not None:
                self._module_input[id(module)] = first
                self._keep.append(first)

    def _post_hook(self, module, args, kwargs, output):
        if self._stack and self._stack[-1] is module:
            self._stack.pop()
        first = _first_tensor(output)
        if first is not None:
            self._producer.setdefault(id(first), module)
            self._keep.append(first)
        name = module_activation(module)
        if name is not None and id(module) not in self.activations:
            self._record(id(module), name, module, _first_tensor(args), first)
        if _torch_recurrent.is_recurrent(module) and id(module) not in self.recurrent:
            inputs = args[0] if args else kwargs.get("input")
            hx = args[1] if len(args) > 1 else kwargs.get("hx")
            self.recurrent[id(module)] = (module, inputs, hx)
            self.order.append(("gates", id(module)))

    def _record(self, key, name, module, inputs, output):
        self.activations[key] = (name, module, inputs, output)
        self.order.append(key)
        self._keep.extend(t for t in (inputs, output) if t is not None)

    def on_function(self, func, args, kwargs, result):
        """Records a functional activation called outside activation modules."""
        name = function_activation(func, args, kwargs)
        if name is None or not isinstance(result, torch.Tensor):
            return
        owner = self._stack[-1] if self._stack else self._model
        if isinstance(owner, _ACTIVATION_MODULES) or _torch_recurrent.is_recurrent(owner):
            return
        ordinal = self._ordinals[id(owner)]
        self._ordinals[id(owner)] += 1
        key = (id(owner), ordinal)
        if key not in self.activations:
            inputs = args[0] if args and isinstance(args[0], torch.Tensor) else None
            self._record(key, name, owner, inputs, result)

    def kernel_of(self, tensor):
        """(input, weight, module) of the module whose weight produced `tensor`, or (None, None, None)."""
        current = tensor
        for _ in range(4):
            module = self._producer.get(id(current)) if current is not None else None
            if module is None:
                return None, None, None
            weight = getattr(module, "weight", None)
            if isinstance(weight, torch.Tensor) and weight.dim() >= 2:
                return self._module_input.get(id(module)), weight, module
            if not isinstance(module, _PASS_THROUGH):
                return None, None, None
            current = self._module_input.get(id(module))
        return None, None, None

    def is_model_output(self, tensor):
        return any(tensor is out for out in self.model_outputs)


class _FunctionSpy(TorchFunctionMode):
    def __init__(self, capture):
        super().__init__()
        self._capture = capture

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if func in FUNCTIONS:
            self._capture.on_function(func, args, kwargs, result)
        return result


def units_last(tensor, producer):
    """`tensor` with its units axis last: PyTorch puts channels on axis 1.

    Channels-first when the producing layer is a convolution, or, with no
    known producer, for rank 4 and 5 data (images, volumes); otherwise the
    last axis is units (`nn.Linear` on [..., features], recurrent outputs).
    """
    if tensor.dim() < 3:
        return tensor
    if isinstance(producer, nn.modules.conv._ConvNd) or (producer is None and tensor.dim() in (4, 5)):  # pylint: disable=protected-access
        return tensor.movedim(1, -1)
    return tensor


def _call(model, probe):
    if isinstance(probe, dict):
        return model(**probe)
    if isinstance(probe, (tuple, list)):
        return model(*probe)
    return model(probe)


def _flatten(value):
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _flatten(v)]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten(v)]
    return []


def _first_tensor(value):
    flat = _flatten(value)
    return flat[0] if flat else None


def find_targets(capture):
    """The `Target`s a finished `Capture` saw, in the order they ran (supported activations only)."""
    targets = []
    function_tags = collections.Counter()
    for key in capture.order:
        if isinstance(key, tuple) and key and key[0] == "gates":
            module, _, _ = capture.recurrent[key[1]]
            targets.extend(_gate_targets(capture.path(module), module))
            continue
        name, module, _, _ = capture.activations[key]
        if not supported(name):
            continue
        act = activations_lib.get(name)
        if isinstance(key, tuple):  # a functional call inside `module`
            prefix = capture.path(module)
            base = "%s/%s" % (prefix, name) if prefix else name
            seen = function_tags[base]
            function_tags[base] += 1
            tag = base if not seen else "%s_%d" % (base, seen)
            targets.append(Target(tag, act, "function", module, key, None, None, None, None))
        else:
            targets.append(Target(capture.path(module), act, "module", module, key, None, None, None, None))
    return targets


def _gate_targets(path, module):
    cells = _torch_recurrent.cells(module)
    targets = []
    for cell in cells:
        group = path if len(cells) == 1 else "%s/%s" % (path, cell.suffix)
        for gate, activation, block in _torch_recurrent.gates_of(module):
            if supported(activation):
                targets.append(
                    Target("%s/%s" % (group, gate), activations_lib.get(activation), "gate",
                           module, id(module), gate, group, cell, block)
                )
    return targets
