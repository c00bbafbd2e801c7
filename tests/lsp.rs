//! `scaiflow lsp` at the protocol level: a client drives the server through initialize →
//! didOpen → didChange → the feature requests → shutdown, and checks what an editor would
//! get. Most tests run the server in-process over a memory connection; one talks to the
//! real binary over stdio.

mod common;

use std::io::{BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

struct Client {
    conn: Connection,
    server: Option<std::thread::JoinHandle<Result<scaiflow::lsp::Ended, String>>>,
    next: i32,
    /// Notifications received while waiting for something else.
    inbox: Vec<Notification>,
    init: Value,
}

impl Client {
    fn start() -> Client {
        Client::start_with(json!({}))
    }

    fn start_with(capabilities: Value) -> Client {
        let params = json!({"processId": null, "rootUri": null, "capabilities": capabilities});
        let mut c = Client::connect(scaiflow::lsp::Options::default());
        c.init = c.request("initialize", params);
        c.notify("initialized", json!({}));
        c
    }

    /// A server, not yet initialized.
    fn connect(options: scaiflow::lsp::Options) -> Client {
        let (server_end, conn) = Connection::memory();
        let server = std::thread::spawn(move || scaiflow::lsp::serve(&server_end, options));
        Client {
            conn,
            server: Some(server),
            next: 0,
            inbox: Vec::new(),
            init: Value::Null,
        }
    }

    /// The error code a request gets.
    fn error_of(&mut self, method: &str, params: Value) -> i32 {
        self.respond(method, params).unwrap_err().code
    }

    /// Ends with `exit` alone; how the server says it ended.
    fn exit(mut self) -> Result<scaiflow::lsp::Ended, String> {
        self.notify("exit", Value::Null);
        self.server.take().unwrap().join().unwrap()
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.to_string(), params).into())
            .unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.respond(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e:?}"))
    }

    /// Sends a request and waits for its response (keeping notifications for later).
    fn respond(&mut self, method: &str, params: Value) -> Result<Value, lsp_server::ResponseError> {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.conn
            .sender
            .send(Request::new(id.clone(), method.to_string(), params).into())
            .unwrap();
        loop {
            match self.conn.receiver.recv_timeout(WAIT).expect("a response") {
                Message::Response(r) if r.id == id => return r.response_result,
                Message::Notification(n) => self.inbox.push(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// The next notification `method` for which `pick` holds.
    fn wait_for(&mut self, method: &str, pick: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self
            .inbox
            .iter()
            .position(|n| n.method == method && pick(&n.params))
        {
            return self.inbox.remove(i).params;
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .conn
                .receiver
                .recv_timeout(left)
                .expect("a notification")
            {
                Message::Notification(n) if n.method == method && pick(&n.params) => {
                    return n.params;
                }
                Message::Notification(n) => self.inbox.push(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// The code actions for diagnostic `d` of `uri` (`only`: the kind asked for).
    fn code_actions(&mut self, uri: &str, d: &Value, only: Option<&str>) -> Vec<Value> {
        let mut context = json!({"diagnostics": [d]});
        if let Some(kind) = only {
            context["only"] = json!([kind]);
        }
        let actions = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": d["range"], "context": context}),
        );
        actions.as_array().unwrap().clone()
    }

    /// The diagnostics published for `uri` at `version`.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let p = self.wait_for("textDocument/publishDiagnostics", |p| {
            p["uri"] == uri && p["version"] == version
        });
        p["diagnostics"].as_array().unwrap().clone()
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
        );
        self.diagnostics(uri, 1)
    }

    fn at(&mut self, method: &str, uri: &str, pos: (u32, u32)) -> Value {
        let mut params = json!({
            "textDocument": {"uri": uri},
            "position": {"line": pos.0, "character": pos.1},
        });
        if method == "textDocument/references" {
            params["context"] = json!({"includeDeclaration": true});
        }
        self.request(method, params)
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let served = self.server.take().unwrap().join().unwrap();
        assert_eq!(served, Ok(scaiflow::lsp::Ended::Clean));
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// The 0-based (line, UTF-16 column) of a byte offset, counted here independently of the
/// server.
fn pos_of(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line as u32, before[start..].encode_utf16().count() as u32)
}

/// The position just inside the `n`th occurrence of `needle`.
fn find(text: &str, needle: &str, nth: usize) -> (u32, u32) {
    let at = text.match_indices(needle).nth(nth).expect(needle).0;
    pos_of(text, at + 1)
}

fn range_text<'t>(text: &'t str, range: &Value) -> &'t str {
    let off = |p: &Value| {
        let (line, ch) = (
            p["line"].as_u64().unwrap() as usize,
            p["character"].as_u64().unwrap() as usize,
        );
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= ch {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    &text[off(&range["start"])..off(&range["end"])]
}

fn uri(name: &str) -> String {
    format!("file:///work/flows/{name}")
}

#[test]
fn initialize_negotiates_the_position_encoding() {
    let c = Client::start();
    assert_eq!(c.init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(c.init["serverInfo"]["name"], "scaiflow");
    let caps = &c.init["capabilities"];
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental");
    assert_eq!(caps["textDocumentSync"]["openClose"], true);
    assert_eq!(caps["textDocumentSync"]["save"], true);
    for provider in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
    ] {
        assert_eq!(caps[provider], true, "{provider}");
    }
    assert_eq!(
        caps["completionProvider"]["triggerCharacters"],
        json!(["\"", "{"])
    );
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source"])
    );
    assert_eq!(
        caps["executeCommandProvider"]["commands"],
        json!(["scaiflow.compile"])
    );
    c.stop();
    let c = Client::start_with(json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}));
    assert_eq!(c.init["capabilities"]["positionEncoding"], "utf-8");
    c.stop();
}

