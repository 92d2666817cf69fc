"""A table of choosable parts: a read-only mapping in the order given, resolved by name with a one-line error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from wganlab.errors import ConfigError
from wganlab.parts import Parts, suggest


@dataclass(frozen=True)
class Part:
    name: str
    description: str
    weight: float = 1.0


TABLE = Parts("objective.loss", [Part("wasserstein", "W1 estimate"), Part("hinge", "margin 1"), Part("minimax", "JS")])


def test_mapping_behaviour():
    assert isinstance(TABLE, Mapping) and len(TABLE) == 3
    assert TABLE["hinge"] == Part("hinge", "margin 1")
    assert "minimax" in TABLE and "least-squares" not in TABLE
    assert TABLE.get("least-squares") is None
    with pytest.raises(KeyError):
        TABLE["least-squares"]
    assert dict(TABLE.items())["wasserstein"].description == "W1 estimate"


def test_order_is_the_order_given():
    assert list(TABLE) == ["wasserstein", "hinge", "minimax"]
    assert [part.name for part in TABLE.values()] == ["wasserstein", "hinge", "minimax"]
    assert repr(TABLE) == "Parts('objective.loss', ['wasserstein', 'hinge', 'minimax'])"


def test_resolve():
    assert TABLE.resolve("hinge") is TABLE["hinge"]
    with pytest.raises(ConfigError) as info:
        TABLE.resolve("wasserstien")
    assert str(info.value) == (
        "unknown objective.loss 'wasserstien'; did you mean 'wasserstein'? choose from: hinge, minimax, wasserstein"
    )
    with pytest.raises(ConfigError) as info:
        TABLE.resolve("zzz", key="the loss")
    assert str(info.value) == "unknown the loss 'zzz'; choose from: hinge, minimax, wasserstein"  # nothing close


def test_suggest():
    assert suggest("relu6", ["elu", "relu", "gelu"]) == "did you mean 'relu'? choose from: elu, gelu, relu"
    assert suggest("x", []) == "choose from: "


def test_duplicate_names_are_refused():
    with pytest.raises(AssertionError, match="objective.loss: 'hinge' is listed twice"):
        Parts("objective.loss", [Part("hinge", "a"), Part("hinge", "b")])


def test_descriptions():
    assert TABLE.descriptions() == {"wasserstein": "W1 estimate", "hinge": "margin 1", "minimax": "JS"}
    assert list(TABLE.descriptions()) == list(TABLE)
    assert Parts("k", []).descriptions() == {} and len(Parts("k", [])) == 0
