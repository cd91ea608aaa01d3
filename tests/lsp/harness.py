"""A test client for the language server: pytest-lsp's, plus what our tests need.

- every ``publishDiagnostics`` is recorded with its version (pytest-lsp keeps only
  the last per document), so tests can wait for a given version and check that
  stale versions were never published;
- ``client/registerCapability`` and ``workspace/diagnostic/refresh`` are answered;
- helpers to open documents and wait for diagnostics.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BROKEN = ROOT / "tests" / "flows" / "broken"
WORKSPACE = Path(__file__).resolve().parent / "workspace"
SERVER = [sys.executable, "-m", "nodeforge", "lsp", "--stdio"]


class Client(LanguageClient):
    published: list[lsp.PublishDiagnosticsParams]
    registrations: list[lsp.Registration]


def _record_publish(client: Client, params: lsp.PublishDiagnosticsParams) -> None:
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def _register_capability(client: Client, params: lsp.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def make_client() -> Client:
    client = Client(converter_factory=default_converter)
    client.published = []
    client.registrations = []
    features: dict[str, Any] = dict(DEFAULT_CLIENT_FEATURES)
    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_publish
    features[lsp.CLIENT_REGISTER_CAPABILITY] = _register_capability
    register_lsp_features(client, features)
    return client


def config(*extra: str, env: dict[str, str] | None = None) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[*SERVER, *extra], client_factory=make_client, server_env=env
    )


def capabilities(
    *, encodings: list[str] | None = None, pull: bool = True
) -> lsp.ClientCapabilities:
    """Roughly what VS Code announces, with the parts our features look at."""
    return lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(
            position_encodings=[lsp.PositionEncodingKind(e) for e in encodings]
            if encodings
            else None
        ),
        workspace=lsp.WorkspaceClientCapabilities(
            configuration=True,
            workspace_folders=True,
            did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True
            ),
            did_change_configuration=lsp.DidChangeConfigurationClientCapabilities(
                dynamic_registration=True
            ),
            workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True),
            diagnostics=lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True),
        ),
        text_document=lsp.TextDocumentClientCapabilities(
            synchronization=lsp.TextDocumentSyncClientCapabilities(did_save=True),
            completion=lsp.CompletionClientCapabilities(
                completion_item=lsp.ClientCompletionItemOptions(
                    snippet_support=True,
                    documentation_format=[lsp.MarkupKind.Markdown],
                    tag_support=lsp.CompletionItemTagOptions(
                        value_set=[lsp.CompletionItemTag.Deprecated]
                    ),
                )
            ),
            hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(
                related_information=True,
                version_support=True,
                code_description_support=True,
                data_support=True,
                tag_support=lsp.ClientDiagnosticsTagOptions(
                    value_set=[lsp.DiagnosticTag.Unnecessary, lsp.DiagnosticTag.Deprecated]
                ),
            ),
            diagnostic=lsp.DiagnosticClientCapabilities() if pull else None,
            document_symbol=lsp.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=True
            ),
            rename=lsp.RenameClientCapabilities(prepare_support=True),
            code_action=lsp.CodeActionClientCapabilities(
                code_action_literal_support=lsp.ClientCodeActionLiteralOptions(
                    code_action_kind=lsp.ClientCodeActionKindOptions(
                        value_set=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.Refactor]
                    )
                ),
                is_preferred_support=True,
                data_support=True,
            ),
        ),
    )


async def initialize(
    client: Client,
    *,
    folders: list[Path] | None = None,
    options: Any = None,
    encodings: list[str] | None = None,
    pull: bool = False,
) -> lsp.InitializeResult:
    """Initialize as a push client (diagnostics arrive as ``publishDiagnostics``), or
    with ``pull`` as one that declares ``textDocument.diagnostic`` (and is pushed none)."""
    folders = folders if folders is not None else [WORKSPACE]
    return await client.initialize_session(
        lsp.InitializeParams(
            capabilities=capabilities(encodings=encodings, pull=pull),
            root_uri=folders[0].as_uri() if folders else None,
            workspace_folders=[lsp.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
            initialization_options=options,
        )
    )


def open_document(client: Client, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri,
                language_id="json",
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


def change_document(
    client: Client, uri: str, version: int, text: str, at: lsp.Range | None = None
) -> None:
    change: lsp.TextDocumentContentChangeEvent = (
        lsp.TextDocumentContentChangePartial(range=at, text=text)
        if at is not None
        else lsp.TextDocumentContentChangeWholeDocument(text=text)
    )
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change],
        )
    )


async def diagnostics_for(
    client: Client, uri: str, version: int | None = None, timeout: float = 20
) -> list[lsp.Diagnostic]:
    """Wait for a publish for ``uri`` (at ``version`` if given) and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for params in reversed(client.published):
            if params.uri == uri and (version is None or params.version == version):
                return list(params.diagnostics)
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no diagnostics for {uri} version {version}")


def position_of(text: str, needle: str, delta: int = 0) -> lsp.Position:
    """The (UTF-16) position of the first ``needle`` in ``text``, plus ``delta`` chars."""
    offset = text.index(needle) + delta
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return lsp.Position(
        line=line, character=len(text[offset - column : offset].encode("utf-16-le")) // 2
    )


def doc_id(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def offset_of(text: str, position: lsp.Position) -> int:
    """The code-point offset of a UTF-16 position."""
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for i, ch in enumerate(line):
        if units >= position.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(line.rstrip("\r\n"))


def apply_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    spans = sorted(
        ((offset_of(text, e.range.start), offset_of(text, e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def workspace_edits(edit: lsp.WorkspaceEdit | None) -> dict[str, list[lsp.TextEdit]]:
    """The text edits of a workspace edit per document, whichever form it takes."""
    out: dict[str, list[lsp.TextEdit]] = {}
    if edit is None:
        return out
    for uri, edits in (edit.changes or {}).items():
        out.setdefault(uri, []).extend(edits)
    for change in edit.document_changes or []:
        assert isinstance(change, lsp.TextDocumentEdit)
        out.setdefault(change.text_document.uri, []).extend(
            e for e in change.edits if isinstance(e, lsp.TextEdit)
        )
    return out