/// The LSP diagnostics `lsp` are the CLI's JSON records `cli` of `text`: same codes,
/// messages, severities, ranges (the byte spans converted here; none at 0:0), links to the
/// code's explanation and help.
fn assert_same(lsp: &[Value], cli: &[Value], text: &str, name: &str) {
    assert_eq!(lsp.len(), cli.len(), "{name}: {lsp:#?} vs {cli:#?}");
    for (l, r) in lsp.iter().zip(cli) {
        assert_eq!(l["code"], r["code"], "{name}");
        assert_eq!(l["message"], r["message"], "{name}");
        assert_eq!(l["source"], "scaiflow");
        let sev = if r["severity"] == "error" { 1 } else { 2 };
        assert_eq!(l["severity"], sev, "{name}");
        let (s, e) = match &r["span"] {
            Value::Null => (0, 0),
            span => (
                span["start"].as_u64().unwrap() as usize,
                span["end"].as_u64().unwrap() as usize,
            ),
        };
        let want = json!({
            "start": {"line": pos_of(text, s).0, "character": pos_of(text, s).1},
            "end": {"line": pos_of(text, e).0, "character": pos_of(text, e).1},
        });
        assert_eq!(l["range"], want, "{name} {}", r["code"]);
        let code = r["code"].as_str().unwrap().to_ascii_lowercase();
        assert!(
            l["codeDescription"]["href"]
                .as_str()
                .unwrap()
                .ends_with(&format!("docs/codes.md#{code}")),
            "{l}"
        );
        let related = l["relatedInformation"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let helps: Vec<&str> = related
            .iter()
            .filter_map(|x| x["message"].as_str())
            .filter(|m| m.starts_with("help: "))
            .collect();
        let want: Vec<String> = r["help"]
            .as_str()
            .map(|h| format!("help: {h}"))
            .into_iter()
            .collect();
        assert_eq!(helps, want, "{l}");
    }
}

/// Every fixture's diagnostics are the CLI's: same codes, messages, severities and ranges
/// (`scaiflow validate --message-format json`'s byte spans, converted here).
#[test]
fn diagnostics_are_the_clis() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with("sf003"))
        .collect();
    names.sort();
    assert!(names.len() > 40);
    let mut c = Client::start();
    let mut compared = 0;
    for name in &names {
        let text = fixture(&format!("fixtures/{name}"));
        let cli = common::validate_records(&dir.join(name));
        let u = uri(&name.replace(".json", ".flow.json"));
        let lsp = c.open(&u, &text);
        assert_same(&lsp, &cli, &text, name);
        compared += cli.len();
        c.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
        let closed = c.wait_for("textDocument/publishDiagnostics", |p| {
            p["uri"] == u.as_str() && p["version"].is_null()
        });
        assert_eq!(closed["diagnostics"], json!([]));
    }
    assert!(compared > 40, "{compared}");
    c.stop();
}

