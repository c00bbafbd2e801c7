//! `cargo bench --bench lsp [-- NODES]`: how responsive `scaiflow lsp` stays on a large
//! flow (10,000 nodes by default, shaped as `../shared/bench/gen_flow.py` shapes them),
//! pretty-printed and minified (one line of 4 MB: every position is on it).
//!
//! The server runs in this process over a memory connection, as a client drives it:
//! open → diagnostics; hover, definition, completion, outline on the opened text; an edit
//! followed at once by a hover (answered while the check of the edit runs) and then by the
//! edit's diagnostics (the 200 ms debounce included). One run; nothing is asserted
//! (docs/lsp.md records the figures).

mod common;

use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

struct Client {
    conn: Connection,
    next: i32,
}

impl Client {
    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.to_string(), params);
        self.conn.sender.send(n.into()).unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let r = Request::new(id.clone(), method.to_string(), params);
        self.conn.sender.send(r.into()).unwrap();
        loop {
            if let Message::Response(r) = self.conn.receiver.recv().unwrap()
                && r.id == id
            {
                return r.response_result.unwrap();
            }
        }
    }

    fn diagnostics(&self, version: i64) -> usize {
        loop {
            if let Message::Notification(n) = self.conn.receiver.recv().unwrap()
                && n.method == "textDocument/publishDiagnostics"
                && n.params["version"] == version
            {
                return n.params["diagnostics"].as_array().unwrap().len();
            }
        }
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The 0-based line and UTF-16 column of the end of the last occurrence of `needle` (its
/// `": "` written `":"` in a minified text).
fn last(text: &str, needle: &str) -> Value {
    let found = text.rfind(needle).map(|i| i + needle.len()).or_else(|| {
        let tight = needle.replace("\": ", "\":");
        text.rfind(&tight).map(|i| i + tight.len())
    });
    let at = found.expect(needle);
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": text[start..at].encode_utf16().count()})
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let value: Value = serde_json::from_str(&common::flow(n)).unwrap();
    // Pretty-printed, as a flow in a repository is; then minified.
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let minified = serde_json::to_string(&value).unwrap();
    for (shape, text) in [("pretty-printed", pretty), ("minified", minified)] {
        session(n, shape, &text);
    }
}

fn session(n: usize, shape: &str, text: &str) {
    let (server_end, conn) = Connection::memory();
    let server = std::thread::spawn(move || {
        scaiflow::lsp::serve(&server_end, scaiflow::lsp::Options::default())
    });
    let mut c = Client { conn, next: 0 };
    c.request("initialize", json!({"capabilities": {}}));
    c.notify("initialized", json!({}));
    let uri = "file:///bench/large.flow.json";
    println!(
        "scaiflow lsp on a {shape} flow of {n} nodes ({:.1} MB)",
        text.len() as f64 / 1e6
    );
    let (t, count) = timed(|| {
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
        );
        c.diagnostics(1)
    });
    println!("  open → diagnostics ({count})        {}", ms(t));
    let doc = json!({"uri": uri});
    let node_ref = last(text, "\"node\": \"n");
    let at = |pos: &Value| json!({"textDocument": doc, "position": pos});
    let (t, _) = timed(|| c.request("textDocument/hover", at(&node_ref)));
    println!("  first hover (builds the index)     {}", ms(t));
    let (t, _) = timed(|| c.request("textDocument/hover", at(&node_ref)));
    println!("  hover                              {}", ms(t));
    let (t, _) = timed(|| c.request("textDocument/definition", at(&node_ref)));
    println!("  definition                         {}", ms(t));
    let kind = last(text, "\"llm_flex");
    let (t, items) = timed(|| c.request("textDocument/completion", at(&kind)));
    println!(
        "  completion of a kind ({})          {}",
        items.as_array().unwrap().len(),
        ms(t)
    );
    let (t, items) = timed(|| c.request("textDocument/completion", at(&node_ref)));
    println!(
        "  completion of a node id ({})     {}",
        items.as_array().unwrap().len(),
        ms(t)
    );
    let (t, _) = timed(|| c.request("textDocument/documentSymbol", json!({"textDocument": doc})));
    println!("  outline                            {}", ms(t));
    // One character typed into the last label.
    let label = last(text, "\"label\": \"");
    let start = Instant::now();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": {"start": label, "end": label}, "text": "x"}]}),
    );
    let (t, _) = timed(|| c.request("textDocument/hover", at(&node_ref)));
    println!("  hover right after an edit          {}", ms(t));
    let (t, _) = timed(|| c.request("textDocument/hover", at(&node_ref)));
    println!("  hover while the edit is checked    {}", ms(t));
    let count = c.diagnostics(2);
    println!(
        "  edit → diagnostics ({count}, 200 ms debounce included) {}",
        ms(start.elapsed())
    );
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    server.join().unwrap().unwrap();
}
