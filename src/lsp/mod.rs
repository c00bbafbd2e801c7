//! `scaiflow lsp`: a language server for flow files, over stdio.
//!
//! It runs the library the CLI runs, so the editor shows exactly `scaiflow validate`'s
//! diagnostics (and `scaiflow import`'s for manifests), and adds what an editor can do with
//! a flow: hover, go to definition, references, completion, quick fixes, an outline.
//! docs/lsp.md has the design and the editor set-up.
//!
//! - `mod.rs`: the connection, the main loop, the documents;
//! - `worker`: the checks, on a thread of their own, debounced and coalesced;
//! - `analysis`: a document's diagnostics in LSP form;
//! - `text`: positions and incremental edits; `syntax`: a forgiving JSON tree with spans;
//!   `index`: the nodes and edges of a flow document;
//! - one file per feature: `hover`, `navigate` (definition, references), `complete`,
//!   `actions` (quick fixes, the compile command), `symbols`.

mod actions;
mod analysis;
mod complete;
mod hover;
mod index;
mod navigate;
mod place;
mod symbols;
mod syntax;
mod text;
mod transport;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionProviderCapability, CompletionOptions, ExecuteCommandOptions,
    HoverProviderCapability, OneOf, PositionEncodingKind, PublishDiagnosticsParams,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde_json::Value;

pub use analysis::{DocKind, FLOW_SCHEMA_URI, explain_url};
use index::FlowIndex;
use text::{Encoding, LineIndex};

/// How long the server waits after the last change before checking a document again (a
/// save or an open checks at once).
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// The command that compiles a flow to its YAML manifest (`compile`'s default output path).
pub const COMPILE_COMMAND: &str = "scaiflow.compile";

/// Settings of a server run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--max-input-size`: documents beyond it get SF002, as files do.
    pub limits: crate::limits::Limits,
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `shutdown`, then `exit`: the process exits with 0.
    Clean,
    /// `exit` without `shutdown`: the protocol asks for exit code 1.
    ExitWithoutShutdown,
}

/// Serves the client on stdin / stdout until it sends `exit`.
pub fn run_stdio(options: Options) -> Result<Ended, String> {
    // Documents up to the manifest limit, JSON-escaped (a control character is six bytes
    // escaped; four times is ample for text), with room for the envelope.
    let max_message = options.limits.max_manifest().saturating_mul(4) + (1 << 20);
    let (connection, threads) = transport::stdio(max_message);
    let served = serve(&connection, options);
    drop(connection);
    threads.join();
    served
}

/// One open document.
pub struct Document {
    pub uri: Uri,
    pub version: i32,
    pub kind: DocKind,
    pub language_id: String,
    pub text: Arc<String>,
    encoding: Encoding,
    lines: OnceLock<LineIndex>,
    index: OnceLock<FlowIndex>,
    /// Whether a YAML document sits beside the flow it was compiled from (asked once).
    beside: OnceLock<bool>,
    /// The diagnostics last published for it, with the version they are of.
    pub published: Option<(i32, Vec<crate::diagnostics::Diagnostic>)>,
}

impl Document {
    fn new(uri: Uri, version: i32, language_id: String, text: String, encoding: Encoding) -> Self {
        let beside = OnceLock::new();
        let kind = DocKind::classify(&uri, &language_id, &text, || {
            *beside.get_or_init(|| analysis::beside_a_flow(&uri))
        });
        Document {
            uri,
            version,
            kind,
            language_id,
            text: Arc::new(text),
            encoding,
            lines: OnceLock::new(),
            index: OnceLock::new(),
            beside,
            published: None,
        }
    }

    pub fn lines(&self) -> &LineIndex {
        self.lines
            .get_or_init(|| LineIndex::new(&self.text, self.encoding))
    }

    /// The flow index of the current text, built on first use after each change.
    pub fn index(&self) -> &FlowIndex {
        self.index.get_or_init(|| FlowIndex::build(&self.text))
    }

    pub fn offset(&self, pos: lsp_types::Position) -> usize {
        self.lines().offset(&self.text, pos)
    }

    pub fn range(&self, span: &std::ops::Range<usize>) -> lsp_types::Range {
        self.lines().range(&self.text, span)
    }

    /// After an edit: `lines` is the index of the new text.
    fn changed(&mut self, lines: LineIndex) {
        self.lines = OnceLock::from(lines);
        self.index = OnceLock::new();
        let (uri, beside) = (&self.uri, &self.beside);
        self.kind = DocKind::classify(uri, &self.language_id, &self.text, || {
            *beside.get_or_init(|| analysis::beside_a_flow(uri))
        });
    }
}