/// Odd initialize params still get an answer; requests before it get "not initialized";
/// a notification before `initialized` is fine; `exit` without `shutdown` is told apart.
#[test]
fn the_handshake_is_forgiving() {
    for params in [
        json!({}),
        Value::Null,
        json!({"processId": "123", "rootUri": "file:///tmp/a b", "trace": "compact",
               "capabilities": {"textDocument": {"hover": {"contentFormat": ["markdown", "html"]}}}}),
    ] {
        let mut c = Client::connect(scaiflow::lsp::Options::default());
        assert_eq!(c.error_of("textDocument/hover", json!({})), -32002);
        c.notify("$/setTrace", json!({"value": "off"}));
        let init = c.request("initialize", params.clone());
        assert_eq!(
            init["capabilities"]["positionEncoding"], "utf-16",
            "{params}"
        );
        c.notify("$/setTrace", json!({"value": "off"}));
        c.notify("initialized", json!({}));
        assert_eq!(c.error_of("initialize", json!({})), -32600, "once only");
        assert_eq!(
            c.request(
                "textDocument/documentSymbol",
                json!({"textDocument": {"uri": "file:///x.flow.json"}})
            ),
            Value::Null
        );
        assert_eq!(c.exit(), Ok(scaiflow::lsp::Ended::ExitWithoutShutdown));
    }
    assert_eq!(
        Client::connect(scaiflow::lsp::Options::default()).exit(),
        Ok(scaiflow::lsp::Ended::ExitWithoutShutdown)
    );
}

/// A byte order mark is not part of the library's text, but is of the editor's: ranges
/// and fixes are in the editor's.
#[test]
fn a_byte_order_mark_shifts_nothing() {
    let mut c = Client::start();
    let text = format!("\u{feff}{}", fixture("fixtures/sf203-dangling-source.json"));
    let u = uri("bom.flow.json");
    let d = c.open(&u, &text);
    assert_eq!(range_text(&text, &d[0]["range"]), "\"node_sumarise\"");
    let actions = c.code_actions(&u, &d[0], Some("quickfix"));
    let fixed = apply(&text, &actions[0]["edit"], &u);
    assert_eq!(
        fixed,
        text.replacen("\"node_sumarise\"", "\"node_summarise\"", 1)
    );
    c.stop();
}

/// Past `--max-input-size`, a document gets the CLI's SF002, word for word.
#[test]
fn the_input_limit_is_the_clis() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/customer-support.flow.json");
    let out = Command::new(env!("CARGO_BIN_EXE_scaiflow"))
        .args([
            "--max-input-size",
            "1KiB",
            "validate",
            "--message-format",
            "json",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let cli: Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(cli["code"], "SF002");
    let options = scaiflow::lsp::Options {
        limits: scaiflow::limits::Limits::with_max_input(1024),
    };
    let mut c = Client::connect(options);
    c.init = c.request("initialize", json!({"capabilities": {}}));
    c.notify("initialized", json!({}));
    let u = format!("file://{}", path.display());
    let d = c.open(&u, &fixture("examples/customer-support.flow.json"));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["code"], "SF002");
    assert_eq!(d[0]["message"], cli["message"]);
    c.stop();
}

#[test]
fn duplicate_ids_point_at_the_first_one() {
    let mut c = Client::start();
    let text = fixture("fixtures/sf200-duplicate-node-id.json");
    let d = c.open(&uri("dup.flow.json"), &text);
    let d = d.iter().find(|d| d["code"] == "SF200").unwrap();
    let related = d["relatedInformation"].as_array().unwrap();
    let first = related
        .iter()
        .find(|r| !r["message"].as_str().unwrap().starts_with("help:"))
        .unwrap();
    assert_eq!(first["location"]["uri"], uri("dup.flow.json"));
    assert_eq!(
        range_text(&text, &first["location"]["range"]).trim_matches('"'),
        range_text(&text, &d["range"]).trim_matches('"')
    );
    assert!(
        first["location"]["range"]["start"]["line"].as_u64() < d["range"]["start"]["line"].as_u64()
    );
    c.stop();
}

#[test]
fn changes_are_checked_again_and_other_files_are_left_alone() {
    let mut c = Client::start();
    let u = uri("support.flow.json");
    let text = fixture("fixtures/sf203-dangling-source.json");
    let d = c.open(&u, &text);
    assert_eq!(d[0]["code"], "SF203");
    // A save checks again at once.
    c.notify("textDocument/didSave", json!({"textDocument": {"uri": u}}));
    assert_eq!(c.diagnostics(&u, 1), d);
    // Fix the typo with an incremental edit of just the misspelt id.
    let range = d[0]["range"].clone();
    assert_eq!(range_text(&text, &range), "\"node_sumarise\"");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2},
               "contentChanges": [{"range": range, "text": "\"node_summarise\""}]}),
    );
    assert_eq!(c.diagnostics(&u, 2), Vec::<Value>::new());
    // Two quick changes: only the last one's diagnostics are published.
    for (v, t) in [(3, "{"), (4, "[]")] {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": v}, "contentChanges": [{"text": t}]}),
        );
    }
    let d = c.diagnostics(&u, 4);
    assert_eq!(d[0]["code"], "SF103", "{d:?}");
    assert!(
        !c.inbox.iter().any(|n| n.params["version"] == 3),
        "the first change was coalesced"
    );
    // Not a flow: nothing is published against it, and requests answer null.
    let other = "file:///work/package.json";
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": other, "languageId": "json", "version": 1, "text": "{"}}),
    );
    assert_eq!(c.diagnostics(other, 1), Vec::<Value>::new());
    assert_eq!(c.at("textDocument/hover", other, (0, 0)), Value::Null);
    c.stop();
}

