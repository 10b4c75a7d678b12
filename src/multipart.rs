//! The framing of a `multipart/form-data` body, written by hand rather than by `FormData`:
//! the host's encoder turns every line break of a text value into CRLF, and Kestra would
//! then receive a string other than the one given.

/// The boundary of one body, from 16 random bytes (22 base62 characters after a prefix).
pub fn boundary(random: [u8; 16]) -> String {
    format!("kestra-wasm-{}", crate::labels::base62_id(random))
}

/// The `Content-Type` header of a body with `boundary`.
pub fn content_type(boundary: &str) -> String {
    format!("multipart/form-data; boundary={boundary}")
}

/// What precedes the value of a text part.
pub fn text_part_head(boundary: &str, name: &str) -> String {
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
        escape(name)
    )
}

/// What precedes the bytes of a file part.
pub fn file_part_head(boundary: &str, name: &str, filename: &str, content_type: &str) -> String {
    let content_type = if content_type.is_empty() {
        "application/octet-stream".to_owned()
    } else {
        content_type.replace(['\r', '\n'], "")
    };
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
         Content-Type: {content_type}\r\n\r\n",
        escape(name),
        escape(filename)
    )
}

/// Whether a header value (a content type) holds only visible ASCII and spaces, so that it
/// can neither split the part's headers nor be changed by the host on its way.
pub fn is_header_safe(value: &str) -> bool {
    value
        .bytes()
        .all(|byte| byte == b' ' || byte.is_ascii_graphic())
}

/// What follows the value of every part.
pub const PART_END: &str = "\r\n";

/// What ends the body.
pub fn closing(boundary: &str) -> String {
    format!("--{boundary}--\r\n")
}

/// A name or file name inside its quotes, escaped as browsers do: `"` as `%22`, CR as
/// `%0D`, LF as `%0A`.
fn escape(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_text_and_file_parts() {
        let boundary = boundary([0; 16]);
        assert_eq!(boundary, "kestra-wasm-0000000000000000000000");
        let body = [
            text_part_head(&boundary, "note"),
            "a\nb\r\nc\rd".to_owned(),
            PART_END.to_owned(),
            file_part_head(&boundary, "data", "orders.csv", "text/csv"),
            "x,y".to_owned(),
            PART_END.to_owned(),
            closing(&boundary),
        ]
        .concat();
        assert_eq!(
            body,
            "--kestra-wasm-0000000000000000000000\r\n\
             Content-Disposition: form-data; name=\"note\"\r\n\r\n\
             a\nb\r\nc\rd\r\n\
             --kestra-wasm-0000000000000000000000\r\n\
             Content-Disposition: form-data; name=\"data\"; filename=\"orders.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n\
             x,y\r\n\
             --kestra-wasm-0000000000000000000000--\r\n"
        );
        assert_eq!(
            content_type(&boundary),
            "multipart/form-data; boundary=kestra-wasm-0000000000000000000000"
        );
    }

    #[test]
    fn names_cannot_break_the_framing() {
        let head = file_part_head("b", "a\"b\r\nc", "x\".csv", "text/csv\r\nX-Evil: 1");
        // The header cannot be split: CR and LF are dropped from the content type.
        assert_eq!(
            head,
            "--b\r\nContent-Disposition: form-data; name=\"a%22b%0D%0Ac\"; \
             filename=\"x%22.csv\"\r\nContent-Type: text/csvX-Evil: 1\r\n\r\n"
        );
        assert!(file_part_head("b", "n", "f", "").contains("application/octet-stream"));
        assert!(is_header_safe("text/csv; charset=utf-8"));
        assert!(!is_header_safe("text/csv\r\nX: 1"));
        assert!(!is_header_safe("text/é"));
    }
}
