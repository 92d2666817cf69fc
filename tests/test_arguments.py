"""`--set data.root=DIR` on the commands that read a run: the folder, quoted or not, as `--set` reads values; a
value that reads as no text (a folder named 2024) is one line saying to quote it, as a new run's --set is."""

from __future__ import annotations

import pytest

from tests.hostile import refused
from wganlab.arguments import data_root_of
from wganlab.errors import ConfigError

# what every command says of --set data.root=2024, a new run's and one that reads a run alike
QUOTE_IT = ("data.root in --set must be str, got 2024 (int), as --set reads values as TOML: quote it, as in "
            "--set 'data.root=\"2024\"'")


@pytest.mark.parametrize(
    ("text", "root"),
    [("data.root=faces", "faces"), ('data.root="2024"', "2024"), ("data.root = 'a b' ", "a b"),
     ("data.root=/data/2024", "/data/2024"), ("data.root=", None), ("data.root=  ", None),
     ("train.steps=3", None), ("data.name=folder", None), ("root=faces", None), ("data.root", None)],
)
def test_data_root_of_takes_the_folder_and_nothing_else(text: str, root: str | None) -> None:
    assert data_root_of(text) == root


@pytest.mark.parametrize("text", ["data.root=2024", "data.root=1.5", "data.root=true", "data.root=[1]",
                                  "data.root=2024-01-01"])
def test_a_data_root_that_reads_as_no_text_says_to_quote_it(text: str) -> None:
    with pytest.raises(ConfigError, match="data.root in --set must be str, got .* quote it, as in --set") as error:
        data_root_of(text)
    typed = text.partition("=")[2]
    assert typed in str(error.value) and "\n" not in str(error.value)
    assert f"""'data.root="{typed}"'""" in str(error.value) or typed == "[1]"  # a list is not retyped


@pytest.mark.parametrize(
    "argv",
    [["sample", "RUN"], ["export", "RUN"], ["diagnose", "RUN"], ["evaluate", "RUN"], ["report", "RUN"],
     ["train", "--resume", "RUN"]],
)
def test_every_command_that_reads_a_run_says_to_quote_a_numeric_data_root(argv, tmp_path, capsys) -> None:
    argv = [str(tmp_path) if part == "RUN" else part for part in argv]
    line = refused([*argv, "--set", "data.root=2024"], capsys)
    assert line in (f"wganlab: error: {QUOTE_IT}", f"wganlab: error: wganlab {argv[0]}: argument --set: {QUOTE_IT}; "
                                                   f"see wganlab {argv[0]} --help"), line


def test_a_new_run_refuses_a_numeric_data_root_in_the_same_words(capsys) -> None:
    assert refused(["train", "--preset", "digits", "--set", "data.root=2024"], capsys) == f"wganlab: error: {QUOTE_IT}"
