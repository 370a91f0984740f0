//! `multipart/form-data` (RFC 7578) read as it streams in: a browser form's text fields and its
//! file, without holding the file whole.
//!
//! Written here rather than taken from a crate: the crates for it (multer, mpart-async) bring the
//! `http` crate's header machinery and want `Send` streams, which together cost the orders worker
//! a twentieth of its bundle; what a form upload needs is the few rules below.
//!
//! The body is a sequence of parts between delimiter lines `--BOUNDARY`, closed by
//! `--BOUNDARY--`; each part has header lines (`Content-Disposition: form-data; name="…";
//! filename="…"`, `Content-Type`), a blank line, and its bytes up to the CRLF before the next
//! delimiter. What precedes the first delimiter and follows the last is ignored.

use crate::platform::files::ByteStream;
use crate::{Error, Result};
use futures_util::StreamExt;

/// The most bytes of one part's header block.
const HEADERS_MAX: usize = 16 * 1024;

/// One part of a form, before its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form field's name (empty when the part names none).
    pub name: String,
    /// The file name a browser sends with a file.
    pub filename: Option<String>,
    /// The part's own `Content-Type`.
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter.
    Preamble,
    /// Just after a delimiter: a part's headers or the closing `--` follow.
    Headers,
    /// Inside a part's bytes.
    Body,
    /// After the closing delimiter.
    Done,
}

/// A form being read: [`Form::next_part`] moves to the next part, [`Form::chunk`] reads the
/// current part's bytes.
pub struct Form {
    body: ByteStream,
    /// `CRLF--BOUNDARY`: what ends every part.
    delimiter: Vec<u8>,
    /// Read but not yet handed out.
    buf: Vec<u8>,
    state: State,
}

/// The boundary of a `multipart/form-data` content type, if it is one and names it.
#[must_use]
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = parameters(params)
        .into_iter()
        .find_map(|(name, value)| name.eq_ignore_ascii_case("boundary").then_some(value))?;
    // RFC 2046: 1 to 70 characters.
    (1..=70).contains(&boundary.len()).then_some(boundary)
}

fn malformed(why: &str) -> Error {
    Error::bad_request(
        "malformed_multipart",
        format!("the form cannot be read: {why}"),
    )
}

impl Form {
    /// A form over `body` with the boundary from its content type ([`boundary`]).
    #[must_use]
    pub fn new(body: ByteStream, boundary: &str) -> Form {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        Form {
            body,
            delimiter,
            // The first delimiter line has no CRLF before it; with one put in front, every
            // delimiter looks the same.
            buf: b"\r\n".to_vec(),
            state: State::Preamble,
        }
    }

    /// Reads more of the body into the buffer; `false` at its end.
    async fn fill(&mut self) -> Result<bool> {
        match self.body.next().await {
            Some(Ok(chunk)) => {
                self.buf.extend_from_slice(&chunk);
                Ok(true)
            }
            Some(Err(e)) => Err(malformed(&format!("the body broke off ({e})"))),
            None => Ok(false),
        }
    }