struct Server<'c> {
    connection: &'c Connection,
    options: Options,
    encoding: Encoding,
    docs: HashMap<Uri, Document>,
    /// Documents changed since their last check, with when to check them.
    due: HashMap<Uri, Instant>,
    worker: worker::Worker,
    shutdown: bool,
}

/// Runs the protocol on a connection: initialize, then the main loop until `exit`.
///
/// Before `initialize`, requests are answered with "server not initialized" and
/// notifications are dropped (`exit` ends the session). The initialize params are read
/// leniently: only the client's position encodings matter to this server, and odd values
/// elsewhere must not leave the client without an answer.
pub fn serve(connection: &Connection, options: Options) -> Result<Ended, String> {
    let gone = || "lsp: the connection ended before `exit`".to_string();
    let (id, params) = loop {
        match connection.receiver.recv().map_err(|_| gone())? {
            Message::Request(r) if r.method == req::Initialize::METHOD => break (r.id, r.params),
            Message::Request(r) => {
                let _ = connection.sender.send(
                    Response::new_err(
                        r.id,
                        ErrorCode::ServerNotInitialized as i32,
                        format!("{}: the server is not initialized yet", r.method),
                    )
                    .into(),
                );
            }
            Message::Notification(n) if n.method == note::Exit::METHOD => {
                return Ok(Ended::ExitWithoutShutdown);
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    };
    let offered: Option<Vec<PositionEncodingKind>> = params
        .pointer("/capabilities/general/positionEncodings")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let encoding = Encoding::negotiate(offered.as_deref());
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": ServerInfo {
            name: "scaiflow".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        },
    });
    connection
        .sender
        .send(Response::new_ok(id, result).into())
        .map_err(|_| gone())?;
    let (worker, done) = worker::Worker::start(options.limits)
        .map_err(|e| format!("lsp: cannot start the checking thread: {e}"))?;
    let mut server = Server {
        connection,
        options,
        encoding,
        docs: HashMap::new(),
        due: HashMap::new(),
        worker,
        shutdown: false,
    };
    server.run(&done)
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".to_string(), "{".to_string()]),
            ..Default::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(
            lsp_types::CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::SOURCE]),
                ..Default::default()
            },
        )),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![COMPILE_COMMAND.to_string()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl Server<'_> {
    fn run(&mut self, done: &Receiver<worker::Checked>) -> Result<Ended, String> {
        loop {
            let wait = self
                .due
                .values()
                .min()
                .map(|t| t.saturating_duration_since(Instant::now()));
            let never = crossbeam_channel::never();
            let timer = match wait {
                Some(w) => crossbeam_channel::after(w),
                None => never,
            };
            select! {
                recv(self.connection.receiver) -> msg => match msg {
                    Ok(Message::Notification(n)) if n.method == note::Exit::METHOD => {
                        return Ok(if self.shutdown {
                            Ended::Clean
                        } else {
                            Ended::ExitWithoutShutdown
                        });
                    }
                    Ok(msg) => self.handle(msg),
                    // The input ended (or the transport refused a frame) without `exit`.
                    Err(_) => return Err("lsp: the connection ended before `exit`".to_string()),
                },
                recv(done) -> checked => {
                    if let Ok(checked) = checked {
                        self.publish(checked);
                    }
                }
                recv(timer) -> _ => self.check_due(),
            }
        }
    }

    fn handle(&mut self, msg: Message) {
        match msg {
            Message::Request(r) => self.request(r),
            Message::Notification(n) => self.notification(n),
            Message::Response(_) => {}
        }
    }

    fn send(&self, msg: impl Into<Message>) {
        // A closed connection ends the loop at the next receive.
        let _ = self.connection.sender.send(msg.into());
    }

    /// A notification's params; when they cannot be read (a URI that is not RFC 3986, a
    /// missing field), the client's log says so and the notification is dropped.
    fn params<P: serde::de::DeserializeOwned>(&self, n: Notification) -> Option<P> {
        match serde_json::from_value(n.params) {
            Ok(p) => Some(p),
            Err(e) => {
                self.log(&format!("scaiflow lsp: ignored {}: {e}", n.method));
                None
            }
        }
    }

    /// A line in the client's log (`window/logMessage`, as a warning).
    fn log(&self, message: &str) {
        self.send(Notification::new(
            note::LogMessage::METHOD.to_string(),
            lsp_types::LogMessageParams {
                typ: lsp_types::MessageType::WARNING,
                message: message.to_string(),
            },
        ));
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Some(p) = self.params::<lsp_types::DidOpenTextDocumentParams>(n) else {
                    return;
                };
                let d = p.text_document;
                let doc = Document::new(
                    d.uri.clone(),
                    d.version,
                    d.language_id,
                    d.text,
                    self.encoding,
                );
                self.docs.insert(d.uri.clone(), doc);
                self.check_now(&d.uri);
            }
            note::DidChangeTextDocument::METHOD => {
                let Some(p) = self.params::<lsp_types::DidChangeTextDocumentParams>(n) else {
                    return;
                };
                let uri = p.text_document.uri;
                let Some(doc) = self.docs.get_mut(&uri) else {
                    return;
                };
                let mut lines = doc
                    .lines
                    .take()
                    .unwrap_or_else(|| LineIndex::new(&doc.text, self.encoding));
                let text = Arc::make_mut(&mut doc.text);
                for change in p.content_changes {
                    text::apply_change(text, &mut lines, change.range, &change.text);
                }
                doc.version = p.text_document.version;
                doc.changed(lines);
                self.due.insert(uri, Instant::now() + DEBOUNCE);
            }
            note::DidSaveTextDocument::METHOD => {
                if let Some(p) = self.params::<lsp_types::DidSaveTextDocumentParams>(n) {
                    self.check_now(&p.text_document.uri);
                }
            }
            note::DidCloseTextDocument::METHOD => {
                if let Some(p) = self.params::<lsp_types::DidCloseTextDocumentParams>(n) {
                    let uri = p.text_document.uri;
                    self.docs.remove(&uri);
                    self.due.remove(&uri);
                    self.send_diagnostics(uri, Vec::new(), None);
                }
            }
            _ => {}
        }
    }

    fn check_now(&mut self, uri: &Uri) {
        self.due.remove(uri);
        if let Some(doc) = self.docs.get(uri) {
            self.worker.check(doc);
        }
    }

    fn check_due(&mut self) {
        let now = Instant::now();
        let mut due: Vec<(Instant, Uri)> = self
            .due
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(u, t)| (*t, u.clone()))
            .collect();
        // In the order of their changes (then by URI): the same edits publish in the same
        // order on every run.
        due.sort();
        for (_, uri) in due {
            self.check_now(&uri);
        }
    }

    /// Publishes a check's result, unless the document changed since (a newer check is
    /// then on its way).
    fn publish(&mut self, checked: worker::Checked) {
        let Some(doc) = self.docs.get_mut(&checked.uri) else {
            return;
        };
        if doc.version != checked.version || !Arc::ptr_eq(&doc.text, &checked.text) {
            return;
        }
        let lsp = analysis::to_lsp(&doc.uri, &doc.text, doc.lines(), &checked.diagnostics);
        doc.published = Some((checked.version, checked.diagnostics));
        self.send_diagnostics(checked.uri, lsp, Some(checked.version));
    }

    fn send_diagnostics(
        &self,
        uri: Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Notification::new(
            note::PublishDiagnostics::METHOD.to_string(),
            params,
        ));
    }

    fn request(&mut self, r: Request) {
        if self.shutdown {
            self.send(Response::new_err(
                r.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            ));
            return;
        }
        let id = r.id.clone();
        let result = match r.method.as_str() {
            req::Initialize::METHOD => Err((
                ErrorCode::InvalidRequest,
                "initialize: the server is initialized already".to_string(),
            )),
            req::Shutdown::METHOD => {
                self.shutdown = true;
                Ok(Value::Null)
            }
            req::HoverRequest::METHOD => self.on(r, |doc, p: lsp_types::HoverParams| {
                let pos = p.text_document_position_params.position;
                hover::hover(doc, pos)
            }),
            req::GotoDefinition::METHOD => self.on(r, |doc, p: lsp_types::GotoDefinitionParams| {
                navigate::definition(doc, p.text_document_position_params.position)
                    .map(lsp_types::GotoDefinitionResponse::Scalar)
            }),
            req::References::METHOD => self.on(r, |doc, p: lsp_types::ReferenceParams| {
                navigate::references(
                    doc,
                    p.text_document_position.position,
                    p.context.include_declaration,
                )
            }),
            req::Completion::METHOD => self.on(r, |doc, p: lsp_types::CompletionParams| {
                complete::complete(doc, p.text_document_position.position)
                    .map(lsp_types::CompletionResponse::Array)
            }),
            req::CodeActionRequest::METHOD => self.on(r, |doc, p: lsp_types::CodeActionParams| {
                Some(actions::code_actions(doc, &p))
            }),
            req::DocumentSymbolRequest::METHOD => {
                self.on(r, |doc, _: lsp_types::DocumentSymbolParams| {
                    symbols::outline(doc).map(lsp_types::DocumentSymbolResponse::Nested)
                })
            }
            req::ExecuteCommand::METHOD => self.execute(r),
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("unhandled method {}", r.method),
            )),
        };
        self.send(match result {
            Ok(v) => Response::new_ok(id, v),
            Err((code, msg)) => Response::new_err(id, code as i32, msg),
        });
    }

    /// Runs a document request: its params, its document (a request on a document that is
    /// not open, or not a flow, gets `null`), the answer.
    fn on<P, R>(&self, r: Request, f: impl FnOnce(&Document, P) -> Option<R>) -> Answer
    where
        P: serde::de::DeserializeOwned + HasDocument,
        R: serde::Serialize,
    {
        let params: P = serde_json::from_value(r.params)
            .map_err(|e| (ErrorCode::InvalidParams, format!("{}: {e}", r.method)))?;
        let answer = self
            .docs
            .get(params.document())
            .filter(|d| d.kind == DocKind::Flow)
            .and_then(|doc| f(doc, params));
        Ok(serde_json::to_value(answer).unwrap_or(Value::Null))
    }

    fn execute(&self, r: Request) -> Answer {
        let p: lsp_types::ExecuteCommandParams = serde_json::from_value(r.params)
            .map_err(|e| (ErrorCode::InvalidParams, format!("{}: {e}", r.method)))?;
        if p.command != COMPILE_COMMAND {
            return Err((
                ErrorCode::InvalidParams,
                format!("unknown command {}", p.command),
            ));
        }
        let uri = p
            .arguments
            .first()
            .and_then(|a| serde_json::from_value::<Uri>(a.clone()).ok())
            .ok_or((
                ErrorCode::InvalidParams,
                format!("{COMPILE_COMMAND} takes the flow's URI"),
            ))?;
        let doc = self.docs.get(&uri).ok_or((
            ErrorCode::InvalidParams,
            format!("{} is not open", uri.as_str()),
        ))?;
        let (kind, message) = actions::compile(doc, self.options);
        self.send(Notification::new(
            note::ShowMessage::METHOD.to_string(),
            lsp_types::ShowMessageParams {
                typ: kind,
                message: message.clone(),
            },
        ));
        Ok(serde_json::json!({ "message": message, "ok": kind != lsp_types::MessageType::ERROR }))
    }
}

