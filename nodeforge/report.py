"""Diagnostics rendered for people and machines: text, json, sarif and github.

All formats use the same positions the editor sees: lines and UTF-16 columns,
1-based in text, SARIF and GitHub annotations, 0-based (LSP style) in json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge import __version__
from nodeforge.analysis.diagnostics import Diagnostic, Related, Severity
from nodeforge.analysis.rules.registry import RULES
from nodeforge.analysis.text import LineIndex, Range

FORMATS = ("text", "json", "sarif", "github")
DOCS_URL = "https://github.com/nodeforge/nodeforge/blob/main/docs/rules.md"


def rule_url(code: str) -> str:
    rule = RULES.get(code)
    anchor = f"{code.lower()}-{rule.name}" if rule else code.lower()
    return f"{DOCS_URL}#{anchor}"


@dataclass(frozen=True, slots=True)
class FileReport:
    path: Path
    display: str  # path as given or relative to the working directory
    lines: LineIndex
    diagnostics: list[Diagnostic]

    def range(self, diagnostic: Diagnostic) -> Range:
        return self.lines.range(diagnostic.span)


def render(reports: list[FileReport], fmt: str) -> str:
    if fmt == "json":
        return _json(reports)
    if fmt == "sarif":
        return _sarif(reports)
    if fmt == "github":
        return _github(reports)
    return _text(reports)


def _text(reports: list[FileReport]) -> str:
    out: list[str] = []
    counts = {s: 0 for s in Severity}
    for report in reports:
        for d in report.diagnostics:
            r = report.range(d)
            counts[d.severity] += 1
            out.append(
                f"{report.display}:{r.start.line + 1}:{r.start.character + 1}: "
                f"{d.severity.label} {d.code} {d.message}"
            )
    files = len(reports)
    summary = ", ".join(f"{n} {s.label}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    out.append(f"Checked {files} file{'s' if files != 1 else ''}: {summary or 'no problems'}")
    return "\n".join(out) + "\n"


def _json(reports: list[FileReport]) -> str:
    items: list[dict[str, Any]] = []
    for report in reports:
        for d in report.diagnostics:
            r = report.range(d)
            items.append(
                {
                    "file": report.display,
                    "code": d.code,
                    "rule": RULES[d.code].name if d.code in RULES else d.code,
                    "severity": d.severity.label,
                    "message": d.message,
                    "range": {
                        "start": {"line": r.start.line, "character": r.start.character},
                        "end": {"line": r.end.line, "character": r.end.character},
                    },
                    "related": [_related_json(report, rel) for rel in d.related],
                    "data": d.data,
                    "url": rule_url(d.code),
                }
            )
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _related_json(report: FileReport, rel: Related) -> dict[str, Any]:
    """A related place in the report's file, or (with ``file``) a line of another file."""
    if rel.path is None:
        return {"message": rel.message, "range": _range_json(report.lines.range(rel.span))}
    line = max((rel.line or 1) - 1, 0)
    return {
        "message": rel.message,
        "file": str(rel.path),
        "range": {
            "start": {"line": line, "character": 0},
            "end": {"line": line + 1, "character": 0},
        },
    }


def _range_json(r: Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
    Severity.HINT: "note",
}


def _sarif(reports: list[FileReport]) -> str:
    codes = sorted(RULES)
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].summary},
            "fullDescription": {"text": RULES[code].why},
            "help": {"text": RULES[code].fix},
            "helpUri": rule_url(code),
            "defaultConfiguration": {"level": _SARIF_LEVEL[RULES[code].severity]},
        }
        for code in codes
    ]
    results: list[dict[str, Any]] = []
    for report in reports:
        for d in report.diagnostics:
            r = report.range(d)
            region = {
                "startLine": r.start.line + 1,
                "startColumn": r.start.character + 1,
                "endLine": r.end.line + 1,
                "endColumn": r.end.character + 1,
            }
            result: dict[str, Any] = {
                "ruleId": d.code,
                "level": _SARIF_LEVEL[d.severity],
                "message": {"text": d.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": report.display.replace("\\", "/"),
                                "uriBaseId": "%SRCROOT%",
                            },
                            "region": region,
                        }
                    }
                ],
            }
            if d.code in RULES:
                result["ruleIndex"] = codes.index(d.code)
            results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nodeforge",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": "https://github.com/nodeforge/nodeforge",
                        "rules": rules,
                    }
                },
                "columnKind": "utf16CodeUnits",
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


_GITHUB_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.HINT: "notice",
}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(reports: list[FileReport]) -> str:
    out: list[str] = []
    for report in reports:
        for d in report.diagnostics:
            r = report.range(d)
            props = ",".join(
                [
                    f"file={_escape_property(report.display)}",
                    f"line={r.start.line + 1}",
                    f"col={r.start.character + 1}",
                    f"endLine={r.end.line + 1}",
                    f"endColumn={r.end.character + 1}",
                    f"title={_escape_property(d.code + ' ' + RULES[d.code].name)}",
                ]
            )
            out.append(f"::{_GITHUB_LEVEL[d.severity]} {props}::{_escape_data(d.message)}")
    return "\n".join(out) + ("\n" if out else "")
