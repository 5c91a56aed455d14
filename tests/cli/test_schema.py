"""``nncli schema``: the config's JSON Schema on stdout or into a file, an example in its help,
and no cost for the other commands (nothing of it is imported before it runs)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cli_helpers import ARCHITECTURES, CONFIGS, REPO, invoke, process_env
from nncli.config.jsonschema import schema_text


def test_it_prints_the_schema_on_stdout():
    result = invoke(["schema"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == schema_text()
    assert json.loads(result.stdout)["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert result.stderr == ""


def test_output_writes_the_file_and_says_so_on_stderr(tmp_path):
    target = tmp_path / "nncli.schema.json"
    result = invoke(["schema", "--output", target])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert str(target) in result.stderr
    assert target.read_text(encoding="utf-8") == schema_text()


def test_the_shipped_file_is_what_the_command_writes(tmp_path):
    invoke(["schema", "-o", tmp_path / "fresh.json"])
    assert (tmp_path / "fresh.json").read_bytes() == (CONFIGS / "nncli.schema.json").read_bytes()


def test_an_unwritable_output_is_one_message_and_exit_1(tmp_path):
    result = invoke(["schema", "--output", tmp_path / "no" / "such" / "folder" / "schema.json"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: could not write")
    assert "Traceback" not in result.stderr


def test_help_has_an_example():
    result = invoke(["schema", "--help"])
    assert result.exit_code == 0
    examples = result.stdout.split("Example", 1)[1]
    assert "nncli schema --output configs/nncli.schema.json" in examples
    assert "--output FILE" in result.stdout


def test_it_is_listed_in_the_apps_help():
    assert "schema" in invoke(["--help"]).stdout


@pytest.mark.slow  # fresh interpreters: the modules a command imports
@pytest.mark.parametrize("args", [["--help"], ["summary", str(ARCHITECTURES / "lecture_61.yaml")],
                                  ["summary", str(CONFIGS / "lfw.yaml")]], ids=["help", "summary-arch", "summary-lfw"])
def test_other_commands_import_nothing_of_it(args):
    script = ("import sys\nfrom nncli.cli import app\n"
              f"sys.argv = ['nncli', *{args!r}]\n"
              "try:\n    app()\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
              "loaded = [m for m in ('jsonschema', 'nncli.config.jsonschema') if m in sys.modules]\n"
              "sys.stderr.write('imported: ' + ','.join(loaded))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=process_env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith("imported: "), done.stderr


@pytest.mark.slow
def test_the_command_itself_needs_no_jsonschema_package():
    script = ("import sys\nsys.modules['jsonschema'] = None  # importing it now fails\n"
              "from nncli.cli import app\nsys.argv = ['nncli', 'schema']\n"
              "try:\n    app()\nexcept SystemExit as done:\n    assert not done.code, done.code\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=process_env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == "nncli experiment config"
