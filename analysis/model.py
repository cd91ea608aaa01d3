"""The flow file format v1 as pydantic models.

These models are the single definition of the format: the published JSON Schema
(``nodeforge/schemas/flow.schema.json``) is generated from them, the file-schema
rule validates documents against that schema, and code generation and simulation
load clean flows through them. Analysis of documents being edited does not need a
valid model: it reads the tolerant JSON tree (see :mod:`nodeforge.analysis.flow`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

FORMAT_VERSION = "1"
NODE_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
TYPE_PATTERN = r"^[a-z][a-z0-9_-]*/[a-z][a-z0-9_-]*$"
VERSION_PATTERN = r"^\d+\.\d+\.\d+$"
ENDPOINT_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$"


class _Strict(BaseModel):
    # Validators are built on first use, not on import (~10 ms): the structure check asks
    # the models only about documents analysis/flowshape.py is not sure of.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class NodePosition(_Strict):
    """Where the visual editor draws the node; analysis ignores it."""

    x: float
    y: float


# A node's fields, defined once for :class:`Node` (the model: loading clean flows, the
# published schema) and :class:`NodeFields` (the same verdict on a plain dict).
NodeId = Annotated[
    str, Field(pattern=NODE_ID_PATTERN, description="Identifier used by connections.")
]
NodeType = Annotated[str, Field(pattern=TYPE_PATTERN, description="Node type, `category/name`.")]
NodeVersion = Annotated[
    str, Field(pattern=VERSION_PATTERN, description="Exact version of the node type.")
]
NodeTitle = Annotated[str | None, Field(description="Display name; analysis ignores it.")]
NodeDescription = Annotated[str | None, Field(description="Notes for readers of the flow.")]
NodeConfig = Annotated[dict[str, Any], Field(description="Node configuration.")]


class Node(_Strict):
    id: NodeId
    type: NodeType
    version: NodeVersion
    title: NodeTitle = None
    description: NodeDescription = None
    position: NodePosition | None = None
    config: NodeConfig = Field(default_factory=dict)


class NodePositionFields(TypedDict):
    """:class:`NodePosition` validated as a dict."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    x: float
    y: float


class NodeFields(TypedDict):
    """:class:`Node` validated as a dict (its very fields): the same verdict without
    building a model per node, half the time (the structure check validates thousands;
    a test checks that the two agree)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    id: NodeId
    type: NodeType
    version: NodeVersion
    title: NotRequired[NodeTitle]
    description: NotRequired[NodeDescription]
    position: NotRequired[NodePositionFields | None]
    config: NotRequired[NodeConfig]


class Connection(_Strict):
    from_: str = Field(alias="from", pattern=ENDPOINT_PATTERN, description="`node.output_port`")
    to: str = Field(pattern=ENDPOINT_PATTERN, description="`node.input_port`")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class FlowTest(_Strict):
    name: str
    trigger: str = Field(pattern=NODE_ID_PATTERN, description="The trigger node to fire.")
    input: Any = Field(default=None, description="The trigger's output data for this test.")
    expect: Any = Field(default=None, description="Expected result (e.g. the HTTP response).")
    fixtures: dict[str, Any] = Field(
        default_factory=dict, description="Pinned output per node id, instead of real I/O."
    )


class Flow(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    schema_uri: str | None = Field(
        default=None, alias="$schema", description="Optional: the JSON Schema, for generic editors."
    )
    nodeforge: str = Field(pattern=r"^1$", description="Format version; always `1`.")
    id: str = Field(pattern=NODE_ID_PATTERN, description="Flow identifier.")
    name: str | None = None
    description: str | None = None
    nodes: list[Node] = Field(default_factory=list)
    connections: list[Connection] = Field(default_factory=list)
    tests: list[FlowTest] = Field(default_factory=list)


@lru_cache(maxsize=1)
def flow_json_schema() -> dict[str, Any]:
    """The published JSON Schema of a flow file (draft 2020-12)."""
    schema = Flow.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://nodeforge.dev/schemas/flow.schema.json"
    schema["title"] = "Nodeforge flow file"
    return schema


def flow_json_schema_text() -> str:
    return json.dumps(flow_json_schema(), indent=2, sort_keys=True) + "\n"
