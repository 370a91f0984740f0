//! Test-only: writes small PDF/A-3-like files the way ZUGFeRD / Factur-X writers do — a catalog
//! with `/Names /EmbeddedFiles` and `/AF`, a `/Filespec` with `/F`, `/UF` and
//! `/AFRelationship /Data`, and an `/EmbeddedFile` stream (`/Subtype /text#2Fxml`,
//! `/FlateDecode`) — so the tests need no binary fixtures. `write_pdf_fixtures` (ignored) writes
//! the checked-in ones in `tests/fixtures/invoices/` from these.
//!
//! The files are not conforming PDF/A (no XMP metadata, no output intent, no embedded font), and
//! with an object stream the cross-reference table lists only the plain objects; the scanner
//! needs neither.

use std::fmt::Write as _;

/// What the PDF carries and how it is laid out.
pub(super) struct PdfSpec<'a> {
    /// The embedded file's name and content, if any.
    pub attachment: Option<(&'a str, &'a [u8])>,
    /// `/UF` as a UTF-16BE hex string with its byte order mark.
    pub utf16_name: bool,
    /// Catalog, pages, file specification and font inside a compressed object stream.
    pub object_stream: bool,
    /// The embedded stream's `/Length` as an indirect object.
    pub length_ref: bool,
    /// The embedded stream says `/Type /EmbeddedFile` (it need not).
    pub typed: bool,
    /// The embedded stream is compressed.
    pub compressed: bool,
}

impl Default for PdfSpec<'_> {
    fn default() -> Self {
        Self {
            attachment: None,
            utf16_name: false,
            object_stream: false,
            length_ref: false,
            typed: true,
            compressed: true,
        }
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

fn utf16_hex(text: &str) -> String {
    let mut hex = String::from("<FEFF");
    for unit in text.encode_utf16() {
        write!(hex, "{unit:04X}").unwrap();
    }
    hex.push('>');
    hex
}

/// One object's bytes: its dictionary or value, and a stream's data.
struct Object {
    num: u32,
    body: Vec<u8>,
    stream: Option<Vec<u8>>,
}

impl Object {
    fn plain(num: u32, body: &str) -> Self {
        Self {
            num,
            body: body.as_bytes().to_vec(),
            stream: None,
        }
    }
}

/// Writes the PDF `spec` describes.
pub(super) fn build(spec: &PdfSpec) -> Vec<u8> {
    let content = deflate(b"BT /F1 18 Tf 72 760 Td (Rechnung) Tj ET\n");
    let mut compressible = Vec::new();
    let mut direct = Vec::new();
    let names = match spec.attachment {
        Some((name, _)) => format!(
            " /Names << /EmbeddedFiles << /Names [({name}) 5 0 R] >> >> /AF [5 0 R] \
             /PageMode /UseAttachments"
        ),
        None => String::new(),
    };
    compressible.push(Object::plain(
        1,
        &format!("<< /Type /Catalog /Version /1.7 /Pages 2 0 R{names} >>"),
    ));
    compressible.push(Object::plain(
        2,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    ));
    compressible.push(Object::plain(
        3,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Contents 4 0 R \
         /Resources << /Font << /F1 7 0 R >> >> >>",
    ));
    direct.push(Object {
        num: 4,
        body: format!("<< /Length {} /Filter /FlateDecode >>", content.len()).into_bytes(),
        stream: Some(content),
    });
    if let Some((name, data)) = spec.attachment {
        let uf = if spec.utf16_name {
            utf16_hex(name)
        } else {
            format!("({name})")
        };
        compressible.push(Object::plain(
            5,
            &format!(
                "<< /Type /Filespec /F ({name}) /UF {uf} /Desc (Rechnungsdaten) \
                 /AFRelationship /Data /EF << /F 6 0 R /UF 6 0 R >> >>"
            ),
        ));
        let stored = if spec.compressed {
            deflate(data)
        } else {
            data.to_vec()
        };
        let length = if spec.length_ref {
            direct.push(Object::plain(8, &stored.len().to_string()));
            "8 0 R".to_owned()
        } else {
            stored.len().to_string()
        };
        let ty = if spec.typed {
            "/Type /EmbeddedFile "
        } else {
            ""
        };
        let filter = if spec.compressed {
            " /Filter /FlateDecode"
        } else {
            ""
        };
        direct.push(Object {
            num: 6,
            body: format!(
                "<< {ty}/Subtype /text#2Fxml /Params << /Size {} \
                 /ModDate (D:20240402101500+02'00') >>{filter} /Length {length} >>",
                data.len()
            )
            .into_bytes(),
            stream: Some(stored),
        });
    }
    compressible.push(Object::plain(
        7,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ));

    if spec.object_stream {
        let mut header = String::new();
        let mut body = Vec::new();
        for object in &compressible {
            write!(header, "{} {} ", object.num, body.len()).unwrap();
            body.extend_from_slice(&object.body);
            body.push(b'\n');
        }
        let mut data = header.into_bytes();
        let first = data.len();
        data.extend(body);
        let data = deflate(&data);
        direct.push(Object {
            num: 9,
            body: format!(
                "<< /Type /ObjStm /N {} /First {first} /Filter /FlateDecode /Length {} >>",
                compressible.len(),
                data.len()
            )
            .into_bytes(),
            stream: Some(data),
        });
    } else {
        direct.extend(compressible);
    }
    direct.sort_by_key(|o| o.num);

    let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for object in &direct {
        offsets.push((object.num, pdf.len()));
        pdf.extend(format!("{} 0 obj\n", object.num).as_bytes());
        pdf.extend(&object.body);
        if let Some(data) = &object.stream {
            pdf.extend(b"\nstream\r\n");
            pdf.extend(data);
            pdf.extend(b"\nendstream");
        }
        pdf.extend(b"\nendobj\n");
    }
    let size = offsets.iter().map(|(n, _)| n + 1).max().unwrap_or(1);
    let xref = pdf.len();
    let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
    for num in 1..size {
        match offsets.iter().find(|(n, _)| *n == num) {
            Some((_, at)) => writeln!(table, "{at:010} 00000 n ").unwrap(),
            None => table.push_str("0000000000 00000 f \n"),
        }
    }
    write!(
        table,
        "trailer\n<< /Size {size} /Root 1 0 R /ID [<0123456789ABCDEF> <0123456789ABCDEF>] >>\n\
         startxref\n{xref}\n%%EOF\n"
    )
    .unwrap();
    pdf.extend(table.as_bytes());
    pdf
}