/// Every import fixture's diagnostics are `scaiflow import`'s. Each is opened as a
/// manifest beside its flow (`x.yaml` next to `x.flow.json`), which is what makes a YAML
/// document a manifest whatever it holds (a top-level list, say).
#[test]
fn manifests_get_the_import_diagnostics() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/import");
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut c = Client::start();
    for name in &names {
        let path = fixtures.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let stem = name.trim_end_matches(".yaml");
        std::fs::write(dir.path().join(format!("{stem}.flow.json")), "{}").unwrap();
        let u = format!("file://{}/{name}", dir.path().display());
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "yaml", "version": 1, "text": text}}),
        );
        let lsp = c.diagnostics(&u, 1);
        let out = Command::new(env!("CARGO_BIN_EXE_scaiflow"))
            .args(["import", "--message-format", "json", "--out", "/dev/null"])
            .arg(&path)
            .output()
            .unwrap();
        let cli: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|r: &Value| r.get("code").is_some())
            .collect();
        assert!(!cli.is_empty(), "{name}");
        assert_same(&lsp, &cli, &text, name);
    }
    c.stop();
}

#[test]
fn hover_shows_kinds_nodes_keys_and_codes() {
    let mut c = Client::start();
    let text = fixture("examples/customer-support.flow.json");
    let u = uri("cs.flow.json");
    assert_eq!(c.open(&u, &text), Vec::<Value>::new());
    let md = |v: &Value| v["contents"]["value"].as_str().unwrap().to_string();
    let h = c.at("textDocument/hover", &u, find(&text, "\"llm_flexible\"", 0));
    assert!(
        md(&h).starts_with("**llm_flexible**\n\nConfig of an llm_flexible node"),
        "{}",
        md(&h)
    );
    assert!(md(&h).contains("- `llm_role`"), "{}", md(&h));
    assert_eq!(range_text(&text, &h["range"]), "\"llm_flexible\"");
    // An edge's node: that node's id, kind, label and config.
    let edge_ref = text.find("\"node\": \"node_classify\"").unwrap() + 10;
    let h = c.at("textDocument/hover", &u, pos_of(&text, edge_ref));
    let m = md(&h);
    assert!(
        m.starts_with("**node_classify** · `llm_flexible`\n\nClassify Intent"),
        "{m}"
    );
    assert!(m.contains("\"llm_role\": \"fast\""), "{m}");
    assert!(m.contains("result `{{classify}}`"), "{m}");
    // A template reference: the producing node.
    let h = c.at("textDocument/hover", &u, find(&text, "classify.intent", 0));
    assert!(
        md(&h).starts_with("`classify`: the result of"),
        "{}",
        md(&h)
    );
    assert_eq!(range_text(&text, &h["range"]), "classify");
    // A config key.
    let h = c.at("textDocument/hover", &u, find(&text, "\"goal\"", 0));
    assert!(
        md(&h).starts_with("`goal` (llm_flexible config)"),
        "{}",
        md(&h)
    );
    // Nothing to say about a label.
    assert_eq!(
        c.at("textDocument/hover", &u, find(&text, "Classify Intent", 0)),
        Value::Null
    );
    // On a diagnostic: its code's explanation.
    let bad = fixture("fixtures/sf204-missing-output-port.json");
    let bu = uri("bad.flow.json");
    let d = c.open(&bu, &bad);
    let start = &d[0]["range"]["start"];
    let h = c.at(
        "textDocument/hover",
        &bu,
        (
            start["line"].as_u64().unwrap() as u32,
            start["character"].as_u64().unwrap() as u32 + 1,
        ),
    );
    let m = md(&h);
    assert!(m.contains("has no output port `out_typo`"), "{m}");
    assert!(
        m.contains("**SF204** (error): the source node has no such output port"),
        "{m}"
    );
    c.stop();
}

