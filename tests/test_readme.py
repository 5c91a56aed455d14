"""The README's Python example runs as written, and its quick start names real files."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_python_example_runs(tmp_path, capsys):
    blocks = _python_blocks()
    assert blocks, "the README has a Python example"
    script = tmp_path / "example.py"
    script.write_text(blocks[0], encoding="utf-8")
    runpy.run_path(str(script), run_name="__main__")
    printed = capsys.readouterr().out
    assert "Total params: 61" in printed
    assert printed.strip().splitlines()[-1] == "61"


@pytest.mark.parametrize("path", ["configs/digits.yaml", "configs/lfw.yaml", ".ci/run", "docs/curves.png",
                                  "docs/decision_boundary.png"])
def test_files_the_readme_names_exist(path):
    assert path in README.read_text(encoding="utf-8")
    assert (README.parent / path).exists()


def test_the_config_table_is_the_schema():
    from nncli.config.schema import markdown_rows

    text = README.read_text(encoding="utf-8")
    start = text.index("| key | default | meaning |\n| --- | --- | --- |\n") + len("| key | default | meaning |\n| --- | --- | --- |\n")
    table = text[start:text.index("\n\n", start)].splitlines()
    assert table == markdown_rows(), "regenerate the README's config table from nncli.config.schema.markdown_rows()"


def test_every_command_has_a_readme_section_and_an_example_in_its_help():
    from cli_helpers import invoke

    from nncli.cli.app import app

    text = README.read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.callback.__name__
        assert f"### `nncli {name}" in text, name
        assert "Example" in invoke([name, "--help"]).stdout, name
