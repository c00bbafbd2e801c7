#!/usr/bin/env python3
"""Writes the hand-made bad-IR fixtures of `fixtures/ir/` and prints their expectation rows
for `tests/ir.rs`.

Each fixture is a small, realistic IR dict (a JSON dump, as `scaiflow verify` accepts it)
with exactly one problem, or a hand-broken binary bundle. The line and column of each
expected diagnostic are worked out here, by this script's own JSON position finder, not
copied from scaiflow's output. Binary bundles are packed with Python's `msgpack`, an
encoder independent of scaiflow's.

Run from the repository root: python3 scripts/ir-fixtures.py
"""

import copy
import json
import os

import msgpack

OUT = "fixtures/ir"

BASE = {
    "schema_version": 1,
    "name": "ticket-triage",
    "version": "1.0.0",
    "instance": {"mode": "stateless"},
    "identity": {"name": "ticket-triage", "persona": "Ticket Triage"},
    "models": [
        {"role": "primary", "provider": "scaigrid", "model": "openai/gpt-4o"},
        {"role": "fast", "provider": "scaigrid", "model": "openai/gpt-4o-mini"},
    ],
    "plugins": [{"alias": "scaidrive", "endpoint": "plugin://scaidrive"}],
    "capabilities": [],
    "triggers": [
        {
            "kind": "api",
            "name": "node_entry",
            "target_flow": "main",
            "method": "POST",
            "path": "/tickets",
            "source_location": {"node_id": "node_entry"},
        }
    ],
    "flows": [
        {
            "name": "main",
            "params": [{"name": "input", "type": "object"}],
            "body": [
                {
                    "kind": "flexible",
                    "goal": "Classify the ticket.",
                    "llm_role": "fast",
                    "result_binding": "classify",
                    "source_location": {"node_id": "node_classify"},
                },
                {
                    "kind": "rigid",
                    "statements": [
                        {
                            "kind": "plugin_call",
                            "alias": "scaidrive",
                            "method": "search",
                            "args": {"path": "/kb/", "query": "{{input.text}}"},
                        }
                    ],
                    "result_binding": "kb",
                    "source_location": {"node_id": "node_kb"},
                },
                {
                    "kind": "match",
                    "arms": [
                        {
                            "when": "classify.intent == 'refund'",
                            "body": [
                                {
                                    "kind": "checkpoint",
                                    "type": "hitl_review",
                                    "hitl_target": {"scope": "support", "queue": "refunds"},
                                    "source_location": {"node_id": "node_review"},
                                }
                            ],
                        }
                    ],
                    "otherwise": [
                        {
                            "kind": "rigid",
                            "statements": [
                                {"kind": "expression", "expression": "Thanks, {{input.name}}."}
                            ],
                            "result_binding": "reply",
                            "source_location": {"node_id": "node_reply"},
                        }
                    ],
                    "source_location": {"node_id": "node_route"},
                },
            ],
        }
    ],
    "source": {"flow_id": "flow_triage", "flow_version": "1.0.0", "scaicore_target": "0.2"},
}


def positions(text):
    """Maps each JSON path (a tuple of keys / indices) to (key offset or None, value offset)."""
    out = {}
    i = 0

    def ws():
        nonlocal i
        while text[i] in " \n\r\t":
            i += 1

    def string():
        nonlocal i
        start = i
        i += 1
        while text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        i += 1
        return json.loads(text[start:i])

    def value(path, key_at):
        nonlocal i
        ws()
        out[path] = (key_at, i)
        c = text[i]
        if c == "{":
            i += 1
            ws()
            if text[i] == "}":
                i += 1
                return
            while True:
                ws()
                k_at = i
                k = string()
                ws()
                i += 1  # ':'
                value(path + (k,), k_at)
                ws()
                if text[i] == ",":
                    i += 1
                    continue
                i += 1  # '}'
                return
        if c == "[":
            i += 1
            ws()
            if text[i] == "]":
                i += 1
                return
            n = 0
            while True:
                value(path + (n,), None)
                n += 1
                ws()
                if text[i] == ",":
                    i += 1
                    continue
                i += 1  # ']'
                return
        if c == '"':
            string()
            return
        while i < len(text) and text[i] not in ",]}\n":
            i += 1

    value((), None)
    return out