#[test]
fn variables_roles_and_unknown_names() {
    let mut c = Client::start();
    let md = |v: &Value| v["contents"]["value"].as_str().unwrap().to_string();
    // A flow variable in a template (after a `\n` escape): hover and definition.
    let text = fixture("examples/nightly-report.flow.json");
    let u = uri("nightly.flow.json");
    c.open(&u, &text);
    let at = find(&text, "last_metrics.window_end", 0);
    assert!(md(&c.at("textDocument/hover", &u, at)).starts_with("`last_metrics`: a flow variable"));
    let d = c.at("textDocument/definition", &u, at);
    assert_eq!(range_text(&text, &d["range"]), "\"last_metrics\"");
    let decl = text.find("\"name\": \"last_metrics\"").unwrap();
    assert_eq!(d["range"]["start"]["line"], pos_of(&text, decl).0);
    // A name nothing produces: nothing to show, nowhere to go.
    let unknown = text.replacen("{{summarise}}", "{{nobody}}", 1);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": unknown}]}),
    );
    let at = find(&unknown, "nobody", 0);
    assert_eq!(c.at("textDocument/hover", &u, at), Value::Null);
    assert_eq!(c.at("textDocument/definition", &u, at), Value::Null);
    // Model roles: known, and not.
    let text = fixture("examples/customer-support.flow.json");
    let u = uri("cs.flow.json");
    c.open(&u, &text);
    let h = md(&c.at("textDocument/hover", &u, find(&text, "\"fast\"", 0)));
    assert_eq!(h, "model role `fast` (config.core_identity.models)");
    let other = text.replacen("\"llm_role\": \"fast\"", "\"llm_role\": \"fastest\"", 1);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": other}]}),
    );
    let h = md(&c.at("textDocument/hover", &u, find(&other, "\"fastest\"", 0)));
    assert!(
        h.starts_with(
            "`fastest` is not a role of config.core_identity.models; roles: `primary`, `fast`"
        ),
        "{h}"
    );
    assert_eq!(
        c.at(
            "textDocument/definition",
            &u,
            find(&other, "\"fastest\"", 0)
        ),
        Value::Null
    );
    c.stop();
}

#[test]
fn definitions_and_references() {
    let mut c = Client::start();
    let text = fixture("examples/customer-support.flow.json");
    let u = uri("cs.flow.json");
    c.open(&u, &text);
    let decl = text.find("\"id\": \"node_classify\"").unwrap() + 6;
    let decl_range = json!({
        "start": {"line": pos_of(&text, decl).0, "character": pos_of(&text, decl).1},
        "end": {"line": pos_of(&text, decl + 15).0, "character": pos_of(&text, decl + 15).1},
    });
    // From an edge's end, and from a template, to the node.
    let edge_ref = text.find("\"node\": \"node_classify\"").unwrap() + 10;
    let d = c.at("textDocument/definition", &u, pos_of(&text, edge_ref));
    assert_eq!(d["uri"], u.as_str());
    assert_eq!(d["range"], decl_range);
    let d = c.at(
        "textDocument/definition",
        &u,
        find(&text, "classify.confidence", 0),
    );
    assert_eq!(d["range"], decl_range);
    // `llm_role` leads to the model entry.
    let d = c.at("textDocument/definition", &u, find(&text, "\"fast\"", 0));
    assert!(
        pos_of(&text, text.find("\"role\": \"fast\"").unwrap()).0
            == d["range"]["start"]["line"].as_u64().unwrap() as u32
    );
    // References of the node: its id, every edge end naming it, every template using it.
    let refs = c.at("textDocument/references", &u, pos_of(&text, decl + 2));
    let refs = refs.as_array().unwrap();
    let texts: Vec<&str> = refs
        .iter()
        .map(|r| range_text(&text, &r["range"]))
        .collect();
    let edge_ends = text.matches("\"node\": \"node_classify\"").count();
    let templates = text.matches("{{classify.").count();
    assert_eq!(refs.len(), 1 + edge_ends + templates, "{texts:?}");
    assert_eq!(
        texts.iter().filter(|t| **t == "\"node_classify\"").count(),
        1 + edge_ends
    );
    assert_eq!(
        texts.iter().filter(|t| **t == "classify").count(),
        templates
    );
    c.stop();
}

