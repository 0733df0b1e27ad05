"""The documentation stays true to the code: every setting in .env.example, help on every command."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from bot import cli
from bot.config import BotSettings
from tests.helpers import ROOT


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
    """Every module under index/ (found by walking the package, so a new one is covered too)."""
    import subprocess
    import sys

    code = (
        "import importlib, pkgutil, sys, index\n"
        "names = [m.name for m in pkgutil.walk_packages(index.__path__, 'index.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'typer', 'click', 'bot'))\n"
        "print(len(names), bad)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    count, bad = result.stdout.strip().split(" ", 1)
    assert int(count) >= 15 and bad == "[]"


def test_no_import_cycles_between_modules_of_the_project():
    """No module of index/ or bot/ imports, at its top level, one that imports it back (directly or not)."""
    import ast

    paths = sorted([*ROOT.glob("index/**/*.py"), *ROOT.glob("bot/**/*.py")])
    names = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p for p in paths}
    modules = {}
    for name, path in names.items():
        imported = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # top level only: a late import breaks no cycle
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # "from index import store" imports the module index.store
                    sub = f"{node.module}.{alias.name}"
                    imported.add(sub if sub in names else node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        modules[name] = imported
    graph = {name: {m for m in imported if m in modules and m != name} for name, imported in modules.items()}

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in graph[start])

    cycles = sorted(name for name in graph if reaches(name, name))
    assert cycles == []


def test_the_readme_layout_names_every_module():
    """README's "Layout" lists every module of index/ and bot/ (a package row names its files)."""
    layout = (ROOT / "README.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    missing = []
    for path in sorted([*ROOT.glob("index/**/*.py"), *ROOT.glob("bot/**/*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" or "corpus" in path.parts:
            continue
        package = f"`{path.parent.relative_to(ROOT).as_posix()}/`"
        if f"`{relative}`" not in layout and not (package in layout and f"`{path.name}`" in layout):
            missing.append(relative)
    assert missing == []


def test_the_front_ends_reach_the_core_only_through_its_public_modules():
    """bot/ talks to the service (and its result types, errors, settings), never to what lies under it."""
    import ast

    under = ("index.store", "index.ann", "index.lexical", "index.fetch", "index.kept", "index.ingest", "index.reading",
             "index.formats", "index.integrity", "index.refresh", "index.text", "index.feeds", "index.entries",
             "index.subscriptions")
    reached = []
    for path in sorted(ROOT.glob("bot/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module == "index":
                names += [f"index.{alias.name}" for alias in node.names]
            reached += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.startswith(under)]
    assert reached == []