def line_col(text, offset):
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def focus(text, path):
    """Where scaiflow underlines a path: a scalar's value; a container's key, or its opening
    bracket when it has no key."""
    key_at, value_at = positions(text)[path]
    if text[value_at] in "{[" and key_at is not None:
        return line_col(text, key_at)
    return line_col(text, value_at)


def show(path):
    s = ""
    for seg in path:
        if isinstance(seg, int):
            s += f"[{seg}]"
        else:
            s += ("." if s else "") + seg
    return s or "$"


ROWS = []


def fixture(name, mutate, code, message, path):
    ir = copy.deepcopy(BASE)
    mutate(ir)
    text = json.dumps(ir, indent=2, ensure_ascii=False) + "\n"
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)
    line, col = focus(text, path)
    ROWS.append((name, code, message, show(path), line, col))


def body(ir):
    return ir["flows"][0]["body"]


def main():
    os.makedirs(OUT, exist_ok=True)
    B = ("flows", 0, "body")

    def e400(ir):
        body(ir)[2]["otherwise"][0]["statements"][0]["expression"] = "Thanks, {{input.name}}. Sent at {{ now() }}."

    p = B + (2, "otherwise", 0, "statements", 0, "expression")
    fixture("e400-now-in-rigid.json", e400, "E400",
            f"{show(p)} (node 'node_reply'): now() inside a rigid block: rigid must replay identically on resume", p)

    def e402(ir):
        ir["instance"] = {"mode": "entity", "entity_key": "customer_id"}

    p = ("instance", "entity_key")
    fixture("e402-entity-key-unused.json", e402, "E402",
            f"{show(p)}: entity-mode core: entity key 'customer_id' appears in no flow's input", p)

    def e405(ir):
        body(ir)[1]["statements"].append({"kind": "model_call", "prompt": "Summarise {{kb}}", "llm_role": "fast"})

    p = B + (1, "statements", 1)
    fixture("e405-model-call-in-rigid.json", e405, "E405",
            f"{show(p)} (node 'node_kb'): model_call inside a rigid block: an LLM call cannot be replayed on resume", p)

    def e411(ir):
        ir["schema_version"] = 2

    p = ("schema_version",)
    fixture("e411-schema-version-2.json", e411, "E411",
            "unsupported schema_version 2; this verifier knows schema_version 1", p)

    def e412(ir):
        body(ir)[0]["kind"] = "flexibel"

    p = B + (0, "kind")
    fixture("e412-unknown-block-kind.json", e412, "E412",
            f"{show(p)} (node 'node_classify'): unknown block kind \"flexibel\"; did you mean `flexible`?", p)

    def e413(ir):
        del body(ir)[0]["goal"]

    p = B + (0,)
    fixture("e413-flexible-without-goal.json", e413, "E413",
            f"{show(p)} (node 'node_classify'): \"goal\" is a required property", p)

    def e414(ir):
        ir["triggers"][0]["target_flow"] = "mian"

    p = ("triggers", 0, "target_flow")
    fixture("e414-unknown-target-flow.json", e414, "E414",
            f"{show(p)} (node 'node_entry'): trigger targets flow 'mian', which does not exist; did you mean `main`?", p)

    def e415(ir):
        body(ir)[0]["llm_role"] = "fats"

    p = B + (0, "llm_role")
    fixture("e415-undeclared-role.json", e415, "E415",
            f"{show(p)} (node 'node_classify'): llm_role 'fats' is not a declared model role; did you mean `fast`?", p)

    def e416(ir):
        body(ir)[1]["statements"][0]["alias"] = "scaidrvie"

    p = B + (1, "statements", 0, "alias")
    fixture("e416-undeclared-plugin.json", e416, "E416",
            f"{show(p)} (node 'node_kb'): plugin 'scaidrvie' is not declared in plugins; did you mean `scaidrive`?", p)

    def e417(ir):
        body(ir).append({"kind": "while", "condition": "kb.more", "body": [],
                         "source_location": {"node_id": "node_more"}})

    p = B + (3,)
    fixture("e417-while-without-max-iterations.json", e417, "E417",
            f"{show(p)} (node 'node_more'): while loop missing max_iterations", p)

    def e418(ir):
        body(ir)[2]["arms"][0]["body"][0]["hitl_target"]["scope"] = None

    p = B + (2, "arms", 0, "body", 0, "hitl_target")
    fixture("e418-hitl-target-null-scope.json", e418, "E418",
            f"{show(p)} (node 'node_review'): hitl_target has no scope (a null scope or queue breaks routing)", p)

    def e419(ir):
        body(ir).append({"kind": "core_call", "target": "acme/escalations", "flow_name": "escalate",
                         "source_location": {"node_id": "node_escalate"}})

    p = B + (3, "target")
    fixture("e419-core-call-target.json", e419, "E419",
            f"{show(p)} (node 'node_escalate'): core_call target 'acme/escalations' is not a core://{{tenant_slug}}/{{slug}} URI", p)

    def e420(ir):
        body(ir)[2]["otherwise"][0]["result_binding"] = "1st_reply"

    p = B + (2, "otherwise", 0, "result_binding")
    fixture("e420-binding-starts-with-digit.json", e420, "E420",
            f"{show(p)} (node 'node_reply'): result_binding '1st_reply' is not a valid identifier ([a-z_][A-Za-z0-9_]*, not a reserved word)", p)

    def e421(ir):
        body(ir)[2]["otherwise"][0]["result_binding"] = "classify"

    p = B + (2, "otherwise", 0, "result_binding")
    fixture("e421-duplicate-binding.json", e421, "E421",
            f"{show(p)} (node 'node_reply'): result_binding 'classify' is already bound at flows[0].body[0].result_binding", p)

    def e422(ir):
        ir["flows"].append({"name": "main", "params": [], "body": []})

    p = ("flows", 1, "name")
    fixture("e422-duplicate-flow-name.json", e422, "E422",
            f"{show(p)}: flow name 'main' is also declared at flows[0]", p)

    # Binary bundles, packed by Python's msgpack.
    bundle = b"SCIR" + msgpack.packb(BASE)
    with open(os.path.join(OUT, "e410-bad-magic.scir"), "wb") as f:
        f.write(b"SCIX" + bundle[4:])
    ROWS.append(("e410-bad-magic.scir", "E410",
                 "not a SCIR bundle: expected the magic bytes 53 43 49 52 (\"SCIR\"), found 53 43 49 58 (SCIX); "
                 "nor is it a JSON dump of an IR dict, which starts with '{'", "", 0, 0))
    goal = bundle.index(b"Classify the ticket.")
    with open(os.path.join(OUT, "e410-truncated.scir"), "wb") as f:
        f.write(bundle[: goal + 5])
    ROWS.append(("e410-truncated.scir", "E410",
                 f"at byte {goal}: truncated: a string needs 20 bytes, 5 remain", "", 0, 0))
    # A 4-byte body that claims an array of 4 billion elements.
    with open(os.path.join(OUT, "e410-huge-array.scir"), "wb") as f:
        f.write(b"SCIR\xdd\xff\xff\xff\xff")
    ROWS.append(("e410-huge-array.scir", "E410",
                 "at byte 4: truncated: an array declares 4294967295 elements, but only 0 bytes remain", "", 0, 0))
    with open(os.path.join(OUT, "valid-ticket-triage.scir"), "wb") as f:
        f.write(bundle)
    with open(os.path.join(OUT, "valid-ticket-triage.json"), "w") as f:
        f.write(json.dumps(BASE, indent=2) + "\n")

    for name, code, message, path, line, col in ROWS:
        print(f"    row({json.dumps(name)}, {json.dumps(code)}, {json.dumps(message)}, {json.dumps(path)}, {line}, {col}),")


main()