#[test]
fn completion_offers_what_fits_the_place() {
    let mut c = Client::start();
    let text = fixture("examples/customer-support.flow.json");
    let u = uri("cs.flow.json");
    c.open(&u, &text);
    let labels = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let kinds = c.at(
        "textDocument/completion",
        &u,
        find(&text, "\"llm_flexible\"", 0),
    );
    assert_eq!(labels(&kinds).len(), 24);
    assert!(labels(&kinds).contains(&"logic_loop".to_string()));
    let kinds_of = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_u64().unwrap())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(kinds_of(&kinds), [20].into(), "enum members");
    let edit = &kinds[0]["textEdit"];
    assert_eq!(
        range_text(&text, &edit["range"]),
        "llm_flexible",
        "replaces the string's inside"
    );
    let at_node = text.find("\"node\": \"node_classify\"").unwrap() + 10;
    let ids = c.at("textDocument/completion", &u, pos_of(&text, at_node));
    assert!(labels(&ids).contains(&"node_entry".to_string()), "{ids}");
    let entry = ids
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "node_classify")
        .unwrap();
    assert_eq!(entry["detail"], "Classify Intent (llm_flexible)");
    assert_eq!(kinds_of(&ids), [18].into(), "references");
    // Ports of the edge's source node.
    let port = text.find("\"port\": \"out_request\"").unwrap() + 10;
    assert_eq!(
        labels(&c.at("textDocument/completion", &u, pos_of(&text, port))),
        vec!["out_request"]
    );
    // Roles of the model registry.
    let role_items = c.at("textDocument/completion", &u, find(&text, "\"fast\"", 0));
    let details: Vec<&Value> = role_items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["detail"])
        .collect();
    assert_eq!(details[0], "the primary model");
    assert!(details[1..].iter().all(|d| d.is_null()), "{details:?}");
    let roles = labels(&role_items);
    assert!(
        roles.contains(&"fast".to_string()) && roles.len() >= 2,
        "{roles:?}"
    );
    // Config keys of the node's kind that are not written yet, while typing a new one.
    let typing = text.replacen(
        "\"llm_role\": \"fast\",",
        "\"llm_role\": \"fast\", \"ou\": 1,",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": typing}]}),
    );
    let keys = labels(&c.at("textDocument/completion", &u, find(&typing, "\"ou\"", 0)));
    // The llm_flexible keys node_classify does not have yet.
    let flow: Value = serde_json::from_str(&text).unwrap();
    let node = flow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "node_classify")
        .unwrap();
    let written = node["config"].as_object().unwrap();
    let mut want: Vec<String> =
        scaiflow::schema::config_keys(scaiflow::model::NodeKind::LlmFlexible)
            .iter()
            .copied()
            .filter(|k| !written.contains_key(*k))
            .map(String::from)
            .collect();
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want);
    assert!(got.contains(&"on_failure".to_string()));
    // Inside `{{`: node results, the input, variables.
    let t = typing.replacen("{{classify.intent}}", "{{cla}}", 1);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 3}, "contentChanges": [{"text": t}]}),
    );
    let at = t.find("{{cla}}").unwrap() + 5;
    let names = c.at("textDocument/completion", &u, pos_of(&t, at));
    assert!(
        labels(&names).contains(&"classify".to_string())
            && labels(&names).contains(&"input".to_string())
    );
    assert_eq!(range_text(&t, &names[0]["textEdit"]["range"]), "cla");
    // Inside a string, after spaces, with underscores: the name typed so far is replaced.
    let t = typing.replacen("{{classify.intent}}", "Intent: {{  kb_se}}", 1);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 4}, "contentChanges": [{"text": t}]}),
    );
    let at = t.find("{{  kb_se}}").unwrap() + 9;
    let names = c.at("textDocument/completion", &u, pos_of(&t, at));
    assert!(labels(&names).contains(&"kb_search".to_string()), "{names}");
    assert_eq!(range_text(&t, &names[0]["textEdit"]["range"]), "kb_se");
    // In the middle of a name: all of it is replaced.
    let at = find(&text, "{{classify.confidence}}", 0).1 + 4;
    let line = find(&text, "{{classify.confidence}}", 0).0;
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 5}, "contentChanges": [{"text": text}]}),
    );
    let names = c.at("textDocument/completion", &u, (line, at));
    assert_eq!(
        range_text(&text, &names[0]["textEdit"]["range"]),
        "classify"
    );
    c.stop();
}

/// Applies a workspace edit's changes of `uri` to `text`.
fn apply(text: &str, edit: &Value, uri: &str) -> String {
    let mut edits: Vec<&Value> = edit["changes"][uri].as_array().unwrap().iter().collect();
    edits.sort_by_key(|e| {
        std::cmp::Reverse((
            e["range"]["start"]["line"].as_u64(),
            e["range"]["start"]["character"].as_u64(),
        ))
    });
    let mut out = text.to_string();
    for e in edits {
        let r = range_text(&out, &e["range"]);
        let start = r.as_ptr() as usize - out.as_ptr() as usize;
        let end = start + r.len();
        out.replace_range(start..end, e["newText"].as_str().unwrap());
    }
    out
}

