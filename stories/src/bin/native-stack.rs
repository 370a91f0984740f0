//! Serves every worker's route table over HTTP on 127.0.0.1, natively (testkit's SQLite and
//! memory platform), with `/v1/openapi.json` as the gateway serves it: a stack that starts in
//! a second, for poking at the API (or fuzzing it: scripts/api-fuzz.py) while developing. It
//! answers one request at a time and closes every connection; the real stack is `scripts/dev`.
//!
//! Usage: `cargo run -p tradepost-stories --bin native-stack [PORT]` (default 8898).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use shared::service::{Body, Method, Request};
use tradepost_testkit::{block_on, Answer, Stack};

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8898);
    let stack = tradepost_stories::stack();
    let openapi = shared::service::doc::openapi(&tradepost_gateway_tables::services())
        .map(|doc| doc.to_json().unwrap_or_default())
        .unwrap_or_else(|e| e);
    let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) else {
        eprintln!("cannot listen on 127.0.0.1:{port}");
        std::process::exit(1);
    };
    eprintln!("native stack on http://127.0.0.1:{port}");
    for connection in listener.incoming().flatten() {
        if let Err(e) = serve(&stack, &openapi, connection) {
            eprintln!("connection: {e}");
        }
    }
}

fn serve(stack: &Stack, openapi: &str, mut conn: TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let (request, header_len) = loop {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let mut req = Request::new(
                    Method::parse(parsed.method.unwrap_or("GET")),
                    parsed.path.unwrap_or("/"),
                );
                req.headers = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                break (req, len);
            }
            Ok(httparse::Status::Partial) => {}
            Err(_) => return write(&mut conn, 400, &[], b"bad request"),
        }
    };
    let mut request = request;
    if let Some(length) = request
        .header("content-length")
        .and_then(|l| l.trim().parse::<usize>().ok())
    {
        let mut body = buf[header_len..].to_vec();
        while body.len() < length {
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(length);
        request.body = Body::Bytes(body);
    }
    if request.path == "/v1/openapi.json" {
        return write(
            &mut conn,
            200,
            &[("content-type".into(), "application/json".into())],
            openapi.as_bytes(),
        );
    }
    let head = request.method == Method::Head;
    let answer: Answer = block_on(stack.send(request));
    let body = if head { &[][..] } else { &answer.body[..] };
    write(&mut conn, answer.status, &answer.headers, body)
}

fn write(
    conn: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        if name != "content-length" {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    conn.write_all(head.as_bytes())?;
    conn.write_all(body)?;
    conn.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        _ => "Status",
    }
}
