"""Every rule as one documented unit: stable code, name, severity and its docs.

``docs/rules.md`` is generated from this table (``python -m nodeforge.gendocs_rules``),
and a test checks that every code a check can emit is documented here and has a
broken example flow under ``tests/flows/broken/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from nodeforge.analysis.diagnostics import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    why: str
    fix: str
    example: str = ""  # name of the broken example flow in tests/flows/broken/


_RULES = [
    Rule(
        "NF000",
        "internal-error",
        Severity.ERROR,
        "A check crashed on this document.",
        "One failing check must not hide the others: its crash becomes this diagnostic and "
        "every other rule still runs. It is always a Nodeforge bug.",
        "Report the document that triggers it; the other diagnostics remain trustworthy.",
    ),
    Rule(
        "NF001",
        "syntax-error",
        Severity.ERROR,
        "The file is not valid JSON here.",
        "Flow files are JSON so that the web editor and generic tools can read them. "
        "Nodeforge recovers from the error and still analyses everything else, but other "
        "tools (and `nodeforge build`) need valid JSON.",
        "Add the missing comma, quote or bracket the message names, or remove the trailing "
        "comma or duplicate key.",
        "syntax_errors",
    ),
    Rule(
        "NF002",
        "invalid-flow-structure",
        Severity.ERROR,
        "The document does not match the flow file schema.",
        "Fields with the wrong type or unknown top-level fields are almost always typos; "
        "the published schema (`flow.schema.json`) defines what a flow file may contain.",
        "Follow the message: rename the field, change its type, or remove it. Node ids must "
        "match `[a-z][a-z0-9_]*`, versions are exact `MAJOR.MINOR.PATCH`.",
        "bad_structure",
    ),
    Rule(
        "NF003",
        "duplicate-node-id",
        Severity.ERROR,
        "Two nodes share one id.",
        "Connections and expressions name nodes by id; with two nodes of one id, they would "
        "be ambiguous.",
        "Rename one of the nodes (the editor's rename updates every reference).",
        "duplicate_ids",
    ),
    Rule(
        "NF004",
        "unknown-node-type",
        Severity.ERROR,
        "The node type is neither in the catalog nor a custom node of the workspace.",
        "Nodeforge cannot type-check, build or run a node whose type it does not know.",
        "Use the suggested type, or add a custom node under the workspace's `nodes/` folder.",
        "unknown_type",
    ),
    Rule(
        "NF005",
        "unknown-node-version",
        Severity.ERROR,
        "The node type exists, but not in this version.",
        "Nodes pin an exact version so that a build is reproducible; an unknown version "
        "cannot be built.",
        "Pick one of the versions the message lists (the newest is usually right).",
        "unknown_version",
    ),
    Rule(
        "NF006",
        "invalid-config",
        Severity.ERROR,
        "A node's config does not match the node's config schema.",
        "A missing required key or a value of the wrong type fails at build or run time; "
        "catching it at the key saves a round trip.",
        "Follow the message at the offending key; the quick fix adds missing required keys "
        "with their defaults.",
        "bad_config",
    ),
    Rule(
        "NF007",
        "unknown-endpoint",
        Severity.ERROR,
        "A connection names a node or port that does not exist.",
        "The connection would carry no data; usually a node was renamed or removed.",
        "Point the connection at an existing `node.port`, or remove it (quick fix).",
        "bad_connections",
    ),
    Rule(
        "NF008",
        "wrong-direction",
        Severity.ERROR,
        "A connection starts at an input port or ends at an output port.",
        "Data flows from an output (`from`) to an input (`to`).",
        "Swap `from` and `to`, or pick the right ports.",
        "bad_connections",
    ),
    Rule(
        "NF009",
        "incompatible-connection",
        Severity.ERROR,
        "The source port's data can never fit the target port's schema.",
        "A definite type mismatch (a string where an integer is required, a missing required "
        "field) fails on every run.",
        "Insert a `data/map` adapter (quick fix, with a proposed mapping) or change a schema.",
        "type_mismatch",
    ),
    Rule(
        "NF010",
        "possibly-incompatible-connection",
        Severity.WARNING,
        "The source port's data may not fit the target port's schema.",
        "An optional field flowing into a required one, or a number into an integer, fails "
        "only on some inputs: the worst kind of bug to find in production.",
        "Insert a `data/map` adapter (quick fix) that supplies defaults, or tighten the schema.",
        "type_mismatch",
    ),
    Rule(
        "NF011",
        "cycle",
        Severity.ERROR,
        "Connections form a cycle that is not driven by a loop node.",
        "A cycle outside `flow/foreach` would run forever or deadlock.",
        "Use `flow/foreach` for iteration, or remove the connection that closes the cycle.",
        "graph_problems",
    ),
    Rule(
        "NF012",
        "unreachable-node",
        Severity.WARNING,
        "No trigger leads to this node.",
        "A node no trigger reaches never runs: it is dead code, or a connection is missing.",
        "Connect it downstream of a trigger, or delete it.",
        "graph_problems",
    ),
    Rule(
        "NF013",
        "no-trigger",
        Severity.ERROR,
        "The flow has no trigger node.",
        "Without an HTTP, schedule or manual trigger, nothing ever starts the flow. Flows used "
        "as sub-flows start with `trigger/manual`.",
        "Add a trigger (`http/trigger`, `trigger/schedule` or `trigger/manual`).",
        "no_trigger",
    ),
    Rule(
        "NF014",
        "http-missing-response",
        Severity.WARNING,
        "A path from this HTTP trigger can end without an `http/respond` node.",
        "The client then receives an empty `204 No Content`, which is rarely what was meant "
        "(Node-RED's linter flags the same).",
        "Add an `http/respond` node at the end of the path the message names.",
        "http_problems",
    ),
    Rule(
        "NF015",
        "duplicate-route",
        Severity.ERROR,
        "Two HTTP triggers answer the same method and path.",
        "Only one of them could ever be called.",
        "Change the method or path of one trigger.",
        "http_problems",
    ),
    Rule(
        "NF016",
        "unconnected-input",
        Severity.ERROR,
        "A required input port has no incoming connection.",
        "The node would never receive data, so it would never run.",
        "Connect an output to the port.",
        "graph_problems",
    ),
    Rule(
        "NF017",
        "expression-syntax",
        Severity.ERROR,
        "An expression or template hole does not parse.",
        "Expressions are compiled to Go at build time; a syntax error stops the build.",
        "Fix the expression at the character the diagnostic points to (see docs/expressions.md).",
        "bad_expressions",
    ),
    Rule(
        "NF018",
        "expression-type",
        Severity.ERROR,
        "An expression does not type-check against the data reaching the node.",
        "Misspelt fields and operations on the wrong types would fail at run time; the "
        "upstream port schemas let us catch them while typing. Where a node needs a value "
        "of one type, the expression must have it: a `flow/if` condition or a "
        "`flow/switch` case is a boolean (an integer or a string is an error, a value that "
        "may be null a warning: the execution fails on it). A string compared with a "
        "value of a closed set (an `enum`, such as `llm/classify`'s `label`) must be one "
        "of the set, or the comparison could never hold.",
        "Use a field that exists (the message suggests one) or convert the value; write a "
        'comparison (`size(x) > 0`, `x != ""`, `x == true`) where a boolean is needed.',
        "bad_expressions",
    ),
    Rule(
        "NF019",
        "node-may-not-have-run",
        Severity.ERROR,
        "An expression reads the output of a node that may not have run before this one.",
        "`nodes.<id>` is only defined when that node ran on every path to this node; on a "
        "path around it the value would be missing.",
        "Read the data through `input`, or move the reference below a node that every path "
        "goes through (or merge the paths with `flow/merge`).",
        "bad_expressions",
    ),
    Rule(
        "NF020",
        "unknown-connector",
        Severity.ERROR,
        "The node refers to a connector the workspace does not define, or of a wrong type.",
        "Connectors hold credentials outside the flow; a missing one fails at run time.",
        "Add it with `nodeforge connector add`, or pick one of the listed connectors.",
        "connector_problems",
    ),
    Rule(
        "NF021",
        "outdated-node-version",
        Severity.HINT,
        "A newer version of this node type is in the catalog.",
        "Newer versions carry fixes and options; the catalog's migration notes say what changes.",
        "Run the upgrade quick fix or `nodeforge upgrade`, which migrates the config.",
        "outdated",
    ),
    Rule(
        "NF022",
        "deprecated-node",
        Severity.WARNING,
        "This node type version is deprecated.",
        "Deprecated nodes will be removed from a future catalog.",
        "Follow the deprecation message.",
        "outdated",
    ),
    Rule(
        "NF023",
        "duplicate-connection",
        Severity.WARNING,
        "The same connection is listed twice.",
        "It has no effect but makes diffs and reviews noisier.",
        "Remove the duplicate (quick fix).",
        "bad_connections",
    ),
    Rule(
        "NF024",
        "invalid-flow-test",
        Severity.ERROR,
        "A flow-level test fires a node that is not a trigger of this flow, or pins a "
        "fixture it cannot use.",
        "`nodeforge test` starts each test at its `trigger`; a test naming a missing or "
        "non-trigger node cannot run, and usually means the trigger was renamed. Its "
        "`fixtures` pin nodes of this flow by id; a `$sequence` fixture is a non-empty "
        "list of responses, one per call.",
        "Set `trigger` to the id of one of the flow's trigger nodes; key fixtures by node "
        "id and give a `$sequence` one response per call.",
        "bad_tests",
    ),
    Rule(
        "NF025",
        "fork-base-outdated",
        Severity.HINT,
        "This node is a fork of a standard node that has a newer version now.",
        "A fork (`nodeforge fork`) is a copy: fixes and options added to its base after the "
        "copy do not reach it. The hint says when the base moved on, so the fork's owner "
        "can compare and port what matters.",
        "Compare the fork with the newer base (`nodeforge fork --status`), port the changes "
        "into the fork, then record the new base by forking again or editing `fork.json`.",
        "fork_outdated",
    ),
    Rule(
        "NF026",
        "invalid-subflow-target",
        Severity.ERROR,
        "A `flow/subflow` node calls a flow that is not in the workspace, cannot be "
        "called, or leads back to the caller.",
        "The build looks the called flow up by its `id` among the workspace's `.flow.json` "
        "files and starts it at its first `trigger/manual` node; a misspelt id, a flow "
        "without a manual trigger, or calls that go round in a cycle (a flow calling itself, "
        "directly or through others) would run forever or cannot be built. A flow file that "
        "is not valid JSON is not in the workspace. A lone file, outside any folder with "
        "`nodeforge.toml`, has no workspace to look in: its unknown targets are not reported.",
        "Pick one of the workspace's flow ids (completion lists them; the message suggests a "
        "close one), add a `trigger/manual` node to the called flow, or break the cycle.",
        "subflow_problems",
    ),
    Rule(
        "NF027",
        "invalid-subflow-arguments",
        Severity.ERROR,
        "The `arguments` of a `flow/subflow` node do not fit the called flow's `input_schema`.",
        "The called flow validates its payload against its manual trigger's `input_schema` "
        "on every call: a missing required argument, one the schema does not allow "
        "(`additionalProperties: false`) or a value of the wrong type fails the call at run "
        "time. An argument whose type fits only sometimes (a number where an integer is "
        "expected, a value that may be null) is a warning.",
        "Add the missing arguments, remove or rename the unknown ones (the message suggests "
        "a close name), or convert the value; completion inside `arguments` lists the "
        "called flow's inputs.",
        "subflow_arguments",
    ),
    Rule(
        "NF028",
        "invalid-schema",
        Severity.ERROR,
        "A JSON Schema in the config (a body, input, output or validation schema) is broken.",
        "The app and the simulator validate data with the schema; a keyword whose value has "
        'the wrong shape (`"minLength": -1`), an unknown type name (`"strng"`, which '
        "would reject every value), a `pattern` that RE2 (Go's regular expressions, which "
        "the app uses) cannot compile, or a `$ref` that does not resolve inside the schema "
        "would make it reject or accept the wrong data, or stop the app at start-up.",
        "Follow the message: use one of the type names it lists, rewrite the pattern in "
        "RE2 syntax (no look-around or back-references), point `$ref` at `#/$defs/...` "
        "inside the same schema. The supported subset is listed in `docs/schemas.md`.",
        "bad_schemas",
    ),
    Rule(
        "NF029",
        "schema-keyword-not-enforced",
        Severity.WARNING,
        "A JSON Schema keyword or format that neither the app nor the simulator enforces.",
        "Validation ignores it, so data it is meant to reject is accepted "
        "(`prefixItems`, `contains`, `dependentRequired`, `format: ipv4`...).",
        "Express the rule with the enforced keywords (`docs/schemas.md` lists them), or "
        "check it in the flow (a `flow/if` or `data/validate`), or remove the keyword.",
        "bad_schemas",
    ),
    Rule(
        "NF030",
        "unknown-schema-keyword",
        Severity.WARNING,
        "A key in a JSON Schema that is no JSON Schema keyword (usually a misspelling).",
        "JSON Schema ignores unknown keywords, so `minimun` or `requierd` silently check "
        "nothing and the app accepts what the schema seems to forbid.",
        "Use the suggested keyword, or move the data to an annotation (`description`, `$comment`).",
        "bad_schemas",
    ),
    Rule(
        "NF031",
        "sql-placeholder-mismatch",
        Severity.ERROR,
        "The placeholders of a SQL statement do not match its parameters.",
        "The app binds `params` to the statement by position: two placeholders and one "
        "parameter, or the other way round, fail on every execution (PostgreSQL: `expected 2 "
        "arguments, got 1`), and so do named placeholders (`:id`, `@id`, `$id` in SQLite), "
        "which a list by position cannot fill, and, in PostgreSQL, a gap in the numbers "
        "(`$1` and `$3` without `$2`). Placeholders inside string literals, quoted names "
        "and comments are text and do not count.",
        "Give one parameter per placeholder number, and write placeholders as `$1`, `$2`, "
        "... (they work on SQLite and PostgreSQL alike; see the `sql/query` node).",
        "sql_placeholders",
    ),
    Rule(
        "NF032",
        "respond-without-request",
        Severity.ERROR,
        "An `http/respond` node runs in executions that have no request to answer.",
        "Executions started by a schedule or a queue message answer nobody: the app drops "
        "the answer with a warning in its log, so whatever the node was meant to send is "
        "lost. (A flow started by `trigger/manual` answers its caller: a `flow/subflow` "
        "node or `nodeforge run`.)",
        "Send the result where it is needed (`http/request`, `queue/publish`, "
        "`email/send`, a table), or log it with `util/log`; or start the flow with an "
        "`http/trigger`.",
        "respond_without_request",
    ),
    Rule(
        "NF033",
        "invalid-schedule",
        Severity.ERROR,
        "A `trigger/schedule` cron expression or time zone is not valid.",
        "The app reads its schedules at start-up; a cron field out of range (`61` minutes), "
        "the wrong number of fields, an unknown `@descriptor` or an `@every` shorter than "
        "a second, or a time zone that is not in the IANA database the app embeds, would "
        "stop it from starting.",
        "Write five fields `minute hour day-of-month month day-of-week` (`0 9 * * 1-5`), "
        "or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`, `@every 15m`; name the "
        "zone as in the IANA database (`Europe/Paris`, case-sensitive; the message "
        "suggests one).",
        "bad_schedules",
    ),
    Rule(
        "NF034",
        "invalid-url",
        Severity.ERROR,
        "A URL the node will call is relative or malformed.",
        "The app's HTTP client needs an absolute `http://` or `https://` URL with a host; "
        "`/api/orders` or `api.example.com/orders` fail on every call "
        "(`unsupported protocol scheme`). For a template, what its literal start already "
        "says is checked (`/orders/{{ input.id }}` cannot become absolute).",
        "Write the whole URL, or take its base from the environment: "
        "`{{ env.API_URL }}/orders/{{ input.id }}`.",
        "bad_urls",
    ),
    Rule(
        "NF035",
        "cgo-in-node-code",
        Severity.ERROR,
        'Node code imports `"C"` (cgo).',
        "A `code/go` node (or any node whose manifest marks a config property "
        '`"x-go-source": true`) is built twice: as pure Go for its tests in the sandbox, '
        'where a file that imports `"C"` is left out (`undefined: Run`), and into the '
        "app, which is one static binary with no C of its own. Either way the code would "
        "not do what it says.",
        "Write the logic in Go (the standard library is available), or call a service that "
        "does it (`http/request`).",
        "cgo_import",
    ),
    Rule(
        "NF900",
        "go-build-error",
        Severity.ERROR,
        "The Go compiler rejected the code generated for this node (reported by builds).",
        "A flow that checks clean can still fail to build, for example when a custom or "
        "forked node's Go code does not compile. `//line` directives in the generated code "
        "map the compiler's message back to the node and config value it came from, so it "
        "shows where the flow was written, not in generated files.",
        "Fix the node's Go code or config at the place the diagnostic points to, then build "
        "again (`nodeforge build`, or the editor's Build lens). Not reported by "
        "`nodeforge check`, which does not compile.",
    ),
    Rule(
        "NF901",
        "kit-error",
        Severity.ERROR,
        "A node kit's own file is wrong: its manifest (`node.json`) or its call-site "
        "template (`call.go.j2`) (shown in the editor on the kit's files).",
        "A kit's manifest that does not load leaves its node out of the catalog, and a "
        "template that does not parse, reads a name it never sets or calls something "
        "outside the generator's API fails every build of a flow using the node. The "
        "editor checks both files as they are typed, at the key or template line at fault, "
        "as `nodeforge node test` and builds do (`docs/writing-nodes.md`).",
        "Fix the manifest key or template line the diagnostic points to; the manifest's "
        "fields and config annotations and the template's API are in `docs/writing-nodes.md`.",
    ),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}