type Answer = Result<Value, (ErrorCode, String)>;

/// The path of a `file:` URI (`file:///p`, `file://localhost/p`, `file:/p`),
/// percent-decoded; `None` for other schemes, other hosts, and paths that are not UTF-8.
pub fn uri_to_path(uri: &Uri) -> Option<std::path::PathBuf> {
    if !uri.scheme()?.as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    if let Some(authority) = uri.authority()
        && !matches!(authority.as_str(), "" | "localhost")
    {
        return None;
    }
    let path = uri.path().as_estr().decode().into_string().ok()?;
    path.starts_with('/')
        .then(|| std::path::PathBuf::from(path.into_owned()))
}

/// The name diagnostics give a document: its path, or its URI.
pub fn display_name(uri: &Uri) -> String {
    uri_to_path(uri).map_or_else(|| uri.as_str().to_string(), |p| p.display().to_string())
}

/// Request params that name a document.
trait HasDocument {
    fn document(&self) -> &Uri;
}

macro_rules! has_document {
    ($($t:ty => |$p:ident| $e:expr;)*) => {
        $(impl HasDocument for $t {
            fn document(&self) -> &Uri {
                let $p = self;
                &$e.uri
            }
        })*
    };
}

has_document! {
    lsp_types::HoverParams => |p| p.text_document_position_params.text_document;
    lsp_types::GotoDefinitionParams => |p| p.text_document_position_params.text_document;
    lsp_types::ReferenceParams => |p| p.text_document_position.text_document;
    lsp_types::CompletionParams => |p| p.text_document_position.text_document;
    lsp_types::CodeActionParams => |p| p.text_document;
    lsp_types::DocumentSymbolParams => |p| p.text_document;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_to_paths() {
        let path = |u: &str| uri_to_path(&u.parse().expect("a test URI"));
        let p = |s: &str| Some(std::path::PathBuf::from(s));
        assert_eq!(path("file:///a%20b/x.flow.json"), p("/a b/x.flow.json"));
        assert_eq!(path("file://localhost/x%C3%A9.json"), p("/xé.json"));
        assert_eq!(path("file:/x.json"), p("/x.json"));
        assert_eq!(path("FILE:///x.json?q=1#f"), p("/x.json"));
        assert_eq!(path("file://server/x.json"), None, "another host");
        assert_eq!(path("untitled:Untitled-1"), None);
        assert_eq!(path("file:///x%FF.json"), None, "not UTF-8");
        assert_eq!(path("file:x.json"), None, "not absolute");
    }
}
