"""The documentation stays true to the code: every setting in .env.example, help on every command."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from bot import cli
from bot.config import BotSettings
from tests.conftest import ROOT


def env_name(field: str, info) -> str:
    alias = info.validation_alias
    if alias is not None:  # AliasChoices: the first choice is the documented name
        return alias.choices[0]
    return f"CRISISBOT_{field.upper()}"


def test_every_setting_is_in_env_example():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    settings = {env_name(name, info) for name, info in BotSettings.model_fields.items()}
    assert settings - documented == set(), "settings missing from .env.example"
    assert documented - settings == set(), ".env.example names settings that do not exist"


def test_every_setting_has_a_description():
    assert [name for name, info in BotSettings.model_fields.items() if not info.description] == []


def test_every_cli_command_has_help():
    import typer.main

    group = typer.main.get_command(cli.app)

    def walk(command, path=()):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, (*path, name))

    missing = [" ".join(path) for path, command in walk(group) if path and not (command.help or "").strip()]
    assert missing == []
    result = CliRunner().invoke(cli.app, ["--help"])
    assert result.exit_code == 0 and "sources" in result.stdout


def test_the_core_imports_neither_discord_nor_the_cli():
    import subprocess
    import sys

    code = (
        "import sys, index.service, index.jobs, index.fetch, index.refresh, index.eval, index.ann\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'typer', 'click', 'bot'))\n"
        "print(bad)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
