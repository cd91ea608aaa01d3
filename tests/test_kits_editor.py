"""Node kits in the editor and their consistency: a kit's own files show their problems
(manifest keys, template lines) through the real protocol, a template that fails while
a flow builds points at its line, manifests' ``x-`` annotations are checked, and every
error code a standard kit's documentation promises is one its executor returns."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp

from nodeforge.analysis.catalog import Catalog, load_manifest_text
from nodeforge.codegen.kitcheck import check_kit_file
from nodeforge.codegen.nodeapi import check_template
from tests.lsp.harness import (
    Client,
    change_document,
    config,
    diagnostics_for,
    doc_id,
    initialize,
    open_document,
)
from tests.test_kits import guide_files

STANDARD = Catalog.load_standard()


@pytest_lsp.fixture(config=config())
async def client(lsp_client: Client):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """The guide's workspace: a workspace pack with the `acme/envelope` kit."""
    root = tmp_path / "ws"
    (root).mkdir()
    (root / "nodeforge.toml").write_text('[project]\nname = "guide"\n')
    for rel, text in guide_files().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _line(text: str, needle: str) -> int:
    """The 0-based line of the first ``needle`` in ``text``."""
    return text[: text.index(needle)].count("\n")


# -- kit files in the editor ---------------------------------------------------------------


async def test_an_open_manifest_shows_its_problems_at_their_keys(
    client: Client, pack: Path
) -> None:
    manifest = pack / "nodes" / "envelope" / "node.json"
    text = manifest.read_text()
    await initialize(client, folders=[pack])
    uri = open_document(client, manifest, text)
    assert await diagnostics_for(client, uri, 1) == []

    data = json.loads(text)
    data["config_schema"]["properties"]["subject"]["x-absolute-ur"] = True
    data["outputs"]["out"]["schema"] = {"$config": "nope"}
    broken = json.dumps(data, indent=2)
    change_document(client, uri, 2, broken)
    found = await diagnostics_for(client, uri, 2)
    assert {d.code for d in found} == {"NF901"}
    by_line = {d.range.start.line: d.message for d in found}
    typo = _line(broken, '"x-absolute-ur"')
    assert "did you mean `x-absolute-url`" in by_line[typo]
    assert any("nope" in m for line, m in by_line.items() if line == _line(broken, '"$config"'))

    change_document(client, uri, 3, "{ not json")
    (bad,) = await diagnostics_for(client, uri, 3)
    assert bad.code == "NF901" and "invalid JSON" in bad.message


async def test_an_open_template_shows_syntax_and_api_errors_at_their_lines(
    client: Client, pack: Path
) -> None:
    template = pack / "nodes" / "envelope" / "call.go.j2"
    text = template.read_text()
    await initialize(client, folders=[pack])
    uri = open_document(client, template, text)
    assert await diagnostics_for(client, uri, 1) == []

    lines = text.split("\n")
    lines.insert(1, "{{ node.exprr('subject') }}")
    change_document(client, uri, 2, "\n".join(lines))
    (typo,) = await diagnostics_for(client, uri, 2)
    assert typo.code == "NF901" and typo.range.start.line == 1
    assert "did you mean `node.expr`" in typo.message

    change_document(client, uri, 3, text + "{% if %}\n")
    (syntax,) = await diagnostics_for(client, uri, 3)
    assert syntax.range.start.line == text.count("\n")


async def test_a_pull_client_gets_a_kit_files_problems(client: Client, pack: Path) -> None:
    template = pack / "nodes" / "envelope" / "call.go.j2"
    await initialize(client, folders=[pack], pull=True)
    uri = open_document(client, template, "{{ nowhere }}\n")
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=doc_id(uri))
    )
    assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
    assert [(d.code, d.range.start.line) for d in report.items] == [("NF901", 0)]
    assert "`nowhere` is not defined" in report.items[0].message


async def test_a_template_failing_in_a_build_points_at_its_line(client: Client, pack: Path) -> None:
    template = pack / "nodes" / "envelope" / "call.go.j2"
    text = template.read_text()
    # Valid for the editor's check (a real API call), fails only when rendered.
    template.write_text(text.replace("{{", "{{ node.expr('nope') }}\n{{", 1))
    failing_line = _line(template.read_text(), "node.expr('nope')")
    flow = pack / "flows" / "post.flow.json"
    await initialize(client, folders=[pack])
    uri = open_document(client, flow)
    assert await diagnostics_for(client, uri, 1) == []
    answer = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="nodeforge.build", arguments=[uri])
    )
    assert answer["state"] == "failed"

    async def built() -> list[lsp.Diagnostic]:
        while True:
            found = await diagnostics_for(client, uri, 1)
            if found:
                return found
            await asyncio.sleep(0.02)

    (d,) = await asyncio.wait_for(built(), 60)
    assert d.code == "NF900" and "call.go.j2" in d.message
    flow_text = flow.read_text()
    assert d.range.start.line == _line(flow_text, '"acme/envelope"')
    (related,) = d.related_information or []
    assert related.location.uri == template.as_uri()
    assert related.location.range.start == lsp.Position(failing_line, 0)
    assert related.message.startswith(f"call.go.j2:{failing_line + 1}: ")


