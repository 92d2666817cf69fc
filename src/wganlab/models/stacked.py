"""K networks of one architecture as one module: the parameters stacked on a new leading axis (a sweep's members).

`forward` maps [K, N, ...] to [K, N, ...], member k's rows through member k's weights: torch.func.vmap over
functional_call of one template network, so any architecture works without a batched copy of its layers; the
backward passes (a gradient penalty's double backward included) run outside vmap, through ordinary autograd.
A chain of Linear layers and parameter-free modules (the toy MLPs) takes a faster path with the same result:
one batched matrix product with its bias per layer (torch.baddbmm), the activations applied to [K, N, F] as is.
Networks with buffers (BatchNorm's running statistics) cannot be stacked: vmap cannot update a buffer in place.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state

from wganlab.models.mlp import MLP


class StackError(ValueError):
    """The networks cannot be stacked (different shapes, or buffers)."""


class Stacked(nn.Module):
    def __init__(self, networks: Sequence[nn.Module]) -> None:
        super().__init__()
        if not networks:
            raise StackError("nothing to stack")
        if any(True for network in networks for _ in network.buffers()):
            raise StackError("networks with buffers (BatchNorm's running statistics) cannot be stacked")
        shapes = {tuple((name, tuple(p.shape)) for name, p in network.named_parameters()) for network in networks}
        if len(shapes) != 1:
            raise StackError("the networks differ in their parameters' names or shapes")
        parameters, _ = stack_module_state(list(networks))  # {name: [K, ...]}, detached leaves
        self.names = tuple(parameters)
        self.stack = nn.ParameterList([nn.Parameter(parameters[name]) for name in self.names])
        # a template outside the module tree (its own parameters are never used: functional_call swaps them)
        self._template = (copy.deepcopy(networks[0]).to("meta"),)
        self._chain = _linear_chain(networks[0])

    def forward(self, inputs: Tensor) -> Tensor:  # [K, N, ...] -> [K, N, ...]
        if self._chain is not None:
            return self._chain_forward(inputs)
        template = self._template[0]

        def one(parameters: dict[str, Tensor], rows: Tensor) -> Tensor:
            return functional_call(template, parameters, (rows,))

        return torch.func.vmap(one)(dict(zip(self.names, self.stack, strict=True)), inputs)

    def _chain_forward(self, inputs: Tensor) -> Tensor:
        values = inputs
        parameters = dict(zip(self.names, self.stack, strict=True))
        for prefix, activation in self._chain or ():
            if activation is not None:  # elementwise on [K, N, F]; a ReLU in place on the product it follows
                in_place = type(activation) is nn.ReLU and values is not inputs
                values = torch.relu_(values) if in_place else activation(values)
                continue
            weight, bias = parameters[f"{prefix}weight"], parameters.get(f"{prefix}bias")  # [K, out, in], [K, out]
            if bias is None:
                values = torch.bmm(values, weight.transpose(1, 2))
            else:
                values = torch.baddbmm(bias.unsqueeze(1), values, weight.transpose(1, 2))
        return values



def _linear_chain(network: nn.Module) -> list[tuple[str, nn.Module | None]] | None:
    """Each step of a network that is a chain of Linear layers and parameter-free modules (an nn.Sequential, or a
    module whose forward is its `net` Sequential, as the toy MLP's): (a Linear's parameter-name prefix, None) or
    ("", the parameter-free module); None for any other network."""
    if isinstance(network, nn.Sequential):
        chain, prefix = network, ""
    elif type(network) is MLP:
        chain, prefix = network.net, "net."
    else:
        return None
    steps: list[tuple[str, nn.Module | None]] = []
    for name, layer in chain.named_children():
        if type(layer) is nn.Linear:
            steps.append((f"{prefix}{name}.", None))
        elif any(True for _ in layer.parameters()) or any(True for _ in layer.buffers()) or len(list(layer.children())):
            return None
        else:
            steps.append(("", copy.deepcopy(layer)))
    return steps