#[test]
fn quick_fixes_repair_the_flow() {
    let mut c = Client::start();
    for (fixture_name, code) in [
        ("fixtures/sf203-dangling-source.json", "SF203"),
        ("fixtures/sf113-unknown-node-kind.json", "SF113"),
        ("fixtures/sf118-misspelt-config-key.json", "SF118"),
        ("fixtures/sf116-misspelt-condition.json", "SF116"),
    ] {
        let text = fixture(fixture_name);
        let u = uri(&fixture_name
            .replace("fixtures/", "")
            .replace(".json", ".flow.json"));
        let diags = c.open(&u, &text);
        let d = diags.iter().find(|d| d["code"] == code).unwrap().clone();
        let actions = c.code_actions(&u, &d, Some("quickfix"));
        assert_eq!(actions.len(), 1, "{fixture_name}: {actions:?}");
        assert_eq!(actions[0]["isPreferred"], true);
        assert_eq!(actions[0]["kind"], "quickfix");
        assert_eq!(
            actions[0]["diagnostics"],
            json!([d]),
            "the fix names what it fixes"
        );
        let fixed = apply(&text, &actions[0]["edit"], &u);
        let outcome = scaiflow::validate_source(&scaiflow::load::SourceFile::new("x", fixed));
        assert!(
            !outcome.diagnostics.iter().any(|x| x.code.as_str() == code),
            "{fixture_name}: {:?}",
            outcome.diagnostics
        );
    }
    // A port with no close name: one fix per port of the node.
    let text = fixture("fixtures/sf204-missing-output-port.json");
    let u = uri("sf204.flow.json");
    let diags = c.open(&u, &text);
    let d = diags.iter().find(|d| d["code"] == "SF204").unwrap().clone();
    let actions = c.code_actions(&u, &d, Some("quickfix"));
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Use port \"out\""]);
    let fixed = apply(&text, &actions[0]["edit"], &u);
    let outcome = scaiflow::validate_source(&scaiflow::load::SourceFile::new("x", fixed));
    assert!(
        !outcome
            .diagnostics
            .iter()
            .any(|x| x.code.as_str() == "SF204"),
        "{:?}",
        outcome.diagnostics
    );
    // A conditional edge without a condition: add one, or make the edge sequential.
    let text = fixture("fixtures/sf117-conditional-without-condition.json");
    let u = uri("sf117.flow.json");
    let diags = c.open(&u, &text);
    let d = diags.iter().find(|d| d["code"] == "SF117").unwrap().clone();
    let actions = c.code_actions(&u, &d, None);
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    for a in &actions[..2] {
        let fixed = apply(&text, &a["edit"], &u);
        let outcome =
            scaiflow::validate_source(&scaiflow::load::SourceFile::new("x", fixed.clone()));
        assert!(
            !outcome
                .diagnostics
                .iter()
                .any(|x| x.code.as_str() == "SF117"),
            "{}: {:?}",
            a["title"],
            outcome.diagnostics
        );
    }
    assert_eq!(actions[2]["command"]["command"], "scaiflow.compile");
    assert_eq!(actions[2]["command"]["arguments"], json!([u]));
    assert_eq!(actions[2]["kind"], "source");
    assert_eq!(actions[2]["title"], "Compile to YAML (scaiflow compile)");
    // A stale diagnostic (the text changed under it) offers no fix.
    let mut stale = diags.iter().find(|d| d["code"] == "SF117").unwrap().clone();
    stale["data"]["text"] = json!("\"something else\"");
    let actions = c.code_actions(&u, &stale, Some("quickfix"));
    assert_eq!(actions, Vec::<Value>::new());
    c.stop();
}

