"""The registry collects every table of parts: each key a config field, each name its entry's, each table listed."""

from __future__ import annotations

import dataclasses

import pytest

from wganlab.config import Config
from wganlab.data.images import IMAGE_DATASETS
from wganlab.data.toy import TOY_DATASETS
from wganlab.metrics.features import AUTO, EXTRACTORS
from wganlab.presets import PRESETS
from wganlab.training.registry import CHOSEN_BY, KINDS

TABLES = {**CHOSEN_BY, "preset": PRESETS, "eval.extractor": EXTRACTORS}  # every table, by the key that chooses


def field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize("key", sorted(CHOSEN_BY))
def test_every_key_names_a_config_field(key):
    section, dot, name = key.partition(".")
    assert dot and section in field_names(Config)
    assert name in field_names(type(getattr(Config(), section)))
    assert CHOSEN_BY[key].key == key  # the table's errors name the same key


@pytest.mark.parametrize("key", sorted(CHOSEN_BY))
def test_every_default_is_in_its_table(key):
    section, _, name = key.partition(".")
    default = getattr(getattr(Config(), section), name)
    for chosen in default if isinstance(default, tuple) else (default,):
        assert chosen in CHOSEN_BY[key], f"the default {key} = {chosen!r} is not in its table"


@pytest.mark.parametrize("key", sorted(TABLES))
def test_every_entry_is_filed_under_its_own_name(key):
    table = TABLES[key]
    assert len(table) > 0
    assert [entry.name for entry in table.values()] == list(table)


@pytest.mark.parametrize("key", sorted(TABLES))
def test_kinds_list_every_table(key):
    descriptions = TABLES[key].descriptions()
    listing = [kind for kind, names in KINDS.items() if descriptions.items() <= names.items()]
    assert listing, f"no kind in KINDS lists the table of {key}"


def test_every_kind_has_one_line_descriptions():
    for kind, names in KINDS.items():
        assert names, kind
        assert all(text and "\n" not in text for text in names.values()), kind


def test_names_are_unique_in_the_kinds_that_merge_tables():
    assert not set(TOY_DATASETS) & set(IMAGE_DATASETS)
    assert len(KINDS["datasets"]) == len(TOY_DATASETS) + len(IMAGE_DATASETS)
    assert AUTO not in EXTRACTORS  # "auto" is added beside the extractors, never over one
    assert len(KINDS["feature extractors"]) == len(EXTRACTORS) + 1
