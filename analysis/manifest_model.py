"""The node manifest file format (``node.json``), as pydantic models: the one statement
of what a manifest file may hold, and the check of its structure.

Only loading a manifest file imports this module (:func:`catalog.load_manifest_text`):
the catalog the rest of Nodeforge reads is made of the plain classes of
:mod:`nodeforge.analysis.catalog` (same names, fields and defaults), which
:func:`validate_manifest` builds from a validated model. A start-up that reads the
cached catalog thus never imports pydantic. ``tests/test_catalog.py`` checks that the
plain classes and these models agree on every field's name, key in the file and default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nodeforge.analysis import catalog
from nodeforge.analysis.catalog import semver_key

__all__ = [
    "MODELS",
    "DeclaredError",
    "KitExample",
    "Migration",
    "NodeManifest",
    "PortSpec",
    "SimulationSpec",
    "validate_manifest",
]

# The class names are those of the plain classes: pydantic's messages name them
# ("Input should be a valid dictionary or instance of PortSpec").


class PortSpec(BaseModel):
    """See :class:`catalog.PortSpec`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    description: str
    schema_: dict[str, Any] = Field(alias="schema")
    required: bool = True


class Migration(BaseModel):
    """See :class:`catalog.Migration`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    from_: str = Field(alias="from")
    notes: str = ""
    rename: dict[str, str] = Field(default_factory=dict)
    set_: dict[str, Any] = Field(default_factory=dict, alias="set")
    remove: list[str] = Field(default_factory=list)

    @field_validator("from_")
    @classmethod
    def _check_from(cls, v: str) -> str:
        semver_key(v)
        return v


class DeclaredError(BaseModel):
    """See :class:`catalog.DeclaredError`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    when: str = Field(default="true", min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    message: str = Field(min_length=1)
    retryable: bool = False


class SimulationSpec(BaseModel):
    """See :class:`catalog.SimulationSpec`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: Literal["python", "declared", "io"]
    reason: str = ""
    port: str = "out"
    value: Any = None
    errors: list[DeclaredError] = Field(default_factory=list)


class KitExample(BaseModel):
    """See :class:`catalog.KitExample`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    input: Any = None
    outputs: dict[str, Any] = Field(default_factory=dict)


class NodeManifest(BaseModel):
    """See :class:`catalog.NodeManifest`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    type: str = Field(pattern=catalog.TYPE_PATTERN)
    version: str
    title: str = Field(min_length=1)
    description: str
    category: str
    icon: str
    kind: Literal["trigger", "action", "control"]
    config_schema: dict[str, Any]
    inputs: dict[str, PortSpec] = Field(default_factory=dict)
    outputs: dict[str, PortSpec] = Field(default_factory=dict)
    expressions: list[str] = Field(default_factory=list)
    templates: list[str] = Field(default_factory=list)
    connectors: list[str] = Field(default_factory=list)
    responds: bool = False
    deprecated: str | None = None
    migrations: list[Migration] = Field(default_factory=list)
    structural: bool = False
    simulation: SimulationSpec | None = None
    examples: list[KitExample] = Field(default_factory=list)
    #: The manifest file (not part of the file's content).
    path: Path = Field(default=Path(), exclude=True)

    @field_validator("version")
    @classmethod
    def _check_version(cls, v: str) -> str:
        semver_key(v)
        return v


#: Each model and the plain class it builds.
MODELS: dict[type[BaseModel], type[catalog.ManifestRecord]] = {
    PortSpec: catalog.PortSpec,
    Migration: catalog.Migration,
    DeclaredError: catalog.DeclaredError,
    SimulationSpec: catalog.SimulationSpec,
    KitExample: catalog.KitExample,
    NodeManifest: catalog.NodeManifest,
}


def validate_manifest(data: dict[str, Any]) -> catalog.NodeManifest:
    """The plain manifest of the validated ``data`` (a manifest file's object plus its
    ``path``). Raises pydantic's ``ValidationError``."""
    plain = to_plain(NodeManifest.model_validate(data))
    assert isinstance(plain, catalog.NodeManifest)
    return plain


def to_plain(model: BaseModel) -> catalog.ManifestRecord:
    """The plain object of a validated model, given the fields the model was given (the
    others take the plain class's defaults, equal to the model's): so
    ``to_json(exclude_unset=True)`` leaves out what the file left out."""
    values = {name: _plain_value(getattr(model, name)) for name in model.model_fields_set}
    return MODELS[type(model)](**values)


def _plain_value(value: Any) -> Any:
    # Models sit only where a field's type is a model (a file's JSON values hold none).
    if isinstance(value, BaseModel):
        return to_plain(value)
    if isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
        return [_plain_value(v) for v in value]
    if isinstance(value, dict) and any(isinstance(v, BaseModel) for v in value.values()):
        return {k: _plain_value(v) for k, v in value.items()}
    return value
