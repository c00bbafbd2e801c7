//! The checks run on a thread of their own, so that the editor's requests (hover,
//! completion) are answered while a large flow is being checked. Jobs for a document that
//! pile up while a check runs are coalesced: only its newest text is checked.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_types::Uri;

use super::{DocKind, Document};
use crate::diagnostics::Diagnostic;

struct Job {
    uri: Uri,
    version: i32,
    kind: DocKind,
    text: Arc<String>,
}

/// The result of one check.
pub struct Checked {
    pub uri: Uri,
    pub version: i32,
    /// The text that was checked (the document may have changed since).
    pub text: Arc<String>,
    pub diagnostics: Vec<Diagnostic>,
}

pub struct Worker {
    jobs: Sender<Job>,
}

impl Worker {
    /// Starts the thread; the receiver gets every finished check.
    pub fn start(limits: crate::limits::Limits) -> std::io::Result<(Worker, Receiver<Checked>)> {
        let (jobs, inbox) = unbounded::<Job>();
        let (done, results) = unbounded();
        std::thread::Builder::new()
            .name("scaiflow-check".to_string())
            // The library's checks recurse over the flow's structure; the CLI's main thread
            // has the same large stack for them.
            .stack_size(crate::verify::LARGE_STACK)
            .spawn(move || {
                while let Ok(first) = inbox.recv() {
                    let mut batch = vec![first];
                    batch.extend(inbox.try_iter());
                    for job in newest_per_document(batch) {
                        let name = super::display_name(&job.uri);
                        let diagnostics =
                            super::analysis::check(job.kind, &name, &job.text, limits);
                        let checked = Checked {
                            uri: job.uri,
                            version: job.version,
                            text: job.text,
                            diagnostics,
                        };
                        if done.send(checked).is_err() {
                            return;
                        }
                    }
                }
            })?;
        Ok((Worker { jobs }, results))
    }

    /// Queues a check of the document's current text.
    pub fn check(&self, doc: &Document) {
        let _ = self.jobs.send(Job {
            uri: doc.uri.clone(),
            version: doc.version,
            kind: doc.kind,
            text: Arc::clone(&doc.text),
        });
    }
}

/// The last job of each document, in the order of their last jobs.
fn newest_per_document(batch: Vec<Job>) -> Vec<Job> {
    let mut out: Vec<Job> = Vec::with_capacity(batch.len());
    for job in batch {
        out.retain(|j| j.uri != job.uri);
        out.push(job);
    }
    out
}
