//! Server-sent events: the `data:` payloads of a `text/event-stream` body,
//! one event per blank-line-terminated block (several `data:` lines joined
//! with `\n`; comments and other fields ignored).

use std::io::{self, BufRead};

/// The longest line read (a stream of one huge line is an error, not a
/// memory exhaustion).
const MAX_LINE: u64 = 4 << 20;

/// What the next block of a stream is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sse {
    /// An event's data.
    Data(String),
    /// A comment line (a keep-alive): no data, but the server is there.
    Comment,
    /// The end of the stream.
    End,
}

/// Reads events from a stream body.
pub(crate) struct EventReader<R> {
    inner: R,
    line: Vec<u8>,
}

impl<R: BufRead> EventReader<R> {
    pub(crate) fn new(inner: R) -> EventReader<R> {
        EventReader {
            inner,
            line: Vec::new(),
        }
    }

    /// The next event's data, a comment, or the end of the stream (a block
    /// cut off by the end is dropped, as the specification says).
    pub(crate) fn next_event(&mut self) -> io::Result<Sse> {
        let mut data: Option<String> = None;
        loop {
            self.line.clear();
            let read =
                io::Read::take(&mut self.inner, MAX_LINE).read_until(b'\n', &mut self.line)?;
            if read == 0 {
                return Ok(Sse::End);
            }
            if self.line.last() != Some(&b'\n') {
                if read as u64 >= MAX_LINE {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "an event-stream line is longer than 4 MiB",
                    ));
                }
                // The end of the stream in the middle of a line.
                return Ok(Sse::End);
            }
            let line = self.line.strip_suffix(b"\n").unwrap_or(&self.line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                if let Some(data) = data.take() {
                    return Ok(Sse::Data(data));
                }
                continue;
            }
            if line.starts_with(b":") {
                if data.is_none() {
                    return Ok(Sse::Comment);
                }
                continue;
            }
            let text = std::str::from_utf8(line)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let (field, value) = match text.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (text, ""),
            };
            if field == "data" {
                match &mut data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => data = Some(value.to_owned()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(body: &str) -> Vec<String> {
        let mut reader = EventReader::new(body.as_bytes());
        let mut out = Vec::new();
        loop {
            match reader.next_event().unwrap() {
                Sse::Data(data) => out.push(data),
                Sse::Comment => out.push(":".to_owned()),
                Sse::End => return out,
            }
        }
    }

    #[test]
    fn reads_data_lines_comments_and_multi_line_events() {
        let body = ": keep-alive\n\ndata: {\"a\":1}\n\nevent: x\nid: 3\ndata:first\ndata: second\r\n\r\ndata: [DONE]\n\n";
        assert_eq!(events(body), [":", "{\"a\":1}", "first\nsecond", "[DONE]"]);
    }

    #[test]
    fn drops_a_block_cut_off_by_the_end() {
        assert_eq!(events("data: 1\n\ndata: 2\n"), ["1"]);
        assert_eq!(events("data: 1\n\ndata: {\"cut"), ["1"]);
    }
}
