"""The VS Code extension: its manifest against the server, its unit tests, lint and the
packaged .vsix (docs/vscode.md).

The npm-based tests run `npm ci` once, then the extension's own unit tests (node --test on
a fake `vscode` module), tsc and eslint, and `npm run package`; the .vsix is then opened
and its bundled extension activated against the fake to compare what it registers with
what its package.json declares.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeforge.server import settings as server_settings
from nodeforge.server.settings_schema import merged_manifest, vscode_properties
from tests.conftest import ROOT

EXTENSION = ROOT / "vscode-extension"
MANIFEST_PATH = EXTENSION / "package.json"

# In CI (scripts/setup installs Node.js) a missing npm is a failure, not a skip.
needs_npm = pytest.mark.skipif(
    shutil.which("npm") is None and not os.environ.get("CI"),
    reason="Node.js/npm is not installed",
)


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return data


def npm(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npm", *args], cwd=EXTENSION, capture_output=True, text=True, timeout=timeout
    )


# -- the manifest, without npm -------------------------------------------------------------


def test_every_server_setting_is_declared_from_one_source() -> None:
    """package.json's server settings are what settings_schema generates from Settings;
    on drift run `python -m nodeforge.server.settings_schema --write vscode-extension/package.json`."""
    current = manifest()
    assert merged_manifest(json.loads(json.dumps(current))) == current
    properties = current["contributes"]["configuration"]["properties"]
    for key in server_settings._KEYS:
        entry = properties[f"nodeforge.{key}"]
        assert entry["markdownDescription"] and entry["type"] in ("integer", "boolean", "object")
    # The client's own settings are there too, and the trace setting the client reads.
    assert properties["nodeforge.trace.server"]["enum"] == ["off", "messages", "verbose"]
    assert "nodeforge.path" in properties
    assert "nodeforge.initializationOptions" not in properties


def test_generated_properties_follow_the_parser() -> None:
    props = vscode_properties()
    assert props["nodeforge.debounceMs"]["minimum"] == 0
    assert props["nodeforge.debounceMs"]["maximum"] == 10_000
    assert props["nodeforge.debounceMs"]["default"] == server_settings.Settings().debounce_ms
    levels = props["nodeforge.rules"]["additionalProperties"]["enum"]
    assert levels == list(server_settings.RULE_LEVELS)
    # What the schema allows, the server accepts without a warning.
    values = {k.removeprefix("nodeforge."): v["default"] for k, v in props.items()}
    values["rules"] = {"NF020": levels[0]}
    assert server_settings.parse_settings(values)[1] == []


def test_the_language_is_one_the_server_analyses() -> None:
    contributes = manifest()["contributes"]
    [language] = contributes["languages"]
    assert language["id"] == "nodeforge-flow"
    assert "`nodeforge`/`nodeforge-flow`/`flow`" in (ROOT / "docs" / "lsp.md").read_text()
    assert language["filenamePatterns"] == ["*.flow.json"]
    assert contributes["jsonLanguageParticipants"] == [{"languageId": "nodeforge-flow"}]
    grammar = json.loads((EXTENSION / contributes["grammars"][0]["path"]).read_text())
    assert grammar["patterns"] == [{"include": "source.json"}]
    for path in (language["icon"]["light"], language["icon"]["dark"], manifest()["icon"]):
        assert (EXTENSION / path).is_file(), path


def test_the_debugger_contribution_is_the_documented_one() -> None:
    doc = (ROOT / "docs" / "debugging.md").read_text(encoding="utf-8")
    section = doc.split("### For the VS Code extension (`contributes.debuggers`)")[1]
    match = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert match is not None
    assert manifest()["contributes"]["debuggers"] == [json.loads(match.group(1))]
    assert {"language": "nodeforge-flow"} in manifest()["contributes"]["breakpoints"]


def _expand(body: list[str]) -> str:
    """A snippet's text with each placeholder's default (choices: the first)."""
    text = "\n".join(body)
    text = re.sub(r"\$\{\d+\|([^,|}]*)[^}]*\}", r"\1", text)
    for _ in range(3):  # nested placeholders
        text = re.sub(r"\$\{\d+:((?:[^{}]|\{[^{}]*\})*)\}", r"\1", text)
    text = re.sub(r"\$\{TM_FILENAME_BASE[^}]*\}", "snippet_flow", text)
    return re.sub(r"\$\d+", "", text)


def test_snippets_make_a_flow_that_checks_clean(tmp_path: Path) -> None:
    snippets = json.loads((EXTENSION / "snippets" / "flow.code-snippets").read_text())
    flow = _expand(snippets["New flow"]["body"])
    endpoint = _expand(snippets["HTTP endpoint (trigger + respond)"]["body"])
    connection = _expand(snippets["Connection"]["body"])
    connection = connection.replace("source.out", "request.out").replace("target.in", "reply.in")
    flow = flow.replace('"nodes": [\n    \n  ]', f'"nodes": [\n{endpoint}\n  ]')
    flow = flow.replace('"connections": []', f'"connections": [{connection}]')
    path = tmp_path / "snippet.flow.json"
    path.write_text(flow, encoding="utf-8")
    assert json.loads(flow)["id"] == "snippet_flow"
    checked = subprocess.run(
        ["python3", "-m", "nodeforge", "check", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert " error " not in checked.stdout and " warning " not in checked.stdout


def test_problem_matcher_reads_nodeforge_check_output() -> None:
    [matcher] = manifest()["contributes"]["problemMatchers"]
    pattern = matcher["pattern"]
    checked = subprocess.run(
        ["python3", "-m", "nodeforge", "check", "tests/flows/broken"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = [line for line in checked.stdout.splitlines() if line.strip()]
    problems = [re.match(pattern["regexp"], line) for line in lines]
    matched = [m for m in problems if m is not None]
    assert len(matched) == len(lines) - 1  # all but the summary line
    first = matched[0]
    assert (ROOT / first.group(pattern["file"])).is_file()
    assert int(first.group(pattern["line"])) >= 1
    assert first.group(pattern["severity"]) in ("error", "warning", "info", "hint")
    assert re.fullmatch(r"NF\d{3}", first.group(pattern["code"]))


def test_every_server_command_the_extension_sends_exists() -> None:
    from nodeforge.project.commands import COMMANDS
    from nodeforge.server import app_commands, commands, dev_commands

    known = {commands.BUILD, *dev_commands.COMMAND_NAMES}
    known |= {app_commands.GENERATE, app_commands.RUN, app_commands.STOP}
    known |= {f"nodeforge.{name}" for name in COMMANDS}
    ids = (EXTENSION / "src" / "ids.ts").read_text(encoding="utf-8")
    block = ids.split("export const ServerCommand = {")[1].split("} as const;")[0]
    sent = set(re.findall(r'"(nodeforge\.[\w.]+)"', block))
    assert sent and sent <= known, sent - known


# -- npm: unit tests, lint, package ---------------------------------------------------------


@pytest.fixture(scope="module")
def installed() -> Iterator[None]:
    result = npm("ci", "--no-audit", "--no-fund")
    assert result.returncode == 0, result.stdout + result.stderr
    yield


@needs_npm
def test_extension_unit_tests_typecheck_and_lint(installed: None) -> None:
    tests = npm("test")
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-3000:]
    assert re.search(r"^# fail 0$", tests.stdout, re.M), tests.stdout[-3000:]
    passed = re.search(r"^# pass (\d+)$", tests.stdout, re.M)
    assert passed is not None and int(passed.group(1)) >= 30
    lint = npm("run", "lint")
    assert lint.returncode == 0, lint.stdout + lint.stderr


@needs_npm
def test_packaged_vsix(installed: None, tmp_path: Path) -> None:
    compiled = npm("run", "compile")  # the fake vscode module and the activation test
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    packaged = npm("run", "package")
    assert packaged.returncode == 0, packaged.stdout + packaged.stderr
    vsix = EXTENSION / "dist" / "nodeforge.vsix"
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        shipped = json.loads(archive.read("extension/package.json"))
        main = "extension/" + shipped["main"].removeprefix("./")
        assert main in names
        schema = archive.read("extension/schemas/flow.schema.json")
        assert schema == (ROOT / "nodeforge" / "schemas" / "flow.schema.json").read_bytes()
        for required in (
            "extension/LICENSE.txt",
            "extension/images/icon.png",
            "extension/media/graph.js",
            "extension/snippets/flow.code-snippets",
            "extension/syntaxes/flow.tmLanguage.json",
        ):
            assert required in names, required
        assert not [n for n in names if "/node_modules/" in n or "/src/" in n or n.endswith(".ts")]
        archive.extract(main, tmp_path)
    assert shipped["repository"]["url"] and shipped["license"] == "Apache-2.0"
    # The shipped bundle, activated against the fake vscode: declared == registered.
    bundle = tmp_path / main
    run = subprocess.run(
        [
            "node",
            "--test",
            "--require",
            "./out/test/stub/register.js",
            "out/test/extension.test.js",
        ],
        cwd=EXTENSION,
        env={**os.environ, "NODEFORGE_EXTENSION_BUNDLE": str(bundle)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"^# pass [1-9]", run.stdout, re.M) and "# fail 0" in run.stdout
