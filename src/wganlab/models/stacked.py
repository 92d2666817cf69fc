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
        self.members = len(networks)
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
        for prefix, layer in self._chain or ():
            if prefix is None:  # an activation: elementwise on [K, N, F]; a ReLU in place on the product it follows
                values = torch.relu_(values) if type(layer) is nn.ReLU and values is not inputs else layer(values)
                continue
            weight, bias = parameters[f"{prefix}weight"], parameters.get(f"{prefix}bias")  # [K, out, in], [K, out]
            if bias is None:
                values = torch.bmm(values, weight.transpose(1, 2))
            else:
                values = torch.baddbmm(bias.unsqueeze(1), values, weight.transpose(1, 2))
        return values

    def member_state(self, k: int) -> dict[str, Tensor]:
        """Member k's parameters, as its own network's state_dict names them (copies)."""
        return {name: parameter[k].detach().clone() for name, parameter in zip(self.names, self.stack, strict=True)}

    def parameter(self, name: str) -> nn.Parameter:
        return self.stack[self.names.index(name)]


def _linear_chain(network: nn.Module) -> list[tuple[str | None, nn.Module]] | None:
    """(parameter-name prefix, layer) for each step of a network that is a chain of Linear layers and parameter-free
    modules (an nn.Sequential, or a module whose forward is its `net` Sequential, as the toy MLP's); else None."""
    from wganlab.models.mlp import MLP

    if isinstance(network, nn.Sequential):
        chain, prefix = network, ""
    elif type(network) is MLP:
        chain, prefix = network.net, "net."
    else:
        return None
    steps: list[tuple[str | None, nn.Module]] = []
    for name, layer in chain.named_children():
        if type(layer) is nn.Linear:
            steps.append((f"{prefix}{name}.", layer))
        elif any(True for _ in layer.parameters()) or any(True for _ in layer.buffers()) or len(list(layer.children())):
            return None
        else:
            steps.append((None, copy.deepcopy(layer)))
    return steps
