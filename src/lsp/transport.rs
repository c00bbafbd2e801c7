//! The stdio transport: `Content-Length` frames in, frames out, on two threads.
//!
//! `lsp-server` has one, but a malformed frame ends it (and an absurd `Content-Length`
//! makes it allocate that much up front, which aborts the process). This one bounds what
//! it reads, answers a message it cannot parse instead of dying, and repairs what editors
//! really send (a lone UTF-16 surrogate escape from `JSON.stringify`).

use std::io::{BufRead, Read};
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, bounded};
use lsp_server::{Connection, ErrorCode, Message, Notification, RequestId, Response};
use serde_json::Value;

/// Header lines longer than this are not headers.
const MAX_HEADER_LINE: u64 = 1024;

/// The two threads of a stdio connection.
pub struct Threads {
    writer: JoinHandle<()>,
}

impl Threads {
    /// Waits until everything sent has been written (the connection must be dropped
    /// first). The reader is not waited for: it may be blocked on a client that keeps
    /// its end open, and the process is about to exit.
    pub fn join(self) {
        let _ = self.writer.join();
    }
}

/// A connection over stdin / stdout; messages larger than `max_message` bytes end it.
pub fn stdio(max_message: u64) -> (Connection, Threads) {
    let (to_writer, outbox) = bounded::<Message>(0);
    let (inbox, from_reader) = bounded::<Message>(0);
    let writer = std::thread::spawn(move || {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for msg in outbox {
            if msg.write(&mut out).is_err() {
                return;
            }
        }
    });
    let replies = to_writer.clone();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        read_messages(&mut stdin.lock(), max_message, &inbox, &replies);
    });
    let connection = Connection {
        sender: to_writer,
        receiver: from_reader,
    };
    (connection, Threads { writer })
}

/// Reads frames until the end of the input, an unreadable frame or `exit`, passing each
/// message on; a frame whose body is not a message is answered on `replies`.
pub fn read_messages(
    input: &mut impl BufRead,
    max_message: u64,
    inbox: &Sender<Message>,
    replies: &Sender<Message>,
) {
    loop {
        let body = match read_frame(input, max_message) {
            Ok(Some(body)) => body,
            Ok(None) => return,
            Err(e) => {
                eprintln!("scaiflow lsp: {e}; closing the connection");
                return;
            }
        };
        match parse(&body) {
            Ok(msg) => {
                let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                if inbox.send(msg).is_err() || exit {
                    return;
                }
            }
            Err(reply) => {
                if replies.send(reply).is_err() {
                    return;
                }
            }
        }
    }
}

/// One frame's body; `None` at the end of the input.
fn read_frame(input: &mut impl BufRead, max_message: u64) -> Result<Option<Vec<u8>>, String> {
    let mut length: Option<u64> = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let n = input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return if first {
                Ok(None)
            } else {
                Err("the input ended inside a header".to_string())
            };
        }
        first = false;
        if !line.ends_with(b"\n") {
            return Err("a header line is too long or unterminated".to_string());
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed header {line:?}"));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let n = value
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("malformed Content-Length {:?}", value.trim()))?;
            length = Some(n);
        }
    }
    let length = length.ok_or("a message without Content-Length")?;
    if length > max_message {
        return Err(format!(
            "a message of {length} bytes is larger than the {max_message} this server reads"
        ));
    }
    // Read as the bytes arrive: a false length cannot make it allocate up front.
    let mut body = Vec::new();
    input
        .by_ref()
        .take(length)
        .read_to_end(&mut body)
        .map_err(|e| format!("cannot read: {e}"))?;
    if (body.len() as u64) < length {
        return Err("the input ended inside a message".to_string());
    }
    Ok(Some(body))
}

/// A message, or the reply to a body that is not one: an error response when it is JSON
/// with a readable `id`, else a log message for the client's log.
///
/// What editors really send is repaired first, as a decoder would: invalid UTF-8 and lone
/// UTF-16 surrogate escapes become U+FFFD.
fn parse(body: &[u8]) -> Result<Message, Message> {
    let first = match serde_json::from_slice::<Message>(body) {
        Ok(msg) => return Ok(msg),
        Err(e) => e,
    };
    let text = String::from_utf8_lossy(body);
    let repaired = repair_surrogates(&text);
    let candidates = [
        matches!(text, std::borrow::Cow::Owned(_)).then_some(text.as_ref()),
        repaired.as_deref(),
    ];
    for candidate in candidates.into_iter().flatten() {
        if let Ok(msg) = serde_json::from_str::<Message>(candidate) {
            return Ok(msg);
        }
    }
    let id = serde_json::from_str::<Value>(repaired.as_deref().unwrap_or(&text))
        .ok()
        .and_then(|v| serde_json::from_value::<RequestId>(v.get("id")?.clone()).ok());
    let message = format!("scaiflow lsp: ignored a message that is not valid JSON-RPC: {first}");
    Err(match id {
        Some(id) => Response::new_err(id, ErrorCode::InvalidRequest as i32, message).into(),
        None => Notification::new(
            "window/logMessage".to_string(),
            serde_json::json!({"type": 1, "message": message}),
        )
        .into(),
    })
}

