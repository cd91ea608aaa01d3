"""The Go of ``trigger/queue`` nodes: a durable JetStream consumer per trigger
(``Services``, run by ``nf.App.Serve``), the execution started for each message, and
the trigger's value for ``app run`` and flow tests. The consumer itself (acks, redelivery
with backoff, dead letters, pausing while the app is not ready) is the runtime's
``nf/natsq``; this module only writes the flow's side of it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nodeforge.analysis.types import ObjectType, type_from_schema

from .expr_go import CodegenError
from .gotypes import pascal
from .jsonread import supported
from .literal import go_string, json_text

if TYPE_CHECKING:
    from .flowgen import FlowGen

__all__ = [
    "NATSQ",
    "parse_duration",
    "queue_connectors",
    "queue_triggers",
    "run_value",
    "services",
]

NATSQ = "nodeforge.dev/catalog/nf/natsq"
QUEUE = "trigger/queue"
_DURATION = re.compile(r"^([0-9]+)(ms|s|m|h)$")
_UNIT_NS = {"ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_DEFAULT_PAYLOAD = {"type": "object"}


def parse_duration(text: str) -> int:
    """``500ms``, ``5s``, ``2m``, ``1h`` in nanoseconds (the manifest's pattern)."""
    m = _DURATION.match(text)
    if m is None:
        raise CodegenError(f"`{text}` is not a duration (500ms, 5s, 2m, 1h)")
    return int(m.group(1)) * _UNIT_NS[m.group(2)]


def _go_duration(text: str) -> str:
    return f"time.Duration({parse_duration(text)})"


def queue_triggers(g: FlowGen, triggers: list[str]) -> list[str]:
    return [t for t in triggers if g.manifest(t).type == QUEUE]


def queue_connectors(g: FlowGen, triggers: list[str]) -> set[str]:
    """The nats connectors of the flow's queue triggers (checked: declared, of type nats)."""
    found: set[str] = set()
    for t in queue_triggers(g, triggers):
        connector = str(g.config(t).get("connector", ""))
        g.connector_check(t, connector)
        if g.connector_kinds.get(connector) != "nats":
            raise CodegenError(f"node `{t}`: connector `{connector}` is not a nats connector")
        found.add(connector)
    g.nats |= found
    return found


def durable_name(flow_id: str, node_id: str) -> str:
    """The default consumer name: ``<flow>_<node>`` with characters JetStream refuses
    in names replaced."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{flow_id}_{node_id}")[:64]


def payload_schema(g: FlowGen, t: str) -> str:
    """The package-level ``nf.Schema`` of the trigger's payload (the default schema,
    an object, when the node sets none)."""
    var = g.var_name(t, "PayloadSchema")
    if all(v != var for v, _ in g.schemas):
        schema = g.raw.get(t, {}).get("payload_schema", _DEFAULT_PAYLOAD)
        g.schemas.append((var, json_text(schema)))
    return var


def payload_reader(g: FlowGen, t: str) -> tuple[str, str] | None:
    """(reader function, Go type) of the trigger's payload when its schema has a
    schema-specialised reader (``codegen/jsonread.py``, as HTTP bodies): the message's
    bytes are then read once, straight into the typed struct, checking the schema as
    they go. None: the generic path (parse, validate, convert)."""
    schema = g.raw.get(t, {}).get("payload_schema")
    if not isinstance(schema, dict) or not supported(schema):
        return None
    out = g.out_type(t, "out")
    field = out.field("payload") if isinstance(out, ObjectType) else None
    if field is None or field.type != type_from_schema(schema):
        return None
    hint = pascal(t) + "Payload"
    reader = g.readers.reader(schema, hint)
    if reader is None:
        return None
    return reader, g.types.go(field.type, hint)


def _message_value(g: FlowGen, t: str, m: str) -> str:
    """The trigger's output built from the runtime's ``*natsq.Message`` ``m``."""
    typed = payload_reader(g, t)
    payload = (
        f"{m}.Payload.({typed[1]})"  # read by Queue.Decode
        if typed is not None
        else g.field_value(t, "payload", f"{m}.Payload", "Payload")
    )
    return g.trigger_value(
        t,
        {
            "subject": f"{m}.Subject",
            "payload": payload,
            "headers": f"{m}.Headers",
            "idempotency_key": f"{m}.IdempotencyKey",
            "delivery": f"{m}.Delivery",
            "stream_sequence": f"{m}.StreamSequence",
            "published": f"{m}.Published",
        },
    )


def services(g: FlowGen, triggers: list[str]) -> list[str]:
    """``Services``: one consumer per queue trigger, and the method that runs one
    execution per message. Nothing when the flow has no queue trigger (the flow then
    does not implement ``nf.ServiceFlow``)."""
    queues = queue_triggers(g, triggers)
    if not queues:
        return []
    g.imports.update({"context", "time"})
    g.packages[NATSQ] = "natsq"
    lines = [
        "// Services are the flow's queue consumers (durable, shared by every replica).",
        f"func (f *{g.ftype}) Services() []nf.Service {{",
        "\treturn []nf.Service{",
    ]
    for t in queues:
        cfg = g.config(t)
        connector = str(cfg.get("connector", ""))
        stream = str(cfg["stream"])
        durable = str(cfg.get("durable") or durable_name(g.flow_id, t))
        dead = str(cfg.get("dead_letter_subject") or f"nodeforge.dead.{stream}")
        backoff = ", ".join(_go_duration(str(d)) for d in cfg.get("backoff") or ["1s"])
        fields = [
            ("Flow", go_string(g.flow_id)),
            ("Trigger", go_string(t)),
            ("Connector", go_string(connector)),
            ("Stream", go_string(stream)),
            ("Subject", go_string(str(cfg["subject"]))),
            ("Durable", go_string(durable)),
            ("DeadLetter", go_string(dead)),
            ("MaxDeliver", str(int(cfg.get("max_deliveries", 5)))),
            ("AckWait", _go_duration(str(cfg.get("ack_wait", "30s")))),
            ("Backoff", f"[]time.Duration{{{backoff}}}"),
            ("Concurrency", str(int(cfg.get("concurrency", 16)))),
            ("IdemHeader", go_string(str(cfg.get("idempotency_header") or "Nats-Msg-Id"))),
            ("Schema", payload_schema(g, t)),
        ]
        typed = payload_reader(g, t)
        if typed is not None:
            fields.append(("Decode", f"natsq.Typed({typed[0]})"))
        fields.append(("Handle", f"f.queue{pascal(t)}"))
        lines.append("\t\tnatsq.Service(f.app, natsq.Queue{")
        lines += [f"\t\t\t{name}: {value}," for name, value in fields]
        lines.append("\t\t}),")
    lines += ["\t}", "}", ""]
    for t in queues:
        lines += [
            f"// queue{pascal(t)} runs one execution for a message of trigger {t}; an error",
            "// (the execution failed) has the message delivered again later.",
            f"func (f *{g.ftype}) queue{pascal(t)}(ctx context.Context, m *natsq.Message) error {{",
            f"\tx := f.app.NewExec(ctx, {go_string(g.flow_id)}, {go_string(t)}, nil)",
            f"\tr := &{g.rtype}{{{g.ftype}: f, x: x}}",
            f"\treturn x.Run(func() error {{ return r.{g.method(t)}({_message_value(g, t, 'm')}) }})",
            "}",
            "",
        ]
    return lines


def run_value(g: FlowGen, t: str) -> list[str]:
    """The body of ``Run`` for queue trigger ``t`` (``app run``, flow tests): the input
    gives the message's fields, the payload checked against the schema like a message's."""
    cfg = g.config(t)
    schema = payload_schema(g, t)
    entries = {
        "subject": go_string(str(cfg.get("subject", ""))),
        "payload": "nil",
        "headers": "map[string]any{}",
        "idempotency_key": '"run:" + x.ID',
        "delivery": "int64(1)",
        "stream_sequence": "int64(0)",
        "published": "nf.Now()",
    }
    value = (
        "map[string]any{\n"
        + "".join(
            f"\t{go_string(k)}: nf.Default(in, {go_string(k)}, {v}),\n" for k, v in entries.items()
        )
        + "}"
    )
    from .flowgen import EMPTY

    decoded = g.types.decode(g.out_type(t, "out"), value, EMPTY, g.type_hint(t, "out"))
    return [
        f'if bad := nf.CheckValue(nf.Default(in, "payload", nil), {schema}); bad != nil {{',
        "\tx.Reject(bad)",
        "\treturn nil",
        "}",
        f"return r.{g.method(t)}({decoded})",
    ]
