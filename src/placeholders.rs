//! BigInt values in JSON text.
//!
//! `JSON.stringify` refuses BigInts. They are replaced by marked strings while the host
//! writes the JSON, then each marked string is turned back into the exact integer literal,
//! which Kestra's Jackson reads as a `BigInteger` without loss.

/// The marked string standing for a BigInt whose decimal digits are `digits`.
///
/// NUL characters frame it: `JSON.stringify` writes them as `\u0000`, so the mark is easy to
/// find in the text, and `nonce` (random per call) keeps a user string from matching it.
pub fn bigint_mark(nonce: &str, digits: &str) -> String {
    format!("\u{0}{nonce}:{digits}\u{0}")
}

/// Replaces every JSON string `"\u0000<nonce>:<digits>\u0000"` of `json` by `<digits>`.
pub fn restore_bigints(json: &str, nonce: &str) -> String {
    let opening = format!("\"\\u0000{nonce}:");
    const CLOSING: &str = "\\u0000\"";

    let mut restored = String::with_capacity(json.len());
    let mut rest = json;
    // `split_once` and `get` keep this free of index arithmetic: nothing here can panic.
    while let Some((before, after_opening)) = rest.split_once(opening.as_str()) {
        restored.push_str(before);
        let digits_end = after_opening
            .char_indices()
            .find(|(_, character)| !(character.is_ascii_digit() || *character == '-'))
            .map_or(after_opening.len(), |(index, _)| index);
        let digits = after_opening.get(..digits_end).unwrap_or("");
        let after_digits = after_opening.get(digits_end..).unwrap_or("");

        match after_digits.strip_prefix(CLOSING) {
            Some(after_mark) if !digits.is_empty() => {
                restored.push_str(digits);
                rest = after_mark;
            }
            // Not a complete mark: keep the text as it is and look further.
            _ => {
                restored.push_str(&opening);
                rest = after_opening;
            }
        }
    }
    restored.push_str(rest);
    restored
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `JSON.stringify` writes for a string: NUL as `\u0000`.
    fn as_json_string(text: &str) -> String {
        format!("\"{}\"", text.replace('\u{0}', "\\u0000"))
    }

    #[test]
    fn marks_become_integer_literals() {
        let big = as_json_string(&bigint_mark("n1", "123456789012345678901234567890"));
        let negative = as_json_string(&bigint_mark("n1", "-5"));
        let json = format!("{{\"a\":{big},\"b\":[{negative},1]}}");
        assert_eq!(
            restore_bigints(&json, "n1"),
            r#"{"a":123456789012345678901234567890,"b":[-5,1]}"#
        );
    }

    #[test]
    fn other_nonces_and_broken_marks_are_left_alone() {
        let foreign = as_json_string(&bigint_mark("other", "7"));
        assert_eq!(restore_bigints(&foreign, "n1"), foreign);

        let broken = r#"["\u0000n1:12x\u0000","\u0000n1:\u0000"]"#;
        assert_eq!(restore_bigints(broken, "n1"), broken);

        let text = r#"{"a":"plain"}"#;
        assert_eq!(restore_bigints(text, "n1"), text);
    }
}