#[test]
fn the_compile_command_writes_what_the_cli_writes() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("cs.flow.json");
    let text = fixture("examples/customer-support.flow.json");
    std::fs::write(&flow, &text).unwrap();
    let mut c = Client::start();
    let u = format!("file://{}", flow.display());
    c.open(&u, &text);
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "scaiflow.compile", "arguments": [u]}),
    );
    assert_eq!(r["ok"], true, "{r}");
    let shown = c.wait_for("window/showMessage", |_| true);
    assert_eq!(shown["type"], 3);
    let written = std::fs::read(dir.path().join("cs.yaml")).unwrap();
    let cli = Command::new(env!("CARGO_BIN_EXE_scaiflow"))
        .args(["compile", "--out", "-"])
        .arg(&flow)
        .output()
        .unwrap();
    assert_eq!(written, cli.stdout);
    // A flow with errors is not compiled; the message says why.
    let bad = dir.path().join("bad.flow.json");
    let bad_text = fixture("fixtures/sf203-dangling-source.json");
    std::fs::write(&bad, &bad_text).unwrap();
    let bu = format!("file://{}", bad.display());
    c.open(&bu, &bad_text);
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "scaiflow.compile", "arguments": [bu]}),
    );
    assert_eq!(r["ok"], false);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .ends_with("was not compiled, flow has 1 error: [SF203] edge 'edge_2': source node 'node_sumarise' does not exist"),
        "{r}"
    );
    assert!(!dir.path().join("bad.yaml").exists());
    c.stop();
}

#[test]
fn the_outline_groups_nodes_by_kind() {
    let mut c = Client::start();
    let text = fixture("examples/customer-support.flow.json");
    let u = uri("cs.flow.json");
    c.open(&u, &text);
    let s = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let s = s.as_array().unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0]["name"], "nodes");
    assert_eq!(s[1]["name"], "edges");
    let groups = s[0]["children"].as_array().unwrap();
    let total: usize = groups
        .iter()
        .map(|g| g["children"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, text.matches("\"position\"").count());
    let llm = groups.iter().find(|g| g["name"] == "llm_flexible").unwrap();
    assert!(
        llm["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["name"] == "node_classify" && n["detail"] == "Classify Intent")
    );
    let edges = s[1]["children"].as_array().unwrap();
    assert!(
        edges[0]["detail"].as_str().unwrap().contains(" → "),
        "{}",
        edges[0]
    );
    c.stop();
}

fn send(w: &mut impl std::io::Write, m: Message) {
    m.write(w).unwrap();
}

/// The real binary over stdio, as an editor starts it.
#[test]
fn the_binary_speaks_lsp_over_stdio() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scaiflow"))
        .args(["lsp", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    send(
        &mut stdin,
        Request::new(1.into(), "initialize".into(), json!({"capabilities": {}})).into(),
    );
    let Some(Message::Response(r)) = Message::read(&mut stdout).unwrap() else {
        panic!()
    };
    assert_eq!(r.response_result.unwrap()["serverInfo"]["name"], "scaiflow");
    send(
        &mut stdin,
        Notification::new("initialized".into(), json!({})).into(),
    );
    let text = fixture("fixtures/sf203-dangling-source.json");
    send(&mut stdin, Notification::new(
        "textDocument/didOpen".into(),
        json!({"textDocument": {"uri": uri("x.flow.json"), "languageId": "json", "version": 1, "text": text}}),
    )
    .into());
    let Some(Message::Notification(n)) = Message::read(&mut stdout).unwrap() else {
        panic!()
    };
    assert_eq!(n.method, "textDocument/publishDiagnostics");
    assert_eq!(n.params["diagnostics"][0]["code"], "SF203");
    // A frame that is not JSON-RPC is answered in the log, and the session goes on.
    stdin.write_all(b"Content-Length: 5\r\n\r\n{nope").unwrap();
    let Some(Message::Notification(n)) = Message::read(&mut stdout).unwrap() else {
        panic!()
    };
    assert_eq!(n.method, "window/logMessage");
    send(
        &mut stdin,
        Request::new(2.into(), "shutdown".into(), Value::Null).into(),
    );
    let Some(Message::Response(r)) = Message::read(&mut stdout).unwrap() else {
        panic!()
    };
    assert_eq!(r.id, 2.into());
    send(
        &mut stdin,
        Notification::new("exit".into(), Value::Null).into(),
    );
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// The exit statuses: 1 for `exit` without `shutdown`; 2, with a line on stderr and no
/// panic, for a frame the server will not read.
#[test]
fn the_binary_ends_with_the_right_status() {
    let run = |input: &[u8]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scaiflow"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let exit = r#"{"jsonrpc":"2.0","method":"exit"}"#;
    let out = run(format!("Content-Length: {}\r\n\r\n{exit}", exit.len()).as_bytes());
    assert_eq!(out.status.code(), Some(1));
    for absurd in ["1000000000000", "18446744073709551615"] {
        let out = run(format!("Content-Length: {absurd}\r\n\r\n{{}}").as_bytes());
        assert_eq!(out.status.code(), Some(2), "{absurd}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("larger than the"), "{err}");
        assert!(err.contains("the connection ended before `exit`"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.stdout.is_empty());
    }
}