/// The text with every `\uD800`–`\uDFFF` escape that is not half of a pair replaced by
/// `\uFFFD` (what a decoder does with one); `None` when there is none.
pub fn repair_surrogates(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let escape_at = |i: usize| -> Option<u16> {
        if b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u') {
            u16::from_str_radix(text.get(i + 2..i + 6)?, 16).ok()
        } else {
            None
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_at(i) {
            Some(0xD800..=0xDBFF) if matches!(escape_at(i + 6), Some(0xDC00..=0xDFFF)) => {
                i += 12;
            }
            Some(0xD800..=0xDFFF) => {
                out.push_str(&text[last..i]);
                out.push_str("\\uFFFD");
                i += 6;
                last = i;
                changed = true;
            }
            Some(_) => i += 6,
            // Any other escape is two characters.
            None => i += 2,
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: u64) -> (Vec<Message>, Vec<Message>) {
        let (inbox, got) = crossbeam_channel::unbounded();
        let (replies, replied) = crossbeam_channel::unbounded();
        read_messages(
            &mut std::io::Cursor::new(input.to_vec()),
            max,
            &inbox,
            &replies,
        );
        drop((inbox, replies));
        (got.iter().collect(), replied.iter().collect())
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn reads_frames_and_answers_bad_ones() {
        let ok = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let bad_request = r#"{"jsonrpc":"2.0","id":7,"method":3}"#;
        let not_json = "{nope";
        let input = frame(ok) + &frame(bad_request) + &frame(not_json) + &frame(ok);
        let (got, replied) = frames(input.as_bytes(), 1 << 20);
        assert_eq!(
            got.len(),
            2,
            "the good ones pass, the bad ones do not end the reading"
        );
        assert_eq!(replied.len(), 2);
        match &replied[0] {
            Message::Response(r) => {
                assert_eq!(r.id, RequestId::from(7));
                assert_eq!(
                    r.response_result.as_ref().unwrap_err().code,
                    ErrorCode::InvalidRequest as i32
                );
            }
            m => panic!("{m:?}"),
        }
        assert!(matches!(&replied[1], Message::Notification(n) if n.method == "window/logMessage"));
    }

    #[test]
    fn bounds_and_ends() {
        // A length past the limit ends the reading before anything is allocated.
        let (got, _) = frames(b"Content-Length: 1000000000000\r\n\r\n{}", 1 << 20);
        assert!(got.is_empty());
        let (got, _) = frames(b"Content-Length: 18446744073709551615\r\n\r\n", u64::MAX);
        assert!(got.is_empty(), "a body shorter than its length");
        let (got, _) = frames(b"Content-Length: x\r\n\r\n", 1 << 20);
        assert!(got.is_empty());
        // `\n` alone ends header lines too; `exit` ends the reading.
        let exit = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let after = r#"{"jsonrpc":"2.0","method":"initialized"}"#;
        let input = format!("Content-Length: {}\n\n{exit}", exit.len()) + &frame(after);
        let (got, _) = frames(input.as_bytes(), 1 << 20);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn lone_surrogates_are_repaired() {
        let body = r#"{"jsonrpc":"2.0","method":"m","params":{"t":"a\ud800b\ud83d\ude00\\ud800"}}"#;
        let (got, replied) = frames(frame(body).as_bytes(), 1 << 20);
        assert!(replied.is_empty());
        match &got[0] {
            Message::Notification(n) => assert_eq!(n.params["t"], "a\u{fffd}b😀\\ud800"),
            m => panic!("{m:?}"),
        }
        assert_eq!(repair_surrogates(r#""\ud83d\ude00""#), None);
        // Invalid UTF-8 inside a string, too.
        let mut bytes = br#"{"jsonrpc":"2.0","method":"m","params":{"t":"a"#.to_vec();
        bytes.extend([0xff, b'b']);
        bytes.extend(br#""}}"#);
        let mut input = format!("Content-Length: {}\r\n\r\n", bytes.len()).into_bytes();
        input.extend(&bytes);
        let (got, replied) = frames(&input, 1 << 20);
        assert!(replied.is_empty());
        match &got[0] {
            Message::Notification(n) => assert_eq!(n.params["t"], "a\u{fffd}b"),
            m => panic!("{m:?}"),
        }
        assert_eq!(repair_surrogates(r#""\udc00x""#).unwrap(), r#""\uFFFDx""#);
    }
}