    /// The next part's headers, `None` after the last part. The rest of the current part is
    /// skipped.
    ///
    /// # Errors
    /// 400 `malformed_multipart` when the body is not a form with this boundary or ends early.
    pub async fn next_part(&mut self) -> Result<Option<Part>> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Body => while self.chunk().await?.is_some() {},
                State::Preamble => match find(&self.buf, &self.delimiter) {
                    Some(at) => {
                        self.buf.drain(..at + self.delimiter.len());
                        self.state = State::Headers;
                    }
                    None => {
                        let keep = self.delimiter.len() - 1;
                        let drop = self.buf.len().saturating_sub(keep);
                        self.buf.drain(..drop);
                        if !self.fill().await? {
                            return Err(malformed("there is no boundary line"));
                        }
                    }
                },
                State::Headers => return self.headers().await,
            }
        }
    }

    /// After a delimiter: the closing `--`, or a part's header block.
    async fn headers(&mut self) -> Result<Option<Part>> {
        // The delimiter line may end in spaces or tabs before its CRLF (RFC 2046 padding); the
        // header block ends at the first empty line, so an empty block is CRLF CRLF at once.
        let end = loop {
            if self.buf.starts_with(b"--") {
                self.state = State::Done;
                return Ok(None);
            }
            let padding = self
                .buf
                .iter()
                .take_while(|b| **b == b' ' || **b == b'\t')
                .count();
            if let Some(at) = find(&self.buf[padding..], b"\r\n\r\n") {
                if at > 0 && !self.buf[padding..].starts_with(b"\r\n") {
                    return Err(malformed("a boundary line goes on after the boundary"));
                }
                break (padding, at);
            }
            if self.buf.len() > HEADERS_MAX {
                return Err(malformed("a part's headers are too long"));
            }
            if !self.fill().await? {
                return Err(malformed("the form ends before its closing boundary"));
            }
        };
        let (padding, at) = end;
        let block = self.buf[padding..padding + at].to_vec();
        self.buf.drain(..padding + at + 4);
        self.state = State::Body;
        let text = String::from_utf8(block)
            .map_err(|_| malformed("a part's headers are not UTF-8 text"))?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
        };
        for line in text.split("\r\n").filter(|l| !l.is_empty()) {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| malformed("a part's header line has no colon"))?;
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-disposition") {
                let (_, params) = value.split_once(';').unwrap_or((value, ""));
                for (key, value) in parameters(params) {
                    if key.eq_ignore_ascii_case("name") {
                        part.name = value;
                    } else if key.eq_ignore_ascii_case("filename") {
                        part.filename = Some(value);
                    }
                }
            } else if name.eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            }
        }
        Ok(Some(part))
    }

    /// The next bytes of the current part, `None` at its end.
    ///
    /// # Errors
    /// 400 `malformed_multipart` when the body ends inside the part.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>> {
        if self.state != State::Body {
            return Ok(None);
        }
        loop {
            if let Some(at) = find(&self.buf, &self.delimiter) {
                let bytes: Vec<u8> = self.buf.drain(..at).collect();
                self.buf.drain(..self.delimiter.len());
                self.state = State::Headers;
                return Ok((!bytes.is_empty()).then_some(bytes));
            }
            // All but a tail that might be the start of the delimiter is the part's.
            let safe = self
                .buf
                .len()
                .saturating_sub(self.delimiter.len().saturating_sub(1));
            if safe > 0 {
                return Ok(Some(self.buf.drain(..safe).collect()));
            }
            if !self.fill().await? {
                return Err(malformed("the form ends inside a part"));
            }
        }
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// `; name=value; name="quoted \"value\""` parameters (RFC 2045 / RFC 7578), in order.
fn parameters(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([';', ' ', '\t']);
        if rest.is_empty() {
            return out;
        }
        let Some(eq) = rest.find('=') else {
            return out;
        };
        let name = rest[..eq].trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    other => value.push(other),
                }
            }
            rest = &quoted[end.min(quoted.len())..];
            value
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let value = rest[..end].trim().to_owned();
            rest = &rest[end..];
            value
        };
        out.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stream(chunks: Vec<Vec<u8>>) -> ByteStream {
        Box::pin(futures_util::stream::iter(chunks.into_iter().map(Ok)))
    }

    /// Every part with its bytes, or the error.
    fn read(chunks: Vec<Vec<u8>>, boundary: &str) -> Result<Vec<(Part, Vec<u8>)>> {
        futures_executor::block_on(async {
            let mut form = Form::new(stream(chunks), boundary);
            let mut parts = Vec::new();
            while let Some(part) = form.next_part().await? {
                let mut bytes = Vec::new();
                while let Some(chunk) = form.chunk().await? {
                    bytes.extend_from_slice(&chunk);
                }
                parts.push((part, bytes));
            }
            Ok(parts)
        })
    }

    fn sample(file: &[u8]) -> Vec<u8> {
        let mut body = b"preamble to ignore\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"recipient\"\r\n\r\nacme\r\n\
            --XyZ  \r\n\
            content-disposition: form-data; name=\"file\"; filename=\"PO \\\"4711\\\".xml\"\r\n\
            Content-Type: application/xml\r\n\r\n"
            .to_vec();
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n--XyZ--\r\nepilogue");
        body
    }

    #[test]
    fn fields_and_the_file_come_out_as_sent() {
        // Near misses of the delimiter (CRLF--XyZ) stay part of the file.
        let file = b"<Order>--XyZ\r\n-XyZ\n--XyZ\r\n--Xy</Order>".to_vec();
        let parts = read(vec![sample(&file)], "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0.name, "recipient");
        assert_eq!(parts[0].1, b"acme");
        assert_eq!(parts[1].0.name, "file");
        assert_eq!(parts[1].0.filename.as_deref(), Some("PO \"4711\".xml"));
        assert_eq!(parts[1].0.content_type.as_deref(), Some("application/xml"));
        assert_eq!(parts[1].1, file);
    }

    #[test]
    fn an_empty_part_and_a_part_without_headers_are_read() {
        let body =
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--b\r\n\r\nx\r\n--b--";
        let parts = read(vec![body.to_vec()], "b").unwrap();
        assert_eq!(parts[0].0.name, "a");
        assert!(parts[0].1.is_empty());
        assert_eq!(parts[1].0.name, "");
        assert_eq!(parts[1].1, b"x");
    }

    #[test]
    fn broken_forms_are_malformed() {
        let cases: [&[u8]; 5] = [
            b"this is not a multipart body at all\r\n",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n<Order>",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"",
            b"--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--",
            b"--XyZjunk\r\n\r\nx\r\n--XyZ--",
        ];
        for body in cases {
            let err = read(vec![body.to_vec()], "XyZ").unwrap_err();
            assert_eq!(err.problem().code, "malformed_multipart", "{body:?}");
        }
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        let cases = [
            ("multipart/form-data; boundary=XyZ", Some("XyZ")),
            (
                "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b;c\"",
                Some("a b;c"),
            ),
            ("multipart/form-data", None),
            ("multipart/mixed; boundary=XyZ", None),
            ("multipart/form-data; boundary=", None),
            ("text/plain; boundary=XyZ", None),
        ];
        for (content_type, expected) in cases {
            assert_eq!(
                boundary(content_type).as_deref(),
                expected,
                "{content_type}"
            );
        }
    }

    proptest! {
        /// However the body is cut into chunks, the same parts and bytes come out.
        #[test]
        fn chunking_does_not_matter(
            file in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'-'), Just(b'X'), any::<u8>()], 0..300),
            cuts in proptest::collection::vec(0usize..400, 0..12),
        ) {
            let body = sample(&file);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (body.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([body.len()]) {
                chunks.push(body[from..cut].to_vec());
                from = cut;
            }
            let parts = read(chunks, "XyZ").unwrap();
            prop_assert_eq!(parts.len(), 2);
            prop_assert_eq!(&parts[1].1, &file);
        }
    }
}