# -- the checks themselves -------------------------------------------------------------------


def test_every_standard_and_guide_kit_file_checks_clean() -> None:
    for m in STANDARD.all():
        folder = m.path.parent
        assert check_kit_file(m.path, m.path.read_text()) == [], m.path
        template = folder / "call.go.j2"
        if template.is_file():
            assert check_template(template.read_text()) == [], template
    guide = guide_files()
    assert check_template(guide["nodes/envelope/call.go.j2"]) == []


@pytest.mark.parametrize(
    ("type_", "key", "annotation", "value", "message"),
    [
        ("sql/query", "query", "x-sql-params", "parms", "'parms' is not a config key"),
        ("sql/query", "query", "x-sql-params", 3, "must name a config key"),
        ("sql/query", "query", "x-sql-params", "connector", "is not a list"),
        ("http/request", "url", "x-absolute-url", "yes", "must be true or false"),
        ("http/request", "url", "x-absolute-urls", True, "did you mean `x-absolute-url`"),
        ("http/request", "url", "x-sensitive", 1, "must be true or false"),
        ("flow/if", "condition", "x-expression-type", "boolean", "JSON Schema object"),
        ("flow/if", "condition", "x-expression-type", {"type": "bool"}, "not a valid JSON"),
    ],
)
def test_config_annotations_are_checked_where_they_are(
    type_: str, key: str, annotation: str, value: object, message: str
) -> None:
    m = STANDARD.latest(type_)
    assert m is not None
    data = json.loads(m.path.read_text())
    data["config_schema"]["properties"][key][annotation] = value
    text = json.dumps(data, indent=2)
    _, problems = load_manifest_text(m.path, text, True)
    (problem,) = problems
    assert message in problem.message
    assert problem.where == f"config_schema.properties.{key}.{annotation}"
    assert problem.line == _line(text, f'"{annotation}"') + 1


def test_annotations_where_the_checker_never_reads_them_are_errors() -> None:
    m = STANDARD.latest("http/request")
    assert m is not None
    data = json.loads(m.path.read_text())
    props = data["config_schema"]["properties"]
    # Not on a top-level property: NF034 would never look there.
    props["headers"]["additionalProperties"]["x-absolute-url"] = True
    # Not an expression: NF018 would never see a value there.
    props["method"]["x-expression-type"] = {"type": "string"}
    _, problems = load_manifest_text(m.path, json.dumps(data, indent=2), True)
    messages = sorted(p.message for p in problems)
    assert len(messages) == 2
    assert "only read on a top-level config property" in messages[0]
    assert "only read on an expression" in messages[1]


# -- manifests true to their executors -------------------------------------------------------

_RUNTIME = Path(__file__).resolve().parents[1] / "catalog" / "nf"


def _promised_codes(description: str, doc: str) -> set[str]:
    """The error codes a kit promises: ``code `X``` in its manifest's description, and
    the backquoted words of the first sentence of its doc.md's ``**Errors**`` paragraph
    outside parentheses (which explain them); ``http_<status>`` stands for ``http_``."""
    found = set(re.findall(r"\bcode `([a-z][a-z0-9_]*)`", description))
    para = re.search(r"^\*\*Errors\*\*(.*?)(?:\n\s*\n|\Z)", doc, re.S | re.M)
    if para is not None:
        text = para.group(1)
        while True:
            inner = re.sub(r"\([^()]*\)", "", text)
            if inner == text:
                break
            text = inner
        text = re.split(r"\.\s", text, maxsplit=1)[0]  # the list is the first sentence
        found |= {c.split("<")[0] for c in re.findall(r"`([a-z][a-z0-9_<>]*)`", text)}
    return found


def test_every_error_code_a_kit_promises_is_in_its_executor() -> None:
    runtime = "\n".join(
        p.read_text() for p in sorted(_RUNTIME.rglob("*.go")) if not p.name.endswith("_test.go")
    )
    checked = 0
    for m in STANDARD.all():
        folder = m.path.parent
        own = [p for p in sorted(folder.glob("*.go")) if not p.name.endswith("_test.go")]
        if not own:
            continue  # structural: generated by the core
        source = "\n".join(p.read_text() for p in own) + runtime
        doc = folder / "doc.md"
        promised = _promised_codes(m.description, doc.read_text() if doc.is_file() else "")
        for code in sorted(promised):
            assert f'"{code}' in source, f"{m.type} {m.version} promises `{code}`"
        checked += len(promised)
    assert checked >= 30  # the scan finds the kits' codes at all
